"""What grade-all writes for each student, and reads back: ``<student>/feedback.md``, ``sources.json`` (the
modules as they were graded, decoded in the sandbox: what the similarity pass compares), then ``results.json``
(written last, atomically: the mark that the student is done), each made from a graded run.

And what a graded class's outputs are made of (``grader.classwork.class_outputs`` writes them): the reports with
the reviews of their open answers merged in, and from them each feedback page's headline and part on the open
questions."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.files import clean_below, read_below, remove_below, write_below
from ..model.messages import LANGUAGES
from ..model.questions import open_questions
from ..model.results import Run
from ..model.reviews import load_reviews
from ..rendering.feedback import Feedback, markdown, with_headline
from ..rendering.open_answers import review_markdown, with_reviews
from ..rendering.reports import gradescope
from ..rendering.scoring import score_run

RESULTS = "results.json"
FEEDBACK = "feedback.md"
SOURCES = "sources.json"
REPORT = "report.html"


def clean_partial(out: Path, student: str) -> None:
    """Remove temporary files of a write into ``out/student`` that was interrupted (they start with a dot)."""
    clean_below(out, student)


def write_student(out: Path, student: str, report: dict[str, Any] | str, page: str, sources: str | None = None) -> None:
    """The student's outputs: feedback first, then what was graded (``sources``, see ``sources_text``; None: no
    module was decoded, and an earlier run's is removed), then results.json (``report``, or its text as written
    elsewhere), the mark that the student is done; never through a link in ``out``
    (``grader.model.files.write_below``)."""
    write_below(out, (student, FEEDBACK), page)
    if sources is None:
        remove_below(out, (student, SOURCES))
    else:
        write_below(out, (student, SOURCES), sources)
    text = report if isinstance(report, str) else json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    write_below(out, (student, RESULTS), text)


def render_reports(unit: Unit, run: Run, feedback: Feedback, fingerprint: str,
                   submitted_at: datetime | None = None) -> tuple[dict[str, Any], str]:
    """The Gradescope report (with the fingerprint) and the feedback page of one graded run."""
    score = score_run(unit, run, submitted_at)
    report = gradescope(score, run, feedback)
    report["extra_data"]["fingerprint"] = fingerprint
    return report, markdown(unit, score, run, feedback)


def sources_text(sources: dict[str, str], fingerprint: str) -> str:
    """What ``sources.json`` holds: the graded modules' sources (in a notebook, with the student's own cells run
    before each: ``Intake.written``), and the fingerprint of the report they belong to (a report written again
    without them leaves them no longer its own)."""
    return json.dumps({"fingerprint": fingerprint, "modules": sources}, ensure_ascii=False) + "\n"


def graded_sources(out: Path, student: str, limit: int | None = None) -> dict[str, str] | None:
    """The modules ``student`` was graded with, as ``sources.json`` keeps them beside their report; None when
    there is none that belongs to the report there (or, with ``limit``, when a file is larger)."""
    text, report = read_below(out, (student, SOURCES), limit), read_below(out, (student, RESULTS), limit)
    try:
        kept, graded = json.loads(text or "null"), json.loads(report or "null")
        fingerprint = graded["extra_data"]["fingerprint"]
    except (ValueError, KeyError, TypeError):
        return None
    modules = kept.get("modules") if isinstance(kept, dict) and kept.get("fingerprint") == fingerprint else None
    if not isinstance(modules, dict):
        return None
    if not all(isinstance(name, str) and isinstance(source, str) for name, source in modules.items()):
        return None
    return dict(modules)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e12


def unsound(report: Any) -> str | None:
    """Why ``report`` is not a report as the grader writes it (edited by hand, cut short), in a few words; None
    when every class output can be made of it. Only what those outputs read is checked."""
    if not isinstance(report, dict):
        return "not a JSON object"
    if not _number(report.get("score")) or not _number(report.get("max_score")):
        return "its score or maximum is not a number"
    extra = report.get("extra_data")
    if not isinstance(extra, dict):
        return "its extra_data is not an object"
    if not isinstance(report.get("tests", []), list) or not all(isinstance(test, dict)
                                                               for test in report.get("tests", [])):
        return "its tests are not a list of objects"
    if "execution_time" in report and not _number(report["execution_time"]):
        return "its execution_time is not a number"
    for name in ("raw_score", "auto_score"):
        if name in extra and not _number(extra[name]):
            return f"its {name} is not a number"
    for name in ("tasks", "open"):
        part = extra.get(name, {})
        if part is not None and (not isinstance(part, dict) or not all(isinstance(v, dict) for v in part.values())):
            return f"its {name} is not an object of objects"
    tasks = extra.get("tasks") or {}
    if any("score" in task and not _number(task["score"]) for task in tasks.values()):
        return "a task's score is not a number"
    late = extra.get("late")
    if late is not None and (not isinstance(late, dict) or not all(_number(late.get(name, 0)) for name in
                                                                    ("percent", "penalty", "late_by_seconds"))):
        return "its late part is not as the grader writes it"
    if not isinstance(extra.get("diagnosed_mistakes", []), list):
        return "its diagnosed mistakes are not a list"
    return None


def results(out: Path, students: list[str], problems: dict[str, str] | None = None
            ) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Each student's report in ``out`` (None where there is none, where a link stands in its way, or where it is
    not a report as the grader writes it: then ``problems`` gets why)."""
    for student in students:
        text = read_below(out, (student, RESULTS))
        why: str | None = None
        try:
            report = json.loads(text) if text is not None else None
        except (ValueError, RecursionError):
            report, why = None, "not JSON"
        else:
            why = unsound(report) if report is not None else None
        if why is not None:
            if problems is not None:
                problems[student] = why
            report = None
        yield student, report


