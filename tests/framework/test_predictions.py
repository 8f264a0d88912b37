"""The ``predictions`` fixture: live predictions wait until a check needs them; recorded ones do not."""

import types

import numpy as np
import pytest

from grader.kit.checks import check_array, check_number
from grader.kit.diagnosis import Mismatch
from grader.kit.predictions import Predictions, call_key


def counting_module():
    """Course code with one prediction, counting its calls: doubling instead of tripling."""
    module = types.ModuleType("predictions")
    module.calls = []

    def triple(x):
        module.calls.append(np.array(x, copy=True))
        return [("doubled", 2 * x)]

    module.triple = triple
    return module


def test_a_right_answer_costs_no_prediction():
    module = counting_module()
    predictions = Predictions(module=module)
    check_number(9, 9, "triple(3)", suspects=predictions.triple(3))
    check_array(np.full(2, 3.0), np.full(2, 3.0), "triple(x)", suspects=predictions.triple(np.ones(2)))
    assert module.calls == []


def test_a_wrong_answer_is_matched_against_the_prediction_once():
    module = counting_module()
    predictions = Predictions(module=module)
    with pytest.raises(Mismatch) as raised:
        check_number(6, 9, "triple(3)", suspects=predictions.triple(3))
    assert raised.value.finding.mistake == "doubled"
    assert len(module.calls) == 1
    pairs = predictions.triple(3)
    assert list(pairs) == [("doubled", 6)] and len(pairs) == 1 and pairs[0] == ("doubled", 6)
    assert list(pairs) == [("doubled", 6)] and len(module.calls) == 2  # once per question asked, not per look


def test_pairs_asked_for_join_other_pairs_as_lists_do():
    module = counting_module()
    predictions = Predictions(module=module)
    extra = [("other", 1)]
    assert predictions.triple(3) + extra == [("doubled", 6), ("other", 1)]
    assert extra + predictions.triple(3) == [("other", 1), ("doubled", 6)]
    assert predictions.triple(3) == [("doubled", 6)] == predictions.triple(3)
    assert predictions.triple(3) != [("doubled", 7)]


def test_the_prediction_is_of_the_arguments_as_they_were_when_asked():
    module = counting_module()
    x = np.ones(3)
    pairs = Predictions(module=module).triple(x)
    x[:] = 5  # a test that reuses its input after asking
    assert np.array_equal(dict(pairs)["doubled"], np.full(3, 2.0))


def test_recording_asks_at_once_and_keeps_every_call():
    module = counting_module()
    recorded = {}
    pairs = Predictions(module=module, recorder=recorded).triple(3)
    assert len(module.calls) == 1 and pairs == [("doubled", 6)]
    assert recorded == {call_key("triple", (3,), {}): [("doubled", 6)]}
