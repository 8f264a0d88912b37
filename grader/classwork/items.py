"""Item analysis of a graded class: for every test and every open question, how many students got it
(difficulty) and how well it separates strong submissions from weak ones (discrimination).

Built from the per-student reports as the class report reads them (``results.json`` with the reviews merged
in, ``grader.rendering.open_answers.with_reviews``). A test is known by its id (``extra_data.id`` of its entry:
``<task id>::<test name>``), never by its rendered name, which is translated and may itself hold ': '. Reports
written before tests had ids are read by matching the start of the rendered name with a task's title in any of
its languages.

Difficulty is the share of graded students who passed a test, or, for an open question, the mean fraction of
its points among the reviewed answers. Discrimination is the item-rest correlation: Pearson's r between the
item's score (1 or 0 for a test, the fraction of its points for an open question) and the student's total over
all the other items. The total is the sum of the items' points, before any late penalty, which says when the
work came in, not how good it is. It is undefined (None) with fewer than three students, or when either side
does not vary (everyone got the item, or everyone's rest is the same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from ..model.course import Unit
from ..model.questions import open_questions
from ..model.results import TEST_ID_SEPARATOR as SEPARATOR
from ..model.results import result_id

LOW_DISCRIMINATION = 0.2  # below it an item hardly tells strong submissions from weak ones
MIN_STUDENTS = 3


def _titles(unit: Unit) -> list[tuple[str, str]]:
    """(title, task id) for every title of every task in every language, longest first (a title may start
    with another)."""
    pairs = []
    for task in unit.tasks:
        titles = [task.title] if isinstance(task.title, str) else list(task.title.values())
        pairs += [(title, task.id) for title in titles]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def entry_id(unit: Unit, entry: dict[str, Any], titles: list[tuple[str, str]] | None = None) -> str:
    """A test entry's id: ``extra_data.id`` when the report has one; else, for a report written before tests had
    ids, recovered from the rendered name ``"<task title>: <test name>"`` by the task's title (in any of its
    languages), and the rendered name itself when no title matches. An id without ``::`` is a task whose tests
    could not run (a module that would not import, say)."""
    extra = entry.get("extra_data")
    given = extra.get("id") if isinstance(extra, dict) else None
    if isinstance(given, str) and given:
        return given
    name = str(entry.get("name", "?"))
    for title, task in titles if titles is not None else _titles(unit):
        if name == title:
            return task
        if name.startswith(title + ": "):
            return result_id(task, name[len(title) + 2:])
    return name


def label(unit: Unit, item_id: str) -> str:
    """What the page shows for a test: its task's English title and its name."""
    task_id, separator, name = item_id.partition(SEPARATOR)
    task = next((task for task in unit.tasks if task.id == task_id), None)
    if not separator or task is None:
        return item_id
    return f"{task.name('en')}: {name}"


@dataclass(frozen=True)
class Item:
    kind: Literal["test", "open"]
    id: str  # a test's id, or an open question's
    label: str
    students: int  # how many students the statistics count
    difficulty: float | None  # 0 (no one got it) .. 1 (everyone did); None with no student to count
    discrimination: float | None  # -1 .. 1; None where undefined

    @property
    def flag(self) -> str:
        """Why the item deserves a look ('' when it does not)."""
        if self.difficulty is not None and self.students > 0 and self.difficulty >= 1.0:
            return "everyone got it: no information"
        if self.difficulty is not None and self.students > 0 and self.difficulty <= 0.0:
            return "no one got it: no information"
        if self.discrimination is not None and self.discrimination < 0:
            return "negative: weaker submissions get it more often"
        if self.discrimination is not None and self.discrimination < LOW_DISCRIMINATION:
            return "low discrimination"
        return ""


def correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r of two lists of equal length; None with fewer than three pairs or when either does not vary."""
    n = len(xs)
    if n < MIN_STUDENTS or n != len(ys):
        return None
    mean_x, mean_y = math.fsum(xs) / n, math.fsum(ys) / n
    dx, dy = [x - mean_x for x in xs], [y - mean_y for y in ys]
    sxx, syy = math.fsum(d * d for d in dx), math.fsum(d * d for d in dy)
    if sxx <= 1e-12 * max(1.0, n) or syy <= 1e-12 * max(1.0, n):  # constant, up to rounding of the means
        return None
    return max(-1.0, min(1.0, math.fsum(a * b for a, b in zip(dx, dy)) / math.sqrt(sxx * syy)))


def _points(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def analyse(unit: Unit, graded: list[tuple[str, dict[str, Any]]]) -> list[Item]:
    """Every test (in the order the reports list them) and every open question of the unit, with its
    statistics over the graded students. A test missing from a student's report (its module would not import)
    counts as not passed."""
    titles = _titles(unit)
    tests: dict[str, dict[str, tuple[bool, float]]] = {}  # test id -> student -> (passed, points)
    for student, report in graded:
        for entry in report.get("tests") or []:
            if not isinstance(entry, dict):
                continue
            key = entry_id(unit, entry, titles)
            if SEPARATOR not in key and any(key == task.id for task in unit.tasks):
                continue  # a task that could not run: its tests are missing, and count as not passed
            tests.setdefault(key, {})[student] = (entry.get("status") == "passed", _points(entry.get("score")))
    questions = open_questions(unit)
    reviewed: dict[str, dict[str, tuple[float, float]]] = {q.id: {} for q in questions}  # -> (fraction, points)
    for student, report in graded:
        entries = (report.get("extra_data") or {}).get("open") or {}
        for question in questions:
            entry = entries.get(question.id)
            if isinstance(entry, dict) and entry.get("status") == "reviewed":
                score, possible = _points(entry.get("score")), float(question.points or 0)
                reviewed[question.id][student] = (score / possible if possible else 0.0, score)

    students = [student for student, _ in graded]
    totals = {student: math.fsum(results.get(student, (False, 0.0))[1] for results in tests.values())
              + math.fsum(answers.get(student, (0.0, 0.0))[1] for answers in reviewed.values())
              for student in students}
    items = []
    for key, results in tests.items():
        passed = [1.0 if results.get(s, (False, 0.0))[0] else 0.0 for s in students]
        rest = [totals[s] - results.get(s, (False, 0.0))[1] for s in students]
        items.append(Item("test", key, label(unit, key), len(students),
                          math.fsum(passed) / len(students) if students else None, correlation(passed, rest)))
    for question in questions:
        answers = reviewed[question.id]
        fractions = [answers[s][0] for s in students if s in answers]
        rest = [totals[s] - answers[s][1] for s in students if s in answers]
        items.append(Item("open", question.id, f"Open question {question.id}", len(fractions),
                          math.fsum(fractions) / len(fractions) if fractions else None,
                          correlation(fractions, rest)))
    return items
