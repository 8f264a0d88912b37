"""``grader questions``: a student's questions with their own numbers, or the answer key."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from ..model.messages import LANGUAGES, render, t
from .common import UsageError, student_of, student_option, unit_of, unit_option


def cmd_questions(args: argparse.Namespace) -> int:
    from ..kit.questions import answer_key, parameters, questions_of

    unit = unit_of(args)
    lang = args.lang or unit.language
    student = student_of(args)
    questions = questions_of(unit)
    if not questions:
        print(f"grader: unit {unit.id} has no questions", file=sys.stderr)
        return 2
    if args.write and not args.key:
        raise UsageError("--write writes the answer key: give --key too")
    if args.key:
        if unit.content("code") is None:
            print("grader: no answer key here (the unit's course code is not part of a student bundle)",
                  file=sys.stderr)
            return 2
        if args.write:
            if student is not None:
                raise UsageError("--write writes the solutions' answers, the default variant's: leave out --student")
            from ..authoring.keys import write_solutions_key

            path, count = write_solutions_key(unit)
            print(f"wrote the {count} answers of unit {unit.id} into {path} (every other unit's answers kept)")
            return 0
        print(f"# the answers of {student or 'the default variant'}, unit {unit.id}")
        print(yaml.safe_dump(answer_key(unit, student), allow_unicode=True, sort_keys=False), end="")
        return 0
    if student is None:
        print(render(t("check_cmd.no_student"), lang), file=sys.stderr)
    heading = (t("questions.heading", unit=unit.name(lang), student=student) if student else
               t("questions.heading_default", unit=unit.name(lang)))
    print(render(heading, lang))
    for number, question in enumerate(questions, 1):
        print(f"\n{number}. [{question.id}] {question.render(parameters(unit, question, student), lang)}")
        for option, texts in question.choices.items():
            print(f"   {option}) {texts.get(lang) or texts['en']}")  # type: ignore[call-overload]
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "questions", help="a student's questions, with their own numbers",
        description="Print a unit's questions with a student's numbers (--student ID, else a student_id file, else "
                    "the default variant). Answer them in answers.yaml (question id: answer) beside your modules. "
                    "Exit status: 0, or 2 when the unit has no questions (or, with --key, no answer key here).")
    unit_option(command)
    student_option(command)
    command.add_argument("--lang", choices=list(LANGUAGES), help="language of the questions (default: the course's)")
    command.add_argument("--key", action="store_true", help="print the student's answer key in answers.yaml's form "
                         "(instructors: it needs the unit's course code)")
    command.add_argument("--write", action="store_true", help="with --key: write the default variant's key into the "
                         "solutions' answers.yaml, rewriting this unit's answers only")
    command.set_defaults(func=cmd_questions)
