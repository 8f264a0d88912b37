"""``grader release``: the student bundle, the autograder and the nbgrader notebook of a unit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import course_of, unit_of, unit_option


def cmd_release(args: argparse.Namespace) -> int:
    from ..authoring.release import release, release_course

    course = course_of(args)
    if args.unit is None and len(course.units) > 1 and not (args.assignment or args.notebook):
        written = release_course(course.units, Path(args.out))  # the whole course, one bundle for students
    else:
        written = release(unit_of(args), Path(args.out), args.assignment, args.notebook)
    for path in written:
        print(f"wrote {path}")
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "release", help="build student.zip, autograder.zip and the nbgrader notebook",
        description="Build the artefacts in memory, then write them: with --unit, that unit's (student.zip, "
                    "autograder.zip, its nbgrader notebook); without it, the whole course's (one student.zip with "
                    "every unit, and per unit UNIT/autograder.zip and its nbgrader notebook). Exit status: 0 when "
                    "written; 1 when "
                    "they cannot be written; 2 when the unit cannot be released (one line per problem; nothing is "
                    "written).")
    command.add_argument("--out", required=True, help="folder to write the artefacts into")
    command.add_argument("--assignment", help="the nbgrader assignment's name (default: the unit's notebook's)")
    command.add_argument("--notebook", help="the nbgrader notebook's name (default: the unit's notebook's)")
    unit_option(command)
    command.set_defaults(func=cmd_release)
