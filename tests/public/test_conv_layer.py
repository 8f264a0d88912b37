"""Public checks, task 2b: ConvLayer and its helpers, in the order to write them."""

import numpy as np

from grader import suspects
from grader.session import fetch
from grader.testing import check_array, check_number, diagnosing


def test_calculate_output_size(submission):
    got = submission.conv_layer.ConvLayer.calculate_output_size(5, 3, 1, 2)
    check_number(got, 3, "calculate_output_size(5, 3, 1, 2)", integer=True, suspects=suspects.output_size(5, 3, 1, 2))


def test_padding(submission):
    got = submission.conv_layer.padding(np.ones((2, 2)), 1)
    expected = np.zeros((4, 4))
    expected[1:3, 1:3] = 1
    check_array(got, expected, "padding(ones((2, 2)), 1)", suspects=suspects.padding(np.ones((2, 2)), 1))


def test_conv(submission):
    x, kernel = np.arange(16.0).reshape(4, 4), np.array([[1.0, 2.0], [0.0, -1.0]])
    output = submission.put(np.zeros((3, 3)))
    submission.conv_layer.conv(x, kernel, output, 1, 1.0)
    check_array(fetch(output), np.array([[-2.0, 0.0, 2.0], [6.0, 8.0, 10.0], [14.0, 16.0, 18.0]]),
                "output_array ← conv(x, [[1, 2], [0, -1]], output_array, 1, 1.0)",
                suspects=suspects.conv(x, kernel, 1, 1.0, np.zeros((3, 3))))


def test_element_wise_op(submission):
    array = submission.put(np.array([[1.0, -2.0]]))
    submission.conv_layer.element_wise_op(array, submission.make("double"))
    check_array(fetch(array), np.array([[2.0, -4.0]]), "array ← element_wise_op(array, double)",
                suspects=suspects.element_wise_op(np.array([[1.0, -2.0]])))


def test_get_patch(submission):
    x = np.arange(25.0).reshape(5, 5)
    check_array(submission.conv_layer.get_patch(x, 1, 2, 3, 2, 2), x[2:4, 4:7],
                "get_patch(x, 1, 2, 3, 2, 2)", suspects=suspects.get_patch(x, 1, 2, 3, 2, 2))


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
    x = np.array(INPUT)
    with diagnosing(lambda: suspects.forward_error(layer, submission.conv_layer, x, 1, 2, (3, 3), (2, 3, 3))):
        layer.forward(x)
    expected = [[[6, 7, 5], [3, -1, -1], [2, -1, 4]], [[2, -5, -8], [1, -4, -4], [0, -5, -5]]]
    weights = [np.array(w, dtype=np.float64) for w in FILTER_WEIGHTS]
    check_array(layer.output_array, np.array(expected, dtype=np.float64),
                "layer.output_array ← layer.forward(x), the lesson's x",
                suspects=suspects.forward(np.array(INPUT), weights, FILTER_BIASES, 1, 2, lambda a: a))
