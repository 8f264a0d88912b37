"""A class folder's submissions, one per student, named by the student's id."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..model.identity import canonical, key, refusal

# the files grade-all writes beside the students' folders in OUT: no submission may take one of their names
# what grade-all, review and export write in OUT beside the students' folders (the reviews of open answers: a
# folder), which no student may be named: whatever the case, as a file system that ignores case sees them
CLASS_FILES = ("grades.csv", "report.html", "similarity.csv", "canvas.csv", "moodle.csv", "reviews")


class BadClass(ValueError):
    """A class folder that cannot be graded as it is (two submissions for one student, a name that cannot be
    written): the message says which entries and what to do."""


@dataclass(frozen=True)
class Entry:
    """One student's submission: ``student`` is its name, as an id (``grader.model.identity``)."""

    student: str
    path: Path


SUBMISSION_FILES = (".zip", ".ipynb")


def discover(folder: Path) -> list[Entry]:
    """The submissions in ``folder``, one per student, named by the student's id (see ``survey``)."""
    return survey(folder)[0]


def survey(folder: Path) -> tuple[list[Entry], list[str]]:
    """The submissions in ``folder``, one per student, named by the student's id; and the names of the other
    entries, which are not graded (a file of another kind, a symbolic link), for the instructor to see.

    A student's submission is a folder (``<id>/``), a zip archive (``<id>.zip``) or a notebook (``<id>.ipynb``),
    the suffix in any case (``<id>.ZIP``); a hidden entry (``.DS_Store``) is no one's.
    Its id is its name made canonical (``grader.model.identity``: Unicode NFC), and kept exactly otherwise
    (commas, quotes, any script). A class is refused (``BadClass``, naming every entry at fault) when a name is
    not text (bytes that are not UTF-8), cannot be an id (white space at an end, a control character, a mark that
    reorders text), is the name of a file grade-all writes beside the students, or is one student with another
    entry (``alice/`` and ``alice.zip``, or ``Alice`` and ``alice``): before anything is graded.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of submissions")
    entries: dict[str, Entry] = {}
    shown: dict[str, str] = {}  # by key: the entry's name as listed, to name both of two that collide
    problems: list[str] = []
    others: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() and not path.is_symlink():
            name, listed = path.name, path.name + "/"
        elif path.is_file() and not path.is_symlink() and path.suffix.lower() in SUBMISSION_FILES:
            name, listed = path.stem, path.name
        else:
            others.append(path.name)
            continue
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(f"the name {os.fsencode(path.name)!r} is not UTF-8 text; rename it")
            continue
        student = canonical(name)
        why = refusal(student)
        if why is not None:
            problems.append(f"{listed!r} cannot name a student: {why}; rename it")
            continue
        if key(student) in {key(name) for name in CLASS_FILES}:
            problems.append(f"{listed!r} has the name of a file grade-all writes in OUT; rename it")
            continue
        same = key(student)
        if same in shown:
            problems.append(f"{shown[same]!r} and {listed!r} are both submissions of {student!r}; keep one")
            continue
        shown[same] = listed
        entries[same] = Entry(student, path)
    if problems:
        raise BadClass("; ".join(f"{folder}: {problem}" for problem in problems[:20])
                       + (f"; and {len(problems) - 20} more" if len(problems) > 20 else ""))
    return list(entries.values()), others
