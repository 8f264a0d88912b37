"""Public checks, task 2a: Filter."""

import numpy as np

from grader.kit import check_array, check_number, check_range, check_shape


def test_weights_shape(submission, predictions):
    check_shape(submission.filter.Filter(4, 3, 2).weights, (2, 3, 4), "Filter(4, 3, 2).weights",
                suspects=predictions.filter_weights(4, 3, 2))


def test_starts_small_with_zero_bias(submission, predictions):
    filter_ = submission.filter.Filter(3, 3, 3)
    check_range(filter_.weights, -1e-4, 1e-4, "Filter(3, 3, 3).weights", suspects=predictions.initial_weights())
    check_number(filter_.bias, 0, "Filter(3, 3, 3).bias")


def test_update(submission, predictions):
    filter_ = submission.filter.Filter(2, 2, 1)
    filter_.weights = np.ones((1, 2, 2))
    filter_.weights_grad = np.full((1, 2, 2), 2.0)
    filter_.update(0.5)
    check_array(filter_.get_weights(), np.zeros((1, 2, 2)), "filter.get_weights() ← filter.update(0.5)",
                suspects=predictions.update(np.ones((1, 2, 2)), np.full((1, 2, 2), 2.0), 0.5))
