"""Public checks, task 2: the backward pass."""

import numpy as np

from grader.kit import check_array


def test_get_max_index(submission, predictions):
    # one maximum, off the diagonal: (row, column) and (column, row) differ, and no tie blurs them
    window = np.array([[1.0, 2.0, 0.0], [4.0, 3.0, 1.0]])
    got = submission.max_pooling.get_max_index(window)
    check_array(np.array(got), np.array([1, 0]), "get_max_index([[1, 2, 0], [4, 3, 1]])",
                suspects=[(m, np.array(v)) for m, v in predictions.max_index(window)])


def test_get_max_index_of_tied_maxima(submission, predictions):
    # two maxima on the diagonal: the first, row by row, is (0, 0); the last is (1, 1) either way round
    window = np.array([[3.0, 1.0], [2.0, 3.0]])
    got = submission.max_pooling.get_max_index(window)
    check_array(np.array(got), np.array([0, 0]), "get_max_index([[3, 1], [2, 3]])",
                suspects=[(m, np.array(v)) for m, v in predictions.max_index(window)])


def backward(submission, x, sensitivity, filter_hw, stride):
    channels, height, width = x.shape
    layer = submission.max_pooling.MaxPoolingLayer(width, height, channels, filter_hw[1], filter_hw[0], stride)
    layer.forward(x)
    layer.backward(x, sensitivity)
    return layer.delta_array


def test_backward_example(submission, predictions, unit_data):
    x = np.array(unit_data["input"], dtype=np.float64)
    sensitivity = np.array(unit_data["sensitivity"], dtype=np.float64)
    got = backward(submission, x, sensitivity, unit_data["filter"], unit_data["stride"])
    check_array(got, np.array(unit_data["delta"], dtype=np.float64),
                "layer.delta_array ← layer.backward(example_x, example_sensitivity)",
                suspects=predictions.backward(x, sensitivity, *unit_data["filter"], unit_data["stride"]))


def test_backward_with_tied_maxima(submission, predictions):
    x = np.array([[[1, 1, 0, 2], [0, 1, 2, 2]]], dtype=np.float64)
    sensitivity = np.array([[[5.0, -3.0]]])
    expected = np.array([[[5, 0, 0, -3], [0, 0, 0, 0]]], dtype=np.float64)
    check_array(backward(submission, x, sensitivity, (2, 2), 2), expected,
                "layer.delta_array ← layer.backward([[[1, 1, 0, 2], [0, 1, 2, 2]]], [[[5, -3]]])",
                suspects=predictions.backward(x, sensitivity, 2, 2, 2))


def test_backward_with_overlapping_windows(submission, predictions):
    # 2x2 windows at stride 1 all hold the 5: its error term is the sum of the four windows' terms
    x = np.array([[[0, 1, 0], [0, 5, 0], [0, 0, 2]]], dtype=np.float64)
    sensitivity = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    expected = np.array([[[0, 0, 0], [0, 10, 0], [0, 0, 0]]], dtype=np.float64)
    check_array(backward(submission, x, sensitivity, (2, 2), 1), expected,
                "layer.delta_array after layer.backward(x, sensitivity), 2x2 windows at stride 1",
                suspects=predictions.backward(x, sensitivity, 2, 2, 1))


def test_backward_twice_gives_the_same_error_terms(submission, predictions):
    # a layer runs backward once per sample: the same input and error terms give the same result again
    x = np.array([[[1, 9, 2, 0], [4, 0, 8, 2], [5, 5, 0, 6], [0, 3, 1, 1]]], dtype=np.float64)
    sensitivity = np.array([[[1.0, -2.0], [3.0, 0.5]]])
    layer = submission.max_pooling.MaxPoolingLayer(4, 4, 1, 2, 2, 2)
    for _ in range(2):
        layer.forward(x)
        layer.backward(x, sensitivity)
    expected = np.array([[[0, 1, 0, 0], [0, 0, -2, 0], [3, 0, 0, 0.5], [0, 0, 0, 0]]], dtype=np.float64)
    check_array(layer.delta_array, expected,
                "layer.delta_array ← layer.backward(x, sensitivity), x passed backward once before",
                suspects=predictions.backward_again(expected, x, sensitivity, 2, 2, 2))


def test_backward_on_an_integer_input(submission, predictions):
    # error terms with fractions, for an input of ints: delta_array holds floats whatever the input's dtype
    x = np.array([[[1, 1, 0, 2], [0, 3, 2, 2]]])
    sensitivity = np.array([[[0.5, -1.25]]])
    expected = np.array([[[0, 0, 0, -1.25], [0, 0.5, 0, 0]]])
    check_array(backward(submission, x, sensitivity, (2, 2), 2), expected,
                "layer.delta_array ← layer.backward([[[1, 1, 0, 2], [0, 3, 2, 2]]], [[[0.5, -1.25]]])",
                suspects=predictions.backward(x, sensitivity, 2, 2, 2))
