"""The grader's pytest plugin, which the grader loads whenever it runs a course's suites (``-p grader.kit.plugin``; a
course's own pytest configuration names it too, for running them by hand).

Fixtures a suite asks for by name:

- ``submission``: the student's package, in the sandbox (``submission.<module>.<name>``);
- ``rng``: random numbers reproducible from the run's seed and the test's id;
- ``unit``: the unit whose suites these are;
- ``predictions``: the unit's predictions of its known mistakes (see ``grader.kit.predictions``);
- ``reference``: the unit's reference implementation (hidden suites only: students never have it);
- ``unit_data``: the unit's data (``data.json`` in its folder), parsed from JSON;
- ``question``: one of the unit's questions: a test that asks for it runs once per question, weighted as the
  questions file says (see ``grader.kit.questions``).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ..model.course import CourseError, find_course_root, load_course
from ..running.plugin import current_context
from .predictions import Predictions
from .questions import questions_of

# the grader's options and the submission, rng and unit fixtures
pytest_plugins = ["grader.running.plugin"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One of the unit's questions: a test that asks for ``question`` runs once per question of the unit, weighted
    as its questions file says (see ``grader.kit.questions``: ``test_question`` and ``test_answer_is_well_formed``
    are such tests)."""
    if "question" not in metafunc.fixturenames:
        return
    path = Path(str(metafunc.definition.path))
    try:
        unit = load_course(find_course_root(path.parent)).unit_of(path)
    except CourseError:
        return
    if unit is None:  # not a unit's suite: a test of its own that happens to take a `question`
        return
    metafunc.parametrize("question", [pytest.param(q, id=q.id, marks=pytest.mark.weight(q.weight))
                                      for q in questions_of(unit)])


@pytest.fixture(scope="module")
def predictions() -> Predictions:
    """The unit's predictions of its known mistakes (its ``code/predictions.py``; in a student bundle, the book
    recorded at release): ``suspects=predictions.forward(x, ...)``."""
    grading = current_context()
    code = grading.code
    if code is not None and hasattr(code, "predictions"):
        return Predictions(module=code.predictions, recorder=grading.recorder)
    return Predictions.from_book(grading.unit.content("book"))


@pytest.fixture(scope="module")
def reference() -> ModuleType:
    """The unit's reference implementation (its ``code/reference.py``): expected values, computed here. Hidden
    suites only: a student bundle has no course code."""
    grading = current_context()
    code = grading.code
    if code is None or not hasattr(code, "reference"):
        pytest.fail(f"unit {grading.unit.id} has no reference implementation here (a public suite must not need one)")
    module: ModuleType = code.reference
    return module


@pytest.fixture(scope="module")
def unit_data() -> Any:
    """The unit's data (its ``data.json``), parsed: the lesson's worked example, say."""
    grading = current_context()
    path = grading.unit.content("data")
    if path is None:
        pytest.fail(f"unit {grading.unit.id} has no data (data.json in its folder, or `data` in course.yaml)")
    return json.loads(path.read_text(encoding="utf-8"))
