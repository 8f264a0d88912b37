"""Grades into the learning management system: a Canvas or a Moodle grade import file, from a roster.

The roster is the class list as a CSV file (a Canvas gradebook export serves
as it is); ``course.yaml``'s ``roster:`` says which column holds each
student's id (as their submission is named) and which roster column each LMS
column is copied from. Every roster student gets a row: a student with no
grade gets an empty cell, never a 0 (an LMS reads empty as "not graded"). A
graded submission with no roster row is left out of the file and named.
The cells by which the LMS finds each student (Canvas's ID, SIS User ID and
SIS Login ID; Moodle's identifier) are copied exactly as the roster has them:
a quote put before one that starts like a formula (as every other cell gets,
for a spreadsheet) would make it an id the LMS does not know, and the grade
would be lost.

Canvas (gradebook import)::

    Student,ID,SIS User ID,SIS Login ID,Section,<assignment title> (<assignment id>)
    Points Possible,,,,,<the points a score can reach, the open questions' included>
    <one row per roster student>

Moodle (grade import, "Import grades: CSV file")::

    Email address,<assignment title>        (or ID number, with --moodle-id idnumber)
    <one row per roster student>
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..model.course import CANVAS_COLUMNS, Roster, Unit
from ..model.files import MAX_CSV_FIELD, csv_rows, csv_text
from ..model.identity import cell_id, key, refusal
from ..model.questions import reachable_score
from ..rendering.inert import visible

Lms = Literal["canvas", "moodle"]
MoodleId = Literal["email", "idnumber"]
MOODLE_HEADERS: dict[MoodleId, str] = {"email": "Email address", "idnumber": "ID number"}
FILES: dict[Lms, str] = {"canvas": "canvas.csv", "moodle": "moodle.csv"}
MAX_BYTES = 16 << 20
CANVAS_IDS = ("ID", "SIS User ID", "SIS Login ID")  # the columns by which Canvas finds a row's student
MAX_COLUMNS = 1000  # a Canvas gradebook export has a column per assignment: a few hundred in a long course


class RosterError(ValueError):
    """The roster cannot be used: unreadable, or without the columns it needs."""


@dataclass
class ClassList:
    """The roster's rows, by student id, in the roster's order."""

    columns: list[str]
    rows: dict[str, dict[str, str]]
    problems: list[str] = field(default_factory=list)  # rows that could not be used


def read_roster(path: Path, id_column: str, wanted: set[str] | None = None) -> ClassList:
    """Read the roster at ``path``; each row's student is its ``id_column`` cell, an id as a submission's name is
    (``grader.model.identity``: found by the same key). Only the columns ``wanted`` (and the id's) are kept, and
    a roster of more than ``MAX_COLUMNS`` columns is refused: each row costs the columns kept, however wide."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise RosterError(f"the roster {path} is larger than {MAX_BYTES >> 20} MB")
        text = path.read_bytes().decode("utf-8-sig")  # a spreadsheet's UTF-8 export starts with a byte-order mark
    except OSError as error:
        raise RosterError(f"cannot read the roster {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise RosterError(f"the roster {path} is not UTF-8 text (save it as CSV UTF-8)") from None
    rows = csv_rows(text)
    header = next(((number, row) for number, row in rows if row is None or any(cell.strip() for cell in row)), None)
    if header is not None and header[1] is None:
        raise RosterError(f"the roster {path.name}: line {header[0]}: a cell is longer than {MAX_CSV_FIELD >> 10} KiB")
    found = header[1] if header is not None and header[1] is not None else []
    if len(found) > MAX_COLUMNS:
        raise RosterError(f"the roster {path.name} has {len(found)} columns; at most {MAX_COLUMNS} are read (save "
                          "only the class list's columns)")
    columns = [name.strip() for name in found]
    if id_column not in columns:
        raise RosterError(f"the roster {path.name} has no column {id_column!r} (its columns: "
                          f"{', '.join(repr(c[:60]) for c in columns[:50]) or 'none'}); name the id column with "
                          "--roster-id or `roster: id:` in course.yaml")
    kept = [(index, name) for index, name in enumerate(columns)
            if name == id_column or wanted is None or name in wanted]
    at = columns.index(id_column)
    roster = ClassList(columns, {})
    keys: set[str] = set()
    for number, cells in rows:
        if cells is None:
            roster.problems.append(f"{path.name}:{number}: a cell is longer than {MAX_CSV_FIELD >> 10} KiB; "
                                   "row left out")
            continue
        row = {name: cells[index].strip() if index < len(cells) else "" for index, name in kept}
        student = cell_id(cells[at]) if at < len(cells) else ""
        if not student:
            if any(row.values()) and "points possible" not in " ".join(row.values()).lower():
                roster.problems.append(f"{path.name}:{number}: no {id_column}; row left out")
            continue
        why = refusal(student)
        if why is not None:
            roster.problems.append(f"{path.name}:{number}: {visible(student[:60])} cannot be a student's id: {why}; "
                                   "row left out")
            continue
        if key(student) in keys:
            roster.problems.append(f"{path.name}:{number}: {visible(student[:60])} appears again; the first row "
                                   "counts")
            continue
        keys.add(key(student))
        roster.rows[student] = row
    return roster


@dataclass
class Export:
    """An LMS file, and who it could not place."""

    text: str
    without_grade: list[str]  # roster students with an empty cell
    without_roster: list[str]  # graded submissions the roster does not list (left out)


def _grade(score: float | None) -> float | str:
    return "" if score is None else round(score, 2)


def canvas(unit: Unit, scores: dict[str, float | None], roster: ClassList, mapping: Roster, title: str,
           assignment_id: str | None) -> Export:
    """Canvas's gradebook import file (see the module's docstring)."""
    column = f"{title} ({assignment_id})" if assignment_id else title
    rows: list[list[Any]] = [[*CANVAS_COLUMNS, column],
                             ["Points Possible", "", "", "", "", round(reachable_score(unit), 2)]]
    without_grade = []
    found = _by_key(scores)
    for student, row in roster.rows.items():
        score = found.get(key(student))
        if score is None:
            without_grade.append(student)
        rows.append([*(row.get(mapping.canvas[name], "") for name in CANVAS_COLUMNS), _grade(score)])
    exact = tuple(CANVAS_COLUMNS.index(name) for name in CANVAS_IDS)
    return Export(csv_text(rows, exact), without_grade, _without_roster(scores, roster))


def _by_key(scores: dict[str, float | None]) -> dict[str, float | None]:
    """The scores by the key of each student's id: a roster finds each student as a class folder does."""
    return {key(student): score for student, score in scores.items()}


def _without_roster(scores: dict[str, float | None], roster: ClassList) -> list[str]:
    listed = {key(student) for student in roster.rows}
    return sorted(student for student in scores if key(student) not in listed)


def wanted_columns(mapping: Roster) -> set[str]:
    """The roster columns an LMS file is made of: the id's, and those its columns are copied from."""
    return {mapping.id, *mapping.canvas.values(), *mapping.moodle.values(), *MOODLE_HEADERS.values()}


def moodle(scores: dict[str, float | None], roster: ClassList, mapping: Roster, title: str,
           identifier: MoodleId) -> Export:
    """Moodle's grade import file (see the module's docstring); a roster row without the identifier is named."""
    source = mapping.moodle.get(identifier, MOODLE_HEADERS[identifier])
    if source not in roster.columns:
        raise RosterError(f"the roster has no column {source!r} for Moodle's {MOODLE_HEADERS[identifier]} (set "
                          f"`roster: moodle: {identifier}:` in course.yaml, or choose --moodle-id)")
    rows: list[list[Any]] = [[MOODLE_HEADERS[identifier], title]]
    without_grade = []
    found = _by_key(scores)
    for student, row in roster.rows.items():
        if not row.get(source):
            roster.problems.append(f"{visible(student)}: no {source} in the roster; left out of the Moodle file")
            continue
        score = found.get(key(student))
        if score is None:
            without_grade.append(student)
        rows.append([row[source], _grade(score)])
    return Export(csv_text(rows, exact=(0,)), without_grade, _without_roster(scores, roster))
