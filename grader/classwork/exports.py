"""Grades out of a batch, into the instructors' own tools: a CSV file and an nbgrader gradebook.

Both are built from the per-student ``results.json`` files, so they always
agree with them, and are rewritten whole (atomically) after every batch.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.files import csv_text, read_below, unescaped_cell, write_below
from ..model.identity import refusal
from ..model.questions import open_questions, reachable_score

CSV = "grades.csv"


def grades_rows(unit: Unit, reports: list[tuple[str, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """One row per student: the raw score, how late (hours), the penalty, the score, each task's (raw) score;
    a student without a report is marked."""
    rows = []
    for student, report in reports:
        row: dict[str, Any] = {"student": student}
        if report is None:
            row.update(raw_score="", late_by="", penalty="", score="", max_score=reachable_score(unit),
                       status="not graded")
        else:
            extra = report.get("extra_data", {})
            late = extra.get("late") or {}
            row.update(raw_score=extra.get("raw_score", report["score"]), penalty=late.get("penalty", 0.0),
                       late_by=round(late["late_by_seconds"] / 3600, 2) if "late_by_seconds" in late else "",
                       score=report["score"], max_score=report["max_score"], status="graded")
            tasks = extra.get("tasks", {})
            for task in unit.tasks:
                row[task.id] = tasks.get(task.id, {}).get("score", "")
            if "open_score" in extra:  # reviews merged in (grader.classwork.outputs.reviewed_results)
                row.update(open_score=extra["open_score"], open_pending=extra["open_pending"])
        rows.append(row)
    return rows


def grades_columns(unit: Unit) -> list[str]:
    opened = ["open_score", "open_pending"] if open_questions(unit) else []
    return ["student", "raw_score", "late_by", "penalty", "score", "max_score", *[t.id for t in unit.tasks], *opened,
            "status"]


def listed_in_grades(out: Path) -> list[str]:
    """The students of ``out``'s grades.csv, as their submissions are named (the quote ``safe_cell`` put in front
    of a name is taken off: every name reads back as itself): those grade-all could not grade have a row and no
    report, and a rewrite keeps them."""
    text = read_below(out, (CSV,))
    try:  # a spreadsheet that saved it again may have put a byte-order mark in front
        rows = list(csv.DictReader(io.StringIO((text or "").removeprefix("\ufeff"))))
    except csv.Error:
        return []
    names = [unescaped_cell(str(row.get("student") or "")) for row in rows]
    return [name for name in names if name and refusal(name) is None]


def write_grades_csv(unit: Unit, out: Path, reports: list[tuple[str, dict[str, Any] | None]]) -> Path:
    """``grades.csv`` (see the README's *Grading a class* for its columns); cells that a spreadsheet would take
    for a formula are neutralized (``grader.model.files.safe_cell``)."""
    columns = grades_columns(unit)
    rows = [columns] + [[row.get(column, "") for column in columns] for row in grades_rows(unit, reports)]
    write_below(out, (CSV,), csv_text(rows))
    return out / CSV


NOTEBOOK = "submission"  # the one notebook of the nbgrader assignment; each task is one of its grade cells


def write_nbgrader(unit: Unit, url: str, assignment: str, reports: list[tuple[str, dict[str, Any] | None]]) -> int:
    """Record every graded student's task scores in the nbgrader gradebook at ``url``; returns how many.

    The assignment gets one notebook whose grade cells are the unit's tasks
    (``max_score`` = the task's points), so ``nbgrader export`` and the
    formgrader show per-task and total scores. Re-running updates in place.
    """
    from nbgrader.api import Gradebook  # type: ignore[import-untyped,unused-ignore]  # slow: only on request

    recorded = 0
    with _alembic_reachable(), Gradebook(url) as gradebook:
        gradebook.update_or_create_assignment(assignment)
        gradebook.update_or_create_notebook(NOTEBOOK, assignment)
        for task in unit.tasks:
            gradebook.update_or_create_grade_cell(task.id, NOTEBOOK, assignment, max_score=task.points,
                                                  cell_type="code")
        opened = open_questions(unit)
        for question in opened:  # graded by a person: the reviewed points are its manual score
            gradebook.update_or_create_grade_cell(question.id, NOTEBOOK, assignment, max_score=question.points,
                                                  cell_type="markdown")
        for student, report in reports:
            if report is None:
                continue
            tasks = report.get("extra_data", {}).get("tasks", {})
            gradebook.update_or_create_student(student)
            gradebook.update_or_create_submission(assignment, student)
            for task in unit.tasks:
                grade = gradebook.find_grade(task.id, NOTEBOOK, assignment, student)
                grade.auto_score = float(tasks.get(task.id, {}).get("score", 0.0))
                grade.manual_score = None
            answers = report.get("extra_data", {}).get("open") or {}
            for question in opened:
                entry = answers.get(question.id) or {}
                grade = gradebook.find_grade(question.id, NOTEBOOK, assignment, student)
                grade.auto_score = 0.0 if not entry.get("answered") else None
                grade.manual_score = float(entry["score"]) if entry.get("status") == "reviewed" else None
            recorded += 1
        gradebook.db.commit()
    return recorded


@contextlib.contextmanager
def _alembic_reachable() -> Iterator[None]:
    """nbgrader runs the ``alembic`` command to create a gradebook: while it does, find it beside this interpreter
    if need be (pip puts it in the interpreter's own bin folder, which a version manager's shims may not cover).
    ``PATH`` is as it was afterwards."""
    if shutil.which("alembic") is not None:
        yield
        return
    before = os.environ.get("PATH")
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + (before or "")
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = before
