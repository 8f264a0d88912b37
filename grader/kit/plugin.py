"""The grader's pytest plugin, as a course's ``tests/conftest.py`` names it: ``pytest_plugins = ["grader.kit.plugin"]``.

Fixtures a suite asks for by name:

- ``submission``: the student's package, in the sandbox (``submission.<module>.<name>``);
- ``rng``: random numbers reproducible from the run's seed and the test's id;
- ``unit``: the unit whose suites these are;
- ``predictions``: the unit's predictions of its known mistakes (see ``grader.kit.predictions``);
- ``reference``: the unit's reference implementation (hidden suites only: students never have it);
- ``unit_data``: the unit's data file (``data`` in course.yaml), parsed from JSON.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest

from ..running.plugin import GradingContext
from .predictions import Predictions

# the grader's options and the submission, rng and unit fixtures
pytest_plugins = ["grader.running.plugin"]


@pytest.fixture
def predictions(grading: GradingContext) -> Predictions:
    code = grading.code
    if code is not None and hasattr(code, "predictions"):
        return Predictions(module=code.predictions, recorder=grading.recorder)
    return Predictions.from_book(grading.unit.path(grading.unit.model.book))


@pytest.fixture
def reference(grading: GradingContext) -> ModuleType:
    code = grading.code
    if code is None or not hasattr(code, "reference"):
        pytest.fail(f"unit {grading.unit.id} has no reference implementation here (a public suite must not need one)")
    module: ModuleType = code.reference
    return module


@pytest.fixture
def unit_data(grading: GradingContext) -> Any:
    path = grading.unit.path(grading.unit.model.data)
    if path is None:
        pytest.fail(f"unit {grading.unit.id} declares no `data` in course.yaml")
    return json.loads(path.read_text(encoding="utf-8"))
