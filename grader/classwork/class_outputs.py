"""The outputs of a whole class, made in one sequence by ``grade-all`` and ``export`` alike, so that each says the
same points: the feedback pages' part on the open questions and their headlines, ``grades.csv``, ``report.html``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.files import folders_below, read_below, write_below
from ..model.identity import canonical, key, refusal
from ..model.questions import open_questions
from ..rendering.feedback import Feedback
from .class_report import kept_similarity, render, similarity_section
from .exports import listed_in_grades, write_grades_csv
from .outputs import REPORT, RESULTS, results, reviewed_results, write_review_feedback


@dataclass(frozen=True)
class ClassOutputs:
    """What ``write_class_outputs`` wrote, and what the reports it made them of say."""

    reports: list[tuple[str, dict[str, Any] | None]]  # the reviews merged in: what an LMS file is made of too
    grades: Path
    report: Path
    pages: int  # feedback pages changed
    pending: dict[str, list[str]]  # open question -> the students whose answer awaits review (questions' order)
    other_unit: dict[str, str]  # student -> the unit their report was graded for: left out
    unsound: dict[str, str] = field(default_factory=dict)  # student -> why their report counts as none


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
    unsound: dict[str, str] = {}
    for student, report in reviewed_results(unit, out, students, unsound):
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
    return ClassOutputs(reports, grades, page, pages, pending, other_unit, unsound)


def _status(report: dict[str, Any] | None, question: str) -> str | None:
    """What a report with its reviews says of its answer to ``question`` (``with_reviews``), if anything; a
    submission refused as too late awaits no review."""
    extra = (report or {}).get("extra_data") or {}
    if isinstance(extra.get("late"), dict) and extra["late"].get("refused"):
        return None
    entry = extra.get("open") or {}
    return (entry.get(question) or {}).get("status")


@dataclass(frozen=True)
class Graded:
    """The students of a graded class folder, as its outputs name them, and the folders that cannot be one."""

    students: list[str]
    refused: dict[str, str]  # a folder's name -> why it is no student's (not an id, or one student twice)
    units: set[str]  # the units its reports were graded for


def graded_class(out: Path) -> Graded:
    """Every student of ``out``: each folder holding a results.json (never through a link) whose name is an id,
    and each student grades.csv lists (grade-all could not grade them); two names of one student (``Ada`` and
    ``ada``) are both refused, as grade-all refuses them."""
    refused: dict[str, str] = {}
    names: list[str] = []
    for name in folders_below(out):
        if not (out / name / RESULTS).is_file() or (out / name / RESULTS).is_symlink():
            continue
        why = refusal(name) or (None if canonical(name) == name else "not in its canonical (NFC) form")
        if why is not None:
            refused[name] = why
        else:
            names.append(name)
    students = sorted(set(names) | set(listed_in_grades(out)))
    by_key: dict[str, list[str]] = {}
    for name in students:
        by_key.setdefault(key(name), []).append(name)
    for twins in (group for group in by_key.values() if len(group) > 1):
        for name in twins:
            refused[name] = f"one student with {', '.join(other for other in twins if other != name)}"
    units = {str(unit) for _, report in results(out, students)
             if report is not None and (unit := report["extra_data"].get("unit")) is not None}
    return Graded([name for name in students if name not in refused], refused, units)
