"""``grader grade``: one submission graded with the hidden suites: its table, its reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..model.files import write_atomically, write_json
from ..rendering.feedback import markdown
from ..rendering.reports import gradescope, table
from .common import (
    SUBMISSION_HELP,
    feedback_of,
    graded,
    run_options,
    student_option,
    submission_path,
    unit_for,
    write_file,
)


def cmd_grade(args: argparse.Namespace) -> int:
    unit, others = unit_for(args, Path(args.path))
    feedback = feedback_of(unit, args)
    path = submission_path(args.path)
    if path is None:
        return 2
    if others:
        print(f"grader: graded as unit {unit.id} (--unit names another: {', '.join(o.id for o in others)})",
              file=sys.stderr)
    score, run = graded(unit, path, "hidden", args)
    print(table(score, run, f"{unit.name(feedback.lang)} — {path}", feedback))
    written = True
    if args.json:
        written &= write_file(args.json, lambda p: write_json(p, gradescope(score, run, feedback)), "report")
    if args.feedback:
        page = markdown(unit, score, run, feedback)
        written &= write_file(args.feedback, lambda p: write_atomically(p, page), "feedback")
    return 0 if written else 1


def register(commands: Any) -> None:
    command = commands.add_parser(
        "grade", help="grade one submission with the hidden suites (the instructor's; students: check)",
        description="Grade one submission with the hidden suites and print its table. Exit status: 0 when grading "
                    "finished, whatever the score; 1 when a report cannot be written (nothing half-written is left); "
                    "2 when PATH does not exist or the course is broken.")
    student_option(command)
    command.add_argument("--metadata", metavar="FILE", help="Gradescope's submission_metadata.json: the student is its "
                         "first user (their sid, the Student ID of Gradescope's roster; else their email)")
    command.add_argument("path", help=SUBMISSION_HELP)
    command.add_argument("--json", metavar="FILE", help="write a Gradescope results.json here")
    command.add_argument("--submitted-at", metavar="TIME", help="when it was submitted (ISO 8601, e.g. "
                         "2026-12-01T23:59:00+08:00), for the unit's late policy (default: --metadata's created_at)")
    run_options(command)
    command.set_defaults(func=cmd_grade)
