"""Public checks, task 2a: Filter."""

import numpy as np

from grader.testing import check_array, check_number


def test_weights_shape(submission):
    weights = submission.filter.Filter(4, 3, 2).weights
    assert type(weights) is np.ndarray and weights.shape == (2, 3, 4), (
        "Filter(width=4, height=3, depth=2).weights should have shape (2, 3, 4)"
    )


def test_starts_small_with_zero_bias(submission):
    filter_ = submission.filter.Filter(3, 3, 3)
    assert np.abs(filter_.weights).max() <= 1e-4, "initial weights should lie in [-1e-4, 1e-4)"
    check_number(filter_.bias, 0, "a new filter's bias")


def test_update(submission):
    filter_ = submission.filter.Filter(2, 2, 1)
    filter_.weights = np.ones((1, 2, 2))
    filter_.weights_grad = np.full((1, 2, 2), 2.0)
    filter_.update(0.5)
    check_array(filter_.get_weights(), np.zeros((1, 2, 2)), "weights after update(0.5) with all gradients 2")
