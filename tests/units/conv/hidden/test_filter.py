"""Hidden tests, task 2a: Filter."""

import numpy as np

from grader.kit import (
    check_array,
    check_differ,
    check_fills,
    check_number,
    check_range,
    check_repr,
    check_shape,
    check_spread,
    student_repr,
)


def test_weights_shape_is_depth_height_width(submission, predictions):
    weights = submission.filter.Filter(5, 3, 2).weights
    check_shape(weights, (2, 3, 5), "Filter(5, 3, 2).weights", suspects=predictions.filter_weights(5, 3, 2))


def test_initial_weights_are_small_and_random(submission, predictions):
    weights = submission.filter.Filter(7, 6, 4).weights
    check_shape(weights, (4, 6, 7), "Filter(7, 6, 4).weights", suspects=predictions.filter_weights(7, 6, 4))
    check_range(weights, -1e-4, 1e-4, "Filter(7, 6, 4).weights", suspects=predictions.initial_weights())
    check_spread(weights, 2e-5, "Filter(7, 6, 4).weights")


def test_initial_weights_fill_their_range(submission, predictions):
    # 4,000 weights drawn from the whole of [-1e-4, 1e-4): some land in each outer quarter of it, whatever the seed
    # (each quarter is missed with a chance of 0.75 ** 4000)
    weights = submission.filter.Filter(20, 20, 10).weights
    check_shape(weights, (10, 20, 20), "Filter(20, 20, 10).weights", suspects=predictions.filter_weights(20, 20, 10))
    check_range(weights, -1e-4, 1e-4, "Filter(20, 20, 10).weights", suspects=predictions.initial_weights())
    check_fills(weights, -1e-4, 1e-4, "Filter(20, 20, 10).weights", suspects=predictions.initial_weights())


def test_two_filters_start_differently(submission):
    first = submission.filter.Filter(3, 3, 2).weights
    second = submission.filter.Filter(3, 3, 2).weights
    check_differ(first, second, "Filter(3, 3, 2).weights")


def test_bias_starts_at_zero(submission):
    check_number(submission.filter.Filter(3, 2, 2).bias, 0, "Filter(3, 2, 2).bias")


def test_gradients_start_at_zero(submission, predictions):
    filter_ = submission.filter.Filter(4, 3, 2)
    check_array(filter_.weights_grad, np.zeros((2, 3, 4)), "Filter(4, 3, 2).weights_grad",
                suspects=predictions.filter_weights(4, 3, 2))
    check_number(filter_.bias_grad, 0, "Filter(4, 3, 2).bias_grad")


def test_get_weights_returns_the_weights(submission, rng):
    filter_ = submission.filter.Filter(3, 4, 2)
    weights = rng.uniform(-1, 1, size=(2, 4, 3))
    filter_.weights = weights
    check_array(filter_.get_weights(), weights, "filter.get_weights()")


def test_get_weights_returns_the_weights_themselves(submission, rng, predictions):
    filter_ = submission.filter.Filter(3, 4, 2)
    weights = rng.uniform(-1, 1, size=(2, 4, 3))
    filter_.weights = weights
    submission.helper("write_into_weights")(filter_, -0.5)
    check_array(filter_.weights, np.full((2, 4, 3), -0.5), "filter.weights, after filter.get_weights()[...] = -0.5",
                suspects=predictions.weights_copied(weights))


def test_get_bias_returns_the_bias(submission):
    filter_ = submission.filter.Filter(3, 3, 1)
    filter_.bias = 0.75
    check_number(filter_.get_bias(), 0.75, "filter.get_bias()")


def test_update_steps_against_the_gradient(submission, rng, predictions):
    filter_ = submission.filter.Filter(3, 2, 2)
    weights = rng.uniform(-1, 1, size=(2, 2, 3))
    gradient = rng.uniform(-1, 1, size=(2, 2, 3))
    filter_.weights = weights.copy()
    filter_.weights_grad = gradient
    filter_.update(0.1)
    check_array(filter_.weights, weights - 0.1 * gradient, "filter.weights ← filter.update(0.1)",
                suspects=predictions.update(weights, gradient, 0.1))


def test_update_moves_the_bias(submission, predictions):
    filter_ = submission.filter.Filter(2, 2, 1)
    filter_.bias = 0.5
    filter_.bias_grad = 2.0
    filter_.update(0.1)
    check_number(filter_.bias, 0.3, "filter.bias ← filter.update(0.1)",
                 suspects=predictions.update(0.5, 2.0, 0.1))


def test_repr_is_readable(submission):
    check_repr(student_repr(submission.filter.Filter(2, 2, 1)), "repr(Filter(2, 2, 1))")
