"""``grader mutants``: the plausible bugs each unit's hidden suites let through."""

from __future__ import annotations

import argparse
from typing import Any

from ..running.plugin import DEFAULT_SEED
from .common import course_of


def cmd_mutants(args: argparse.Namespace) -> int:
    from ..authoring.mutants import run

    course = course_of(args)
    units = [course.unit(args.unit)] if args.unit else course.units
    return run(units, args.seed, args.sandbox, args.jobs)


def register(commands: Any) -> None:
    command = commands.add_parser(
        "mutants", help="grade small changes of the solutions: the bugs the hidden suites let through",
        description="Make every mutant of each unit's solution regions (an operator, a constant off by one, a "
                    "slice bound, a dropped statement, = for +=, two arguments swapped, a loop's range), grade "
                    "each with the unit's hidden suites, and print the share caught per task and per unit, and "
                    "every survivor as file:line with its lines before and after. A survivor that is no mistake "
                    "is listed in the unit's survivors.yaml with the reason (docs/authoring.md). Exit status: 0 "
                    "when every survivor is listed; 1 when one is not, or a listed one is caught now or made no "
                    "more.")
    command.add_argument("--unit", metavar="ID", help="this unit only (default: every unit)")
    command.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the randomized cases")
    command.add_argument("--jobs", type=int, metavar="N", help="mutants graded at a time (default: one per core)")
    command.add_argument("--sandbox", choices=["auto", "bwrap", "process", "portable"], default="auto",
                         help="isolation of student code (default: the strongest available)")
    command.set_defaults(func=cmd_mutants)
