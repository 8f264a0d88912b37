"""Public checks, task 2a: Filter."""

import numpy as np

from grader.kit import check_array, check_fills, check_number, check_range, check_repr, check_shape, student_repr


def test_weights_shape(submission, predictions):
    check_shape(submission.filter.Filter(4, 3, 2).weights, (2, 3, 4), "Filter(4, 3, 2).weights",
                suspects=predictions.filter_weights(4, 3, 2))


def test_starts_small_with_zero_bias(submission, predictions):
    filter_ = submission.filter.Filter(3, 3, 3)
    check_range(filter_.weights, -1e-4, 1e-4, "Filter(3, 3, 3).weights", suspects=predictions.initial_weights())
    check_number(filter_.bias, 0, "Filter(3, 3, 3).bias")


def test_weights_fill_their_range(submission, predictions):
    # 4,000 weights drawn from the whole of [-1e-4, 1e-4): some land in each outer quarter of it, whatever the seed
    weights = submission.filter.Filter(20, 20, 10).weights
    check_range(weights, -1e-4, 1e-4, "Filter(20, 20, 10).weights", suspects=predictions.initial_weights())
    check_fills(weights, -1e-4, 1e-4, "Filter(20, 20, 10).weights", suspects=predictions.initial_weights())


def test_update(submission, predictions):
    filter_ = submission.filter.Filter(2, 2, 1)
    filter_.weights = np.ones((1, 2, 2))
    filter_.weights_grad = np.full((1, 2, 2), 2.0)
    filter_.update(0.5)
    check_array(filter_.get_weights(), np.zeros((1, 2, 2)), "filter.get_weights() ← filter.update(0.5)",
                suspects=predictions.update(np.ones((1, 2, 2)), np.full((1, 2, 2), 2.0), 0.5))


def test_get_weights_and_get_bias_return_the_filters_own(submission, predictions):
    filter_ = submission.filter.Filter(2, 2, 1)
    filter_.weights = np.ones((1, 2, 2))
    filter_.bias = 0.25
    check_number(filter_.get_bias(), 0.25, "filter.get_bias()")
    # the weights themselves, not a copy: what is written into them is the filter's
    submission.helper("write_into_weights")(filter_, 0.5)
    check_array(filter_.weights, np.full((1, 2, 2), 0.5), "filter.weights, after filter.get_weights()[...] = 0.5",
                suspects=predictions.weights_copied(np.ones((1, 2, 2))))


def test_repr_is_readable(submission):
    check_repr(student_repr(submission.filter.Filter(2, 2, 1)), "repr(Filter(2, 2, 1))")
