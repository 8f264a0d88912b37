"""A class folder's submissions, one per student, named by the student's id."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# the files grade-all writes beside the students' folders in OUT: no submission may take one of their names
CLASS_FILES = ("grades.csv", "report.html", "similarity.csv", "canvas.csv", "moodle.csv")


class BadClass(ValueError):
    """A class folder that cannot be graded as it is (two submissions for one student, a name that cannot be
    written): the message says which entries and what to do."""


@dataclass(frozen=True)
class Entry:
    """One student's submission: ``student`` is the folder's name."""

    student: str
    path: Path


SUBMISSION_FILES = (".zip", ".ipynb")


def discover(folder: Path) -> list[Entry]:
    """The submissions in ``folder``, one per student, named by the student's id.

    A student's submission is a folder (``<id>/``), a zip archive (``<id>.zip``) or a notebook (``<id>.ipynb``).
    Every name a file system allows is kept exactly (commas, quotes, spaces, newlines, any script); a class is
    refused (``BadClass``) when two entries are one student (``alice/`` and ``alice.zip``), when a name is not
    text (bytes that are not UTF-8) or when it is the name of a file grade-all writes beside the students.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of submissions")
    entries: dict[str, Entry] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_symlink():
            continue
        if path.is_dir():
            entry = Entry(path.name, path)
        elif path.is_file() and path.suffix in SUBMISSION_FILES:
            entry = Entry(path.stem, path)
        else:
            continue
        try:
            entry.student.encode("utf-8")
        except UnicodeEncodeError:
            raise BadClass(f"{folder}: the name {os.fsencode(path.name)!r} is not UTF-8 text; rename it") from None
        if entry.student in CLASS_FILES:
            raise BadClass(f"{folder}: {path.name} has the name of a file grade-all writes in OUT; rename it")
        if entry.student in entries:
            other = entries[entry.student].path.name + ("/" if entries[entry.student].path.is_dir() else "")
            mine = path.name + ("/" if path.is_dir() else "")
            raise BadClass(f"{folder}: {other!r} and {mine!r} are both submissions of {entry.student!r}; "
                           "keep one")
        entries[entry.student] = entry
    return list(entries.values())
