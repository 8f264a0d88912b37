"""The grader's light per-test protocol gives every reference submission of every unit of the real course the
outcomes pytest's own protocol gives (the framework's tests prove the rest on their fixture course)."""

from pathlib import Path

import pytest
from framework.test_protocol import assert_same_outcomes_either_way

from grader.model.course import load_course

COURSE = load_course(Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("unit_id", [unit.id for unit in COURSE.units])
def test_every_reference_submission_gets_the_same_outcomes_either_way(monkeypatch, tmp_path, unit_id):
    assert_same_outcomes_either_way(monkeypatch, tmp_path, COURSE.unit(unit_id))
