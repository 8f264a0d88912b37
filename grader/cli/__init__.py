"""The ``grader`` command: check, grade, and the instructors' grade-all, review, export, stubs, release, validate,
mutants.

One module per command, each with its ``register`` (its options, its help, its exit statuses) and its ``cmd_``
function; ``common`` holds what they share. Every command that works on one unit takes ``--unit ID`` (default:
the course's only unit, or the one marked ``default: true``). A student bundle carries no instructors' packages
(``classwork``, ``authoring``): their commands are then not offered.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..model.course import CourseError
from ..model.reviews import ReviewsError
from ..trust import policy
from . import check, common, grade, questions
from .common import UsageError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Grade hand-written deep-learning exercises.",
        epilog="Every command exits 2 on a usage error or a broken course (one line per problem) and 130 when "
               "interrupted; `grader COMMAND --help` says what 0 and 1 mean for it.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    parser.add_argument("--course", help="folder holding course.yaml (default: found from here upwards)")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in (grade, check, questions):
        command.register(commands)
    if common.has("classwork") and common.has("authoring"):  # not in a student bundle
        from . import exports, grade_all, mutants, release, review, stubs, validate

        for command in (stubs, grade_all, exports, review, release, validate, mutants):
            command.register(commands)
    return parser


def _total_streams() -> None:
    """Let the terminal take any text: what cannot be encoded there (a lone surrogate, a character a Windows
    console's code page lacks) is written as an escape, never a crash after the work is done."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a stream that cannot be reconfigured (detached, say): as it is
                pass


def main(argv: list[str] | None = None) -> int:
    _total_streams()
    args = build_parser().parse_args(argv)
    refused = policy.refusal(getattr(args, "sandbox", "auto"))
    if refused:  # before any work: a whole class would otherwise fail one student at a time
        print(f"grader: {refused}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except CourseError as error:  # the course itself is broken (course.yaml, solution markers...)
        print(f"grader: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the grader's own files: a full disk, a missing permission
        where = f" ({error.filename})" if error.filename else ""
        print(f"grader: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except UsageError as error:
        print(f"grader: {error}", file=sys.stderr)
        return 2
    except ReviewsError as error:  # a reviews file of a graded class that cannot be read: never overwritten
        print(f"grader: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