def reviewed_results(unit: Unit, out: Path, students: list[str], problems: dict[str, str] | None = None
                     ) -> list[tuple[str, dict[str, Any] | None]]:
    """Each student's report in ``out`` with the reviews of their open answers merged in
    (``grader.rendering.open_answers.with_reviews``): what every class output is made from. A report that is not
    as the grader writes it counts as none, and ``problems`` says why."""
    questions = open_questions(unit)
    found = list(results(out, students, problems))
    if not questions:
        return found
    reviews = load_reviews(out, [question.id for question in questions])
    late_of = unit.model.late.penalty.of if unit.model.late is not None else "score"
    return [(student, with_reviews(report, questions, reviews, late_of) if report is not None else None)
            for student, report in found]


OPEN_MARK = "<!-- open questions: written by grade-all and export from the reviews -->"


def page_feedback(report: dict[str, Any], feedback: Feedback) -> Feedback:
    """How a student's page speaks: in the language their report records (the page's own), else ``feedback``'s."""
    lang = (report.get("extra_data") or {}).get("language")
    return dataclasses.replace(feedback, lang=lang) if lang in LANGUAGES else feedback


def write_review_feedback(unit: Unit, out: Path, reports: list[tuple[str, dict[str, Any] | None]],
                          feedback: Feedback) -> int:
    """Each student's ``feedback.md`` as the reviews make it, in the page's own language (``page_feedback``): its
    headline says the score and maximum of ``reports`` (made by ``reviewed_results``), its part on the open
    questions what the reviews say (replaced, never appended twice); returns how many pages changed. A unit
    without open questions has nothing to change."""
    questions = open_questions(unit)
    changed = 0
    for student, report in reports:
        if report is None or not questions:
            continue
        page = read_below(out, (student, FEEDBACK))
        if page is None:
            continue
        speaks = page_feedback(report, feedback)
        # the mark as a line of its own, as only this function writes it (a student's text in the page is always
        # in a code span: the mark inside one is not where the part on the open questions begins)
        kept = page.partition(f"\n{OPEN_MARK}\n")[0].rstrip("\n") + "\n"
        kept = with_headline(kept, float(report["score"]), float(report["max_score"]), speaks)
        part = review_markdown(report, questions, speaks)
        new = f"{kept}\n{OPEN_MARK}\n{part}" if part else kept
        if new != page:
            write_below(out, (student, FEEDBACK), new)
            changed += 1
    return changed
