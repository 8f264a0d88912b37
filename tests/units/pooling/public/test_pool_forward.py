"""Public checks, task 1: the forward pass. Each function's check comes after those of what it relies on."""

import numpy as np

from grader.kit import check_array, check_number


def test_calculate_output_size(submission, predictions):
    # (6 - 2) / 2 + 1 = 3; without the + 1 it would be 2, with the stride ignored 5
    got = submission.max_pooling.MaxPoolingLayer.calculate_output_size(6, 2, 2)
    check_number(got, 3, "MaxPoolingLayer.calculate_output_size(6, 2, 2)", integer=True,
                 suspects=predictions.output_size(6, 2, 2))


def test_init_sizes_the_output(submission, predictions):
    layer = submission.max_pooling.MaxPoolingLayer(7, 4, 2, 3, 2, 2)
    check_number(layer.output_width, 3, "MaxPoolingLayer(7, 4, 2, 3, 2, 2).output_width", integer=True,
                 suspects=predictions.output_size(7, 3, 2))
    check_number(layer.output_height, 2, "MaxPoolingLayer(7, 4, 2, 3, 2, 2).output_height", integer=True,
                 suspects=predictions.output_size(4, 2, 2))
    check_array(layer.output_array, np.zeros((2, 2, 3)), "MaxPoolingLayer(7, 4, 2, 3, 2, 2).output_array")


def test_get_patch(submission):
    x = np.arange(30.0).reshape(5, 6)
    check_array(submission.max_pooling.get_patch(x, 1, 1, 3, 2, 2), x[2:4, 2:5],
                "get_patch(arange(30).reshape(5, 6), 1, 1, 3, 2, 2)")


def forward(submission, x, filter_hw, stride):
    channels, height, width = x.shape
    layer = submission.max_pooling.MaxPoolingLayer(width, height, channels, filter_hw[1], filter_hw[0], stride)
    layer.forward(x)
    return layer.output_array


def test_forward_example(submission, predictions, unit_data):
    x = np.array(unit_data["input"], dtype=np.float64)
    got = forward(submission, x, unit_data["filter"], unit_data["stride"])
    check_array(got, np.array(unit_data["output"], dtype=np.float64), "layer.output_array ← layer.forward(example_x)",
                suspects=predictions.forward(x, *unit_data["filter"], unit_data["stride"]))


def test_forward_pools_each_channel_on_its_own(submission, predictions):
    x = np.array([[[1, 9, 2, 0, 3, 1], [4, 0, 8, 2, 1, 7], [5, 5, 0, 6, 2, 2], [0, 3, 1, 1, 9, 4]],
                  [[2, 1, 0, 7, 6, 0], [3, 8, 2, 2, 4, 1], [1, 0, 9, 5, 3, 8], [6, 2, 2, 0, 1, 1]]], dtype=np.float64)
    got = forward(submission, x, (2, 3), 2)
    expected = np.array([[[9, 8], [5, 9]], [[8, 7], [9, 9]]], dtype=np.float64)
    check_array(got, expected, "layer.output_array ← layer.forward(x), x.shape = (2, 4, 6), 2x3 windows, stride 2",
                suspects=predictions.forward(x, 2, 3, 2))


def test_forward_on_a_second_input_gives_its_own_output(submission, predictions):
    # a layer runs forward once per sample, into the same output array: the second output is the second input's
    # alone, here one whose every maximum is smaller than the first's
    x = np.array([[[1, 9, 2, 0], [4, 0, 8, 2], [5, 5, 0, 6], [0, 3, 1, 1]]], dtype=np.float64)
    layer = submission.max_pooling.MaxPoolingLayer(4, 4, 1, 2, 2, 2)
    layer.forward(x)
    layer.forward(x - 10)
    first = np.array([[[9, 8], [5, 6]]], dtype=np.float64)
    check_array(layer.output_array, first - 10, "layer.output_array ← layer.forward(x - 10), x forwarded before",
                suspects=predictions.forward_again(first, x - 10, 2, 2, 2))
