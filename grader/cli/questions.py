"""``grader questions``: a student's questions with their own numbers, or the answer key."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import yaml

from ..model.course import Unit
from ..model.messages import LANGUAGES, Language, points_of, render, t
from ..model.questions import Question, open_questions
from .common import UsageError, student_of, student_option, unit_of, unit_option


def cmd_questions(args: argparse.Namespace) -> int:
    from ..kit.questions import answer_key, parameters, questions_of

    unit = unit_of(args)
    lang = args.lang or unit.language
    student = student_of(args)
    questions = questions_of(unit)
    if not questions and not open_questions(unit):
        print(f"grader: unit {unit.id} has no questions", file=sys.stderr)
        return 2
    if args.practice and (args.key or args.student):
        raise UsageError("--practice shows the practice variant: leave out --key and --student")
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
    if args.practice:
        return _practice(unit, lang)
    if student is None:
        print(render(t("check_cmd.no_student"), lang), file=sys.stderr)
    heading = (t("questions.heading", unit=unit.name(lang), student=student) if student else
               t("questions.heading_default", unit=unit.name(lang)))
    print(render(heading, lang))
    _listed(questions, unit, lang, lambda unit, question: parameters(unit, question, student))
    opened = open_questions(unit)
    if opened:
        print("\n" + render(t("questions.open_heading"), lang))
        for number, question in enumerate(opened, len(questions) + 1):
            shown = render(t("questions.open_points", points=points_of(question.points or 0.0)), lang)
            print(f"\n{number}. [{question.id}] {question.render({}, lang)} ({shown})")
    return 0


def _practice(unit: Unit, lang: Language) -> int:
    from ..kit.practice import practice_numbers, practice_questions

    questions = practice_questions(unit)
    if not questions:
        print(f"grader: {render(t('practice.none', unit=unit.id), lang)}", file=sys.stderr)
        return 2
    print(render(t("practice.heading", unit=unit.name(lang)), lang))
    print(render(t("practice.how"), lang))
    _listed(questions, unit, lang, practice_numbers)
    return 0


def _listed(questions: list[Question], unit: Unit, lang: Language,
            numbers: Callable[[Unit, Question], dict[str, Any]]) -> None:
    for number, question in enumerate(questions, 1):
        print(f"\n{number}. [{question.id}] {question.render(numbers(unit, question), lang)}")
        for option, texts in question.choices.items():
            print(f"   {option}) {texts.get(lang) or texts['en']}")  # type: ignore[call-overload]


def register(commands: Any) -> None:
    command = commands.add_parser(
        "questions", help="a student's questions, with their own numbers",
        description="Print a unit's questions with a student's numbers (--student ID, else a student_id file, else "
                    "the default variant). Answer them in answers.yaml (question id: answer) beside your modules. "
                    "Exit status: 0, or 2 when the unit has no questions (or, with --key, no answer key here).")
    unit_option(command)
    student_option(command)
    command.add_argument("--lang", choices=list(LANGUAGES), help="language of the questions (default: the course's)")
    command.add_argument("--practice", action="store_true", help="the practice questions instead: numbers of their "
                         "own, answered in practice.yaml, judged right or wrong by grader check (never graded)")
    command.add_argument("--key", action="store_true", help="print the student's answer key in answers.yaml's form "
                         "(instructors: it needs the unit's course code)")
    command.add_argument("--write", action="store_true", help="with --key: write the default variant's key into the "
                         "solutions' answers.yaml, rewriting this unit's answers only")
    command.set_defaults(func=cmd_questions)
