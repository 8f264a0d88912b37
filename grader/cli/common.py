"""What every command shares: the course and unit it works on, the student and the submission time it was
given, writing its files, and the options several commands take."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import stat
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.course import Course, Unit, load_course
from ..model.files import folders_below
from ..model.identity import cell_id, refusal
from ..model.late import LatePolicy, describe_time
from ..model.messages import LANGUAGES
from ..model.results import Kind, Run
from ..rendering.feedback import Feedback
from ..rendering.inert import visible
from ..rendering.scoring import Score, score_run
from ..running.deadline import run_within
from ..running.pipeline import seed_for
from ..running.plugin import DEFAULT_SEED

SUBMISSION_HELP = "a submission: a folder laid out like exercises/, a .zip of one, or a notebook (.ipynb)"


class UsageError(Exception):
    """A command line the grader cannot act on; the message says why (exit status 2)."""


def course_of(args: argparse.Namespace) -> Course:
    return load_course(Path(args.course) if args.course else None)


def unit_of(args: argparse.Namespace) -> Unit:
    return course_of(args).unit(args.unit)


MAX_LISTED = 10_000  # entries of a folder looked at for the unit it is for


def unit_for(args: argparse.Namespace, path: Path | None) -> tuple[Unit, list[Unit]]:
    """The unit to check or grade ``path`` with, and the course's other units when it was not named: ``--unit``;
    else, in a course of several units, the one ``path`` is for by its names alone (nothing in it is read): a
    notebook named as a unit's notebook (``<its name>.ipynb``), or a folder holding the modules of one unit
    and none of another's; else the course's default unit."""
    course = course_of(args)
    if args.unit or len(course.units) == 1:
        return course.unit(args.unit), []
    chosen = None
    if path is not None and path.suffix.lower() == ".ipynb":
        chosen = next((u for u in course.units if u.model.notebook is not None
                       and u.model.notebook.name == path.stem), None)
    elif path is not None and path.is_dir():
        try:
            with os.scandir(path) as listing:
                names = {entry.name for _, entry in zip(range(MAX_LISTED), listing)}
        except OSError:
            names = set()
        holding = [u for u in course.units if u.modules and any(f"{m}.py" in names for m in u.modules)]
        chosen = holding[0] if len(holding) == 1 else None
    unit = chosen or course.unit(None)
    return unit, [other for other in course.units if other.id != unit.id]


def feedback_of(unit: Unit, args: argparse.Namespace) -> Feedback:
    return Feedback.for_unit(unit, args.lang)


def student_of(args: argparse.Namespace) -> str | None:
    """Whose numbers: ``--student``, else Gradescope's ``submission_metadata.json`` (its first user), else a
    ``student_id`` file here or at the course's root (a student bundle's README asks for one); each an id made
    canonical (``grader.model.identity``), or refused."""
    if getattr(args, "student", None):
        student = cell_id(str(args.student))
        why = refusal(student)
        if why is not None:
            raise UsageError(f"--student {visible(student[:60])!r}: not a student's id: {why}")
        return student
    if getattr(args, "metadata", None):
        return metadata_student(Path(args.metadata))
    for folder in (Path.cwd(), Path(args.course) if args.course else None):
        if folder is not None and (folder / "student_id").is_file():
            student = cell_id((folder / "student_id").read_text(encoding="utf-8", errors="replace")[:1000])
            why = refusal(student) if student else None
            if why is not None:
                print(f"grader: {folder / 'student_id'} holds no student's id ({why}); the default numbers are "
                      "used", file=sys.stderr)
                return None
            return student or None
    return None


def read_metadata(path: Path) -> dict[str, Any]:
    """Gradescope's ``submission_metadata.json`` ({} when it cannot be read: grading goes on without it)."""
    try:
        if path.stat().st_size > 1 << 20:
            raise ValueError("too large")
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError, RecursionError):
        return {}


def metadata_student(path: Path) -> str | None:
    """The student of Gradescope's ``submission_metadata.json``: its first user's ``sid`` (the Student ID of the
    course's roster), else their ``email``; never Gradescope's own ``id``, a number no student knows, which
    would grade everyone with numbers they never saw. None (said) when neither is there."""
    users = read_metadata(path).get("users")
    first = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    for field in ("sid", "email"):
        given = first.get(field)
        if isinstance(given, (str, int)) and not isinstance(given, bool) and str(given).strip():
            student = cell_id(str(given))
            why = refusal(student)
            if why is None:
                return student
            print(f"grader: {path}: users[0].{field} is no usable student id ({why})", file=sys.stderr)
    print(f"grader: {path} names no student (users[0].sid or .email); grading the default variant",
          file=sys.stderr)
    return None


