"""``grader validate``: every unit (or one) proved sound."""

from __future__ import annotations

import argparse
from typing import Any

from ..running.plugin import DEFAULT_SEED
from .common import course_of


def cmd_validate(args: argparse.Namespace) -> int:
    from ..authoring.validate import validate

    course = course_of(args)
    units = [course.unit(args.unit)] if args.unit else course.units
    return validate(units, args.seed, args.sandbox, mutants=not args.no_mutants)


def register(commands: Any) -> None:
    command = commands.add_parser(
        "validate", help="check that the course is sound (every unit, or --unit ID)",
        description="Prove each unit sound: solutions full marks, stubs 0, every correct style full marks, every "
                    "known mistake caught with its hint, every mutant of the solutions caught by the hidden suites "
                    "or listed as no mistake (`grader mutants`). Exit status: 0 when sound; 1 when a problem was "
                    "found (each is listed); 2 when course.yaml itself is broken.")
    command.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the randomized cases")
    command.add_argument("--sandbox", choices=["auto", "bwrap", "process", "portable"], default="auto",
                         help="isolation of student code (default: the strongest available)")
    command.add_argument("--unit", metavar="ID", help="validate this unit only (default: every unit)")
    command.add_argument("--no-mutants", action="store_true",
                         help="leave out the mutants (quicker while a suite is being written; CI keeps them)")
    command.set_defaults(func=cmd_validate)
