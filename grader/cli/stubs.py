"""``grader stubs``: the student package generated from the solutions."""

from __future__ import annotations

import argparse
from typing import Any

from .common import course_of


def cmd_stubs(args: argparse.Namespace) -> int:
    from ..authoring.stubs import stale_files, write_stubs

    course = course_of(args)
    if args.check:
        stale = stale_files(course.source_dir, course.stubs_dir)
        if stale:
            print(f"{course.model.stubs}/ is out of date with {course.model.source}/: {', '.join(stale)}")
            print("Run `grader stubs` to regenerate it.")
            return 1
        print(f"{course.model.stubs}/ is up to date.")
        return 0
    written = write_stubs(course.source_dir, course.stubs_dir)
    print(f"wrote {len(written)} files to {course.model.stubs}/: {', '.join(written)}")
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "stubs", help="generate the student package from the solutions",
        description="Write the stubs folder from the solutions' SOLUTION regions. Exit status: 0 when written (or, "
                    "with --check, up to date); 1 with --check when it is out of date; 2 for a broken course.")
    command.add_argument("--check", action="store_true", help="only report whether it is up to date")
    command.set_defaults(func=cmd_stubs)