def no_policy_note(unit: Unit) -> None:
    """Said when submission times were given for a unit without a late policy."""
    print(f"grader: unit {unit.id} has no late policy; --submitted-at changes nothing", file=sys.stderr)


def no_time_note(unit: Unit, policy: LatePolicy, how: str) -> None:
    """Said when a unit is due but no submission time was given (``how``: where one could have come from)."""
    print(f"grader: unit {unit.id} is due {describe_time(policy.due, policy.zone)}, but no submission time was given "
          f"({how}): no late penalty applied", file=sys.stderr)


def submitted_at(unit: Unit, args: argparse.Namespace) -> datetime | None:
    """When the submission was made, for the unit's late policy: ``--submitted-at``, else the Gradescope
    metadata's ``created_at``. Without a policy there is nothing to apply; without a time, no penalty (said)."""
    policy, given = unit.model.late, getattr(args, "submitted_at", None)
    if policy is None:
        if given:
            no_policy_note(unit)
        return None
    if given:
        try:
            return policy.read_time(given)
        except ValueError as error:
            raise UsageError(f"--submitted-at: {error}") from None
    created = read_metadata(Path(args.metadata)).get("created_at") if getattr(args, "metadata", None) else None
    if isinstance(created, str):
        try:
            return policy.read_time(created)
        except ValueError as error:
            print(f"grader: {args.metadata}: created_at: {error}; no late penalty applied", file=sys.stderr)
            return None
    no_time_note(unit, policy, "--submitted-at, or --metadata with created_at")
    return None


def graded(unit: Unit, path: Path, kind: Kind, args: argparse.Namespace, practice: bool = False) -> tuple[Score, Run]:
    student = student_of(args)
    moment = submitted_at(unit, args) if kind == "hidden" else None
    run = run_within(unit, path, kind, seed=seed_for(unit, student, args.seed), sandbox_mode=args.sandbox,
                     student=student, practice=practice)
    return score_run(unit, run, moment), run


def write_file(path: str, writer: Callable[[Path], None], what: str) -> bool:
    try:
        writer(Path(path))
    except OSError as error:
        print(f"grader: cannot write the {what} to {path}: {error.strerror or error}", file=sys.stderr)
        return False
    return True


def graded_folder(given: str) -> Path | None:
    """grade-all's ``--out`` folder, or None (said on stderr) when ``given`` is not a folder or holds no graded
    class: no student's ``results.json`` and no ``grades.csv`` (one that every grading failed still has it), each
    seen without following a link, as everything read back of a class is."""
    out = Path(given)
    if not out.is_dir():
        print(f"grader: {out} is not a folder of graded results (grade-all's --out)", file=sys.stderr)
        return None
    if not _regular(out / "grades.csv") and not any(_regular(out / name / "results.json")
                                                    for name in folders_below(out)):
        print(f"grader: {out} holds no graded class (no <student>/results.json, no grades.csv): give the folder "
              "grade-all wrote (its --out)", file=sys.stderr)
        return None
    return out


def _regular(path: Path) -> bool:
    """Whether ``path`` is a regular file, itself and not a link (its folder is one ``folders_below`` listed)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def submission_path(given: str) -> Path | None:
    """The submission to grade, or None (said on stderr) when nothing is there: a usage error, not a 0."""
    path = Path(given)
    if not path.exists():
        print(f"grader: {given}: no such file or folder", file=sys.stderr)
        return None
    return path


def listed(names: list[str]) -> str:
    """Students' names on one terminal line: each shown inert (a name may hold any character but ``/``)."""
    return ", ".join(visible(name) for name in names)


def count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def has(package: str) -> bool:
    """Whether this installation holds ``grader.<package>`` (a student bundle leaves the instructors' out)."""
    return importlib.util.find_spec(f"grader.{package}") is not None


def unit_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--unit", metavar="ID", help="the unit (default: the only one, or the default one)")


def run_options(command: argparse.ArgumentParser, feedback_file: bool = True) -> None:
    unit_option(command)
    command.add_argument("--seed", type=int, default=None,
                         help=f"seed of the randomized cases (default: the student's own, else {DEFAULT_SEED})")
    command.add_argument("--lang", choices=list(LANGUAGES), help="language of the feedback (default: the course's)")
    if feedback_file:
        command.add_argument("--feedback", metavar="FILE", help="write a Markdown feedback page here")
    command.add_argument("--sandbox", choices=["auto", "bwrap", "process", "portable"], default="auto",
                         help="isolation of student code (default: the strongest available)")


def student_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--student", metavar="ID", help="whose numbers the questions are (and whose random cases); "
                         "default: a student_id file here, else the default variant")
