"""Hidden tests, task 2a: Filter."""

import numpy as np

from grader.session import student_repr
from grader.testing import check_array, check_number


def test_weights_shape_is_depth_height_width(submission):
    filter_ = submission.filter.Filter(5, 3, 2)
    weights = filter_.weights
    assert type(weights) is np.ndarray, "Filter.weights should be a NumPy array"
    assert weights.shape == (2, 3, 5), (
        f"Filter(width=5, height=3, depth=2).weights has shape {weights.shape}; "
        "expected (2, 3, 5) — (depth, height, width)"
    )


def test_initial_weights_are_small_and_random(submission):
    weights = submission.filter.Filter(7, 6, 4).weights
    assert type(weights) is np.ndarray, "Filter.weights should be a NumPy array"
    assert weights.min() >= -1e-4 and weights.max() < 1e-4, (
        f"initial weights should lie in [-1e-4, 1e-4); found values from {weights.min():.3g} to {weights.max():.3g}"
    )
    assert weights.std() > 2e-5, "initial weights should be spread uniformly over [-1e-4, 1e-4), not constant"


def test_two_filters_start_differently(submission):
    first = submission.filter.Filter(3, 3, 2).weights
    second = submission.filter.Filter(3, 3, 2).weights
    assert not np.array_equal(first, second), "two new filters have the same weights: draw them at random"


def test_bias_starts_at_zero(submission):
    check_number(submission.filter.Filter(3, 2, 2).bias, 0, "a new filter's bias")


def test_gradients_start_at_zero(submission):
    filter_ = submission.filter.Filter(4, 3, 2)
    check_array(filter_.weights_grad, np.zeros((2, 3, 4)), "a new filter's weights_grad")
    check_number(filter_.bias_grad, 0, "a new filter's bias_grad")


def test_get_weights_returns_the_weights(submission, rng):
    filter_ = submission.filter.Filter(3, 4, 2)
    weights = rng.uniform(-1, 1, size=(2, 4, 3))
    filter_.weights = weights
    check_array(filter_.get_weights(), weights, "get_weights()")


def test_get_bias_returns_the_bias(submission):
    filter_ = submission.filter.Filter(3, 3, 1)
    filter_.bias = 0.75
    check_number(filter_.get_bias(), 0.75, "get_bias() after setting bias = 0.75")


def test_update_steps_against_the_gradient(submission, rng):
    filter_ = submission.filter.Filter(3, 2, 2)
    weights = rng.uniform(-1, 1, size=(2, 2, 3))
    gradient = rng.uniform(-1, 1, size=(2, 2, 3))
    filter_.weights = weights.copy()
    filter_.weights_grad = gradient
    filter_.update(0.1)
    check_array(filter_.weights, weights - 0.1 * gradient, "weights after update(0.1)")


def test_update_moves_the_bias(submission):
    filter_ = submission.filter.Filter(2, 2, 1)
    filter_.bias = 0.5
    filter_.bias_grad = 2.0
    filter_.update(0.1)
    check_number(filter_.bias, 0.3, "bias after update(0.1) with bias 0.5 and bias_grad 2.0")


def test_repr_is_readable(submission):
    filter_ = submission.filter.Filter(2, 2, 1)
    text = student_repr(filter_)
    assert text and " object at 0x" not in text, (
        f"repr(Filter) should describe the weights and bias; got {text[:80]!r}"
    )
