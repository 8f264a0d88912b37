"""``grader review OUT``: grade a class's open answers in the browser (``grader.classwork.review``)."""

from __future__ import annotations

import argparse
import sys
import webbrowser
from typing import Any

from ..model.messages import LANGUAGES
from .common import UsageError, graded_folder, unit_of, unit_option


def cmd_review(args: argparse.Namespace) -> int:
    from ..classwork.review import read_class, serve

    unit = unit_of(args)
    out = graded_folder(args.out)
    if out is None:
        return 2
    only = [name.strip() for name in args.questions.split(",") if name.strip()] if args.questions else None
    graded = read_class(unit, out, only)
    if not graded.questions:
        unknown = f" among {args.questions}" if only else ""
        print(f"grader: unit {unit.id} has no open questions{unknown} to review", file=sys.stderr)
        return 2
    if only is not None and len(graded.questions) != len(only):
        raise UsageError(f"--questions: not open questions of unit {unit.id}: "
                         f"{', '.join(sorted(set(only) - {q.id for q in graded.questions}))}")
    for problem in graded.problems:
        print(f"  ! {problem}", file=sys.stderr)
    answers = sum(len(group.students) for groups in graded.groups.values() for group in groups.values())
    kinds = sum(len(groups) for groups in graded.groups.values())
    print(f"{unit.name(args.lang or unit.language)}: {answers} answers ({kinds} different) to "
          f"{len(graded.questions)} open questions in {out}", file=sys.stderr)

    def ready(address: str) -> None:
        print(f"Review page (this machine only; the address holds its key): {address}", flush=True)
        print("Reviews are saved as they are made, in " + str(out / "reviews") + ". Ctrl+C ends.", flush=True)
        if args.open:
            webbrowser.open(address)

    serve(graded, port=args.port, blind=args.blind, by=args.by or "", lang=args.lang or unit.language,
          ready=ready, refresh=args.refresh)
    print("grader: the review page is closed; `grader export OUT` writes the reviewed points into the grades",
          file=sys.stderr)
    return 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "review", help="grade a class's open answers in the browser, with their rubrics",
        description="Serve a page on this machine where a person grades the open answers of a graded class "
                    "(grade-all's --out), one question at a time, identical answers together. Reviews are saved "
                    "as they are made in OUT/reviews/; `grader export OUT` (or grade-all again) puts them in the "
                    "grades. Exit status: 0 when the page is closed (Ctrl+C); 2 when OUT is not a graded class or "
                    "the unit has no open questions.")
    command.add_argument("out", metavar="OUT", help="grade-all's --out folder")
    unit_option(command)
    command.add_argument("--port", type=int, default=0, help="the port to serve on (default: any free one)")
    command.add_argument("--blind", action="store_true", help="hide the students' names")
    command.add_argument("--questions", metavar="ID,ID", help="review only these open questions (to split a class's "
                         "questions between reviewers)")
    command.add_argument("--by", metavar="NAME", help="your name, kept with each review you make")
    command.add_argument("--lang", choices=list(LANGUAGES), help="language of the page, the questions and the "
                         "rubrics (default: the course's)")
    command.add_argument("--open", action="store_true", help="open the page in this machine's browser")
    command.add_argument("--refresh", type=float, default=5.0, metavar="SECONDS",
                         help="how often the page reads the class again, to show regrades and other reviewers' "
                              "decisions (default: 5; 0: only when its window gets the focus)")
    command.set_defaults(func=cmd_review)
