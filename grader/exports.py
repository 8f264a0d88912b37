"""Grades out of a batch, into the instructors' own tools: a CSV file and an nbgrader gradebook.

Both are built from the per-student ``results.json`` files, so they always
agree with them, and are rewritten whole (atomically) after every batch.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from .course import Course
from .reports import write_atomically

CSV = "grades.csv"


def grades_rows(course: Course, reports: list[tuple[str, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """One row per student: score, max score, each task's score; a student without a report is marked."""
    rows = []
    for student, report in reports:
        row: dict[str, Any] = {"student": student}
        if report is None:
            row.update(score="", max_score=course.max_score, status="not graded")
        else:
            row.update(score=report["score"], max_score=report["max_score"], status="graded")
            tasks = report.get("extra_data", {}).get("tasks", {})
            for task in course.model.tasks:
                row[task.id] = tasks.get(task.id, {}).get("score", "")
        rows.append(row)
    return rows


def write_grades_csv(course: Course, out: Path, reports: list[tuple[str, dict[str, Any] | None]]) -> Path:
    columns = ["student", "score", "max_score", *[t.id for t in course.model.tasks], "status"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in grades_rows(course, reports):
        writer.writerow({column: _cell(row.get(column, "")) for column in columns})
    write_atomically(out / CSV, buffer.getvalue())
    return out / CSV


def _cell(value: Any) -> Any:
    return f"{value:g}" if isinstance(value, float) else value
