"""What grade-all writes for each student, and reads back: ``<student>/feedback.md``, then ``results.json``
(written last, atomically: the mark that the student is done), each made from a graded run."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.files import write_atomically, write_json
from ..model.questions import open_questions
from ..model.results import Run
from ..model.reviews import load_reviews
from ..rendering.feedback import Feedback, markdown
from ..rendering.open_answers import review_markdown, with_reviews
from ..rendering.reports import gradescope
from ..rendering.scoring import score_run

RESULTS = "results.json"
FEEDBACK = "feedback.md"


def clean_partial(folder: Path) -> None:
    """Remove temporary files of a write that was interrupted (they start with a dot)."""
    if folder.is_dir():
        for leftover in folder.glob(".*"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def write_student(out: Path, student: str, report: dict[str, Any] | str, page: str) -> None:
    """The student's outputs: feedback first, then results.json (``report``, or its text as written elsewhere),
    the mark that the student is done."""
    folder = out / student
    write_atomically(folder / FEEDBACK, page)
    if isinstance(report, str):
        write_atomically(folder / RESULTS, report)
    else:
        write_json(folder / RESULTS, report)


def render_reports(unit: Unit, run: Run, feedback: Feedback, fingerprint: str,
                   submitted_at: datetime | None = None) -> tuple[dict[str, Any], str]:
    """The Gradescope report (with the fingerprint) and the feedback page of one graded run."""
    score = score_run(unit, run, submitted_at)
    report = gradescope(score, run, feedback)
    report["extra_data"]["fingerprint"] = fingerprint
    return report, markdown(unit, score, run, feedback)


def results(out: Path, students: list[str]) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Each student's report in ``out`` (None where there is none)."""
    for student in students:
        try:
            yield student, json.loads((out / student / RESULTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            yield student, None


def reviewed_results(unit: Unit, out: Path, students: list[str]) -> list[tuple[str, dict[str, Any] | None]]:
    """Each student's report in ``out`` with the reviews of their open answers merged in
    (``grader.rendering.open_answers.with_reviews``): what every class output is made from."""
    questions = open_questions(unit)
    found = list(results(out, students))
    if not questions:
        return found
    reviews = load_reviews(out, [question.id for question in questions])
    return [(student, with_reviews(report, questions, reviews) if report is not None else None)
            for student, report in found]


OPEN_MARK = "<!-- open questions: written by grade-all and export from the reviews -->"


def write_review_feedback(unit: Unit, out: Path, reports: list[tuple[str, dict[str, Any] | None]],
                          feedback: Feedback) -> int:
    """Each student's ``feedback.md`` with its part on the open questions as the reviews now say (replaced, never
    appended twice); returns how many pages changed."""
    questions = open_questions(unit)
    changed = 0
    for student, report in reports:
        path = out / student / FEEDBACK
        if report is None or not questions or not path.is_file():
            continue
        page = path.read_text(encoding="utf-8")
        kept = page.split(OPEN_MARK)[0].rstrip("\n") + "\n"
        part = review_markdown(report, questions, feedback)
        new = f"{kept}\n{OPEN_MARK}\n{part}" if part else kept
        if new != page:
            write_atomically(path, new)
            changed += 1
    return changed
