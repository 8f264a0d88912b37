"""The outputs of a whole class, made in one sequence by ``grade-all`` and ``export`` alike, so that each says the
same points: the feedback pages' part on the open questions and their headlines, ``grades.csv``, ``report.html``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.files import read_below, write_below
from ..model.questions import open_questions
from ..rendering.feedback import Feedback
from .class_report import kept_similarity, render, similarity_section
from .exports import write_grades_csv
from .outputs import REPORT, reviewed_results, write_review_feedback


@dataclass(frozen=True)
class ClassOutputs:
    """What ``write_class_outputs`` wrote, and what the reports it made them of say."""

    reports: list[tuple[str, dict[str, Any] | None]]  # the reviews merged in: what an LMS file is made of too
    grades: Path
    report: Path
    pages: int  # feedback pages changed
    pending: dict[str, list[str]]  # open question -> the students whose answer awaits review (questions' order)
    other_unit: dict[str, str]  # student -> the unit their report was graded for: left out


NOT_KEPT = ("the code is compared by grade-all, and the report.html this one replaced held no section on it "
            "(run grade-all again to compare)")


def write_class_outputs(unit: Unit, out: Path, students: list[str], feedback: Feedback,
                        similarity: Callable[[], str] | None = None) -> ClassOutputs:
    """The class's outputs in ``out``, made from each of ``students``' reports there with the reviews merged in
    (``reviewed_results``; a report graded for another unit is left out): the feedback pages
    (``write_review_feedback``), ``grades.csv``, then ``report.html``. ``similarity`` makes the class report's
    section on similar submissions, called once the grades are written (grade-all compares the code then: a
    long pass, and the grades are safe should it fail); None keeps the section of the report.html already there
    (export compares nothing)."""
    reports: list[tuple[str, dict[str, Any] | None]] = []
    other_unit: dict[str, str] = {}
    for student, report in reviewed_results(unit, out, students):
        graded_for = (report.get("extra_data") or {}).get("unit", unit.id) if report is not None else unit.id
        if graded_for != unit.id:
            other_unit[student] = str(graded_for)
        else:
            reports.append((student, report))
    pages = write_review_feedback(unit, out, reports, feedback)
    grades = write_grades_csv(unit, out, reports)
    if similarity is not None:
        section = similarity()
    else:
        section = kept_similarity(read_below(out, (REPORT,))) or similarity_section(None, NOT_KEPT)
    page = write_below(out, (REPORT,), render(unit, reports, feedback.hints, section))
    pending: dict[str, list[str]] = {}
    for question in open_questions(unit):
        waiting = [student for student, report in reports if _status(report, question.id) == "awaiting review"]
        if waiting:
            pending[question.id] = waiting
    return ClassOutputs(reports, grades, page, pages, pending, other_unit)


def _status(report: dict[str, Any] | None, question: str) -> str | None:
    """What a report with its reviews says of its answer to ``question`` (``with_reviews``), if anything."""
    entry = ((report or {}).get("extra_data") or {}).get("open") or {}
    return (entry.get(question) or {}).get("status")
