"""``grader check``: the public checks, task by task, as a student sees them."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..kit.practice import judge_practice, load_practice_key, practice_questions
from ..model.course import Unit
from ..model.files import write_atomically
from ..model.messages import Text, t
from ..model.results import Practised, Run
from ..rendering.feedback import markdown
from ..rendering.guide import PLAIN, TERMINAL, guide
from ..rendering.scoring import complete
from .common import (
    SUBMISSION_HELP,
    feedback_of,
    graded,
    run_options,
    student_of,
    student_option,
    submission_path,
    unit_for,
    write_file,
)


def _sandbox_here() -> bool:
    """Whether the sandbox (bubblewrap, on Linux) works on this machine."""
    from ..trust.bubblewrap import bwrap_works
    from ..trust.portable import portable_only

    return not portable_only() and bwrap_works()


def _practice(unit: Unit, run: Run) -> tuple[list[Practised] | None, Text | None]:
    """The verdicts on the student's practice.yaml (None when there is none), or why it cannot be judged."""
    if not practice_questions(unit):
        return None, None
    if run.practice_problem is not None:
        return None, t("practice.unreadable", reason=run.practice_problem)
    answers = run.practice
    if answers is None:
        return None, None
    key = load_practice_key(unit)
    if key is None:
        return None, t("practice.no_key")
    return judge_practice(unit, answers, key), None


def cmd_check(args: argparse.Namespace) -> int:
    unit, others = unit_for(args, Path(args.path) if args.path else None)
    feedback = feedback_of(unit, args)
    path = submission_path(args.path) if args.path else unit.stubs_dir
    if path is None:
        return 2
    if others:  # a course of several units, none named: say which one this is, and how to check the others
        commands = "; ".join(f"grader check --unit {other.id}" + (f" {args.path}" if args.path else "")
                             for other in others)
        print(feedback.say(t("check_cmd.unit_chosen", unit=unit.id, title=unit.name(feedback.lang),
                             commands=commands)), file=sys.stderr)
    if args.sandbox == "auto" and not _sandbox_here():
        # a student's own machine (Windows, macOS, a Linux without user namespaces): the portable worker, said once
        args.sandbox = "portable"
        print(feedback.say(t("check_cmd.portable")), file=sys.stderr)
    if unit.has_questions and student_of(args) is None:
        print(feedback.say(t("check_cmd.no_student")), file=sys.stderr)
    score, run = graded(unit, path, "public", args, practice=bool(practice_questions(unit)))
    practised, problem = _practice(unit, run)
    coloured = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    print(guide(unit, score, run, str(path), feedback, TERMINAL if coloured else PLAIN, practice=practised,
                practice_problem=problem, offer_practice=bool(practice_questions(unit))))
    if args.feedback:
        page = markdown(unit, score, run, feedback, public=True)
        if not write_file(args.feedback, lambda p: write_atomically(p, page), "feedback"):
            return 1
    # a failing check, or an answer still to write, fails the command, so a CI run (GitHub Classroom) stays red
    # until the work is all there and right as far as the public checks can see
    return 0 if complete(score, run) else 1


def register(commands: Any) -> None:
    command = commands.add_parser(
        "check", help="run the public checks (default: on exercises/)",
        description="Run the public checks, task by task, with hints and the next step. Exit status: 0 when "
                    "every check passes, 1 while any fails (or a report cannot be written), 2 when PATH does not "
                    "exist or the course is broken.")
    command.add_argument("path", nargs="?", help=f"{SUBMISSION_HELP} (default: the course's exercises/)")
    student_option(command)
    run_options(command)
    command.set_defaults(func=cmd_check)
