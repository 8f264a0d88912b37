"""What a grade depends on, as one digest: the course (its hidden suites and the content they use, and the
grader), the seed, the submission's time, and what grading reads of the submission (``grader.running.transport``:
its module files, answers files, notebooks or archive, names and bytes). A class graded again grades only the
submissions whose fingerprint changed (``to_grade``)."""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..model.course import Unit
from ..model.files import read_below
from ..running.pipeline import seed_for
from ..running.transport import Carried, carry
from .discovery import Entry
from .outputs import RESULTS


def course_fingerprint(unit: Unit) -> str:
    """What every grade depends on besides the submission: course.yaml, the unit's hidden suites and the
    course content they use (hints, code, helpers, data), and the grader itself."""
    digest = hashlib.sha256(__version__.encode())
    paths = [unit.root / "course.yaml", *sorted(unit.suite_dir("hidden").rglob("*.py"))]
    for key in ("hints", "helpers", "data", "questions", "generators"):
        found = unit.content(key)
        if found is not None:
            paths.append(found)
    code = unit.content("code")
    if code is not None:
        paths += sorted(code.rglob("*.py"))
    for path in paths:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    digest.update(grader_digest().encode())  # the whole grader
    return digest.hexdigest()


@functools.cache
def grader_digest() -> str:
    """The grader's own code, as a digest of its modules (their paths in the package and their bytes): two
    machines with the same digest grade alike."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def submission_fingerprint(course: str, carried: Carried, seed: int, submitted_at: datetime | None = None) -> str:
    """The grade's inputs: the course, the seed, the submission's time (the late policy reads it), and what
    grading reads of the submission (``Carried.digest``: the module files, the answers files, the notebooks or
    the archive, each bounded; files beside them change nothing and cost nothing). A submission past those
    bounds is refused unread, and graded again every time: its fingerprint never matches a report's."""
    moment = submitted_at.isoformat() if submitted_at is not None else ""
    read = carried.digest()
    if read is None:
        return f"unread:{uuid.uuid4().hex}"
    return hashlib.sha256(f"{course}\0{seed}\0{moment}\0{read}".encode()).hexdigest()


def up_to_date(out: Path, student: str, expected: str) -> bool:
    """Whether the student's report in ``out`` (read without following a link) was made of this very
    submission, course and seed."""
    text = read_below(out, (student, RESULTS))
    try:
        return text is not None and bool(json.loads(text)["extra_data"]["fingerprint"] == expected)
    except (ValueError, KeyError, TypeError, RecursionError):
        return False


def to_grade(unit: Unit, entries: list[Entry], out: Path, seed: int | None, force: bool,
         times: dict[str, datetime] | None = None, lang: str = "") -> tuple[list[tuple[Entry, str]], list[str]]:
    """Which submissions need grading (with their fingerprints), and which are up to date. The feedback's
    language is part of the fingerprint: a class graded again with another ``--lang`` gets its feedback in it."""
    course = course_fingerprint(unit) + (f"\0lang={lang}" if lang else "")
    todo, skipped = [], []
    for entry in entries:
        carried = carry(entry.path, list(unit.modules), unit.limits.source_kb)
        fingerprint = submission_fingerprint(course, carried, seed_for(unit, entry.student, seed),
                                             (times or {}).get(entry.student))
        if not force and up_to_date(out, entry.student, fingerprint):
            skipped.append(entry.student)
        else:
            todo.append((entry, fingerprint))
    return todo, skipped
