"""What a grade depends on, as one digest: the course (its hidden suites and the content they use, and the
grader), the seed, the submission's time, and every file of the submission (names and bytes). A class graded
again grades only the submissions whose fingerprint changed (``to_grade``)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..model.course import Unit
from ..running.pipeline import seed_for
from .discovery import Entry
from .outputs import RESULTS

HASHED_BYTES = 64 * 1024 * 1024  # a larger file of a submission is fingerprinted by its size and time, not read


def _submission_files(root: Path, limit: int) -> list[Path]:
    """The first ``limit`` files and folders under ``root``, in a fixed order, found without recursion (a
    folder nested thousands deep is no harder than a flat one) and without following links."""
    found: list[Path] = []
    pending = [root]
    while pending and len(found) < limit:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                names = sorted(entry.name for _, entry in zip(range(limit), listing))
        except OSError:
            continue
        children = [folder / name for name in names]
        found += children
        pending += reversed([child for child in children if child.is_dir() and not child.is_symlink()])
    return sorted(found[:limit])


def _file_digest(path: Path) -> bytes:
    """A file's bytes for the fingerprint: its content's hash, or its size and time when too large to read."""
    info = path.stat()
    if info.st_size > HASHED_BYTES:
        return f"S{info.st_size}:{info.st_mtime_ns}".encode()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return b"F" + digest.digest()


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


def submission_fingerprint(course: str, entry: Entry, seed: int, submitted_at: datetime | None = None,
                limit: int = 2000) -> str:
    """The grade's inputs: the course, the seed, the submission's time (the late policy reads it), and every
    file of the submission (names and bytes)."""
    moment = submitted_at.isoformat() if submitted_at is not None else ""
    digest = hashlib.sha256(f"{course}\0{seed}\0{moment}".encode())
    paths = [entry.path] if entry.path.is_file() else _submission_files(entry.path, limit)
    for path in paths:
        digest.update(os.fsencode(path.relative_to(entry.path.parent)) + b"\0")
        try:
            if path.is_symlink():
                digest.update(b"L" + os.fsencode(os.readlink(path)))
            elif path.is_file():
                digest.update(_file_digest(path))
        except OSError as error:
            digest.update(f"E{error.errno}".encode())
    return digest.hexdigest()


def up_to_date(folder: Path, expected: str) -> bool:
    try:
        data = json.loads((folder / RESULTS).read_text(encoding="utf-8"))
        return bool(data["extra_data"]["fingerprint"] == expected)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def to_grade(unit: Unit, entries: list[Entry], out: Path, seed: int | None, force: bool,
         times: dict[str, datetime] | None = None, lang: str = "") -> tuple[list[tuple[Entry, str]], list[str]]:
    """Which submissions need grading (with their fingerprints), and which are up to date. The feedback's
    language is part of the fingerprint: a class graded again with another ``--lang`` gets its feedback in it."""
    course = course_fingerprint(unit) + (f"\0lang={lang}" if lang else "")
    todo, skipped = [], []
    for entry in entries:
        fingerprint = submission_fingerprint(course, entry, seed_for(unit, entry.student, seed),
                                             (times or {}).get(entry.student))
        if not force and up_to_date(out / entry.student, fingerprint):
            skipped.append(entry.student)
        else:
            todo.append((entry, fingerprint))
    return todo, skipped
