"""Public checks, task 2b: ConvLayer and its helpers, in the order to write them."""

import numpy as np

from grader.session import fetch
from grader.testing import check_array, check_number


def test_calculate_output_size(submission):
    got = submission.conv_layer.ConvLayer.calculate_output_size(5, 3, 1, 2)
    check_number(got, 3, "calculate_output_size(5, 3, 1, 2)", integer=True)


def test_padding(submission):
    got = submission.conv_layer.padding(np.ones((2, 2)), 1)
    expected = np.zeros((4, 4))
    expected[1:3, 1:3] = 1
    check_array(got, expected, "padding(ones((2, 2)), 1)")


def test_conv(submission):
    x = np.arange(16.0).reshape(4, 4)
    output = submission.put(np.zeros((3, 3)))
    submission.conv_layer.conv(x, np.array([[1.0, 0.0], [0.0, -1.0]]), output, 1, 1.0)
    check_array(fetch(output), np.full((3, 3), -4.0), "output_array after conv with kernel [[1, 0], [0, -1]], bias 1")


def test_element_wise_op(submission):
    array = submission.put(np.array([[1.0, -2.0]]))
    submission.conv_layer.element_wise_op(array, submission.make("double"))
    check_array(fetch(array), np.array([[2.0, -4.0]]), "the array after element_wise_op(array, double)")


def test_get_patch(submission):
    x = np.arange(25.0).reshape(5, 5)
    check_array(submission.conv_layer.get_patch(x, 1, 1, 2, 2, 2), x[2:4, 2:4],
                "get_patch(x, 1, 1, 2, 2, stride=2)")


INPUT = [
    [[0, 1, 1, 0, 2], [2, 2, 2, 2, 1], [1, 0, 0, 2, 0], [0, 1, 1, 0, 0], [1, 2, 0, 0, 2]],
    [[1, 0, 2, 2, 0], [0, 0, 0, 2, 0], [1, 2, 1, 2, 1], [1, 0, 0, 0, 0], [1, 2, 1, 1, 1]],
    [[2, 1, 2, 0, 0], [1, 0, 0, 1, 0], [0, 2, 1, 0, 1], [0, 1, 2, 2, 2], [2, 1, 0, 0, 1]],
]
FILTER_WEIGHTS = [
    [[[-1, 1, 0], [0, 1, 0], [0, 1, 1]], [[-1, -1, 0], [0, 0, 0], [0, -1, 0]], [[0, 0, -1], [0, 1, 0], [1, -1, -1]]],
    [[[1, 1, -1], [-1, -1, 1], [0, -1, 1]], [[0, 1, 0], [-1, 0, -1], [-1, 1, 0]], [[-1, 0, 0], [-1, 0, 1], [-1, 0, 0]]],
]
FILTER_BIASES = [1, 0]


def test_forward_lesson_example(submission):
    layer = submission.conv_layer.ConvLayer(5, 5, 3, 3, 3, 2, 1, 2, submission.make("identity"), 0.001)
    for filter_, weights, bias in zip(layer.filters, FILTER_WEIGHTS, FILTER_BIASES):
        filter_.weights = np.array(weights, dtype=np.float64)
        filter_.bias = bias
    layer.forward(np.array(INPUT))
    expected = [[[6, 7, 5], [3, -1, -1], [2, -1, 4]], [[2, -5, -8], [1, -4, -4], [0, -5, -5]]]
    check_array(layer.output_array, np.array(expected, dtype=np.float64), "output_array for the lesson's example")
