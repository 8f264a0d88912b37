"""Hidden tests, task 1: the forward pass, level by level. Expected values come from the unit's reference."""

import numpy as np
import pytest

from grader.kit import check_array, check_number, random_array


@pytest.mark.parametrize("input_size, filter_size, stride", [(4, 2, 2), (7, 3, 2), (9, 3, 3), (5, 2, 1), (6, 6, 1)])
def test_calculate_output_size(submission, reference, predictions, input_size, filter_size, stride):
    got = submission.max_pooling.MaxPoolingLayer.calculate_output_size(input_size, filter_size, stride)
    check_number(got, reference.output_size(input_size, filter_size, stride),
                 f"calculate_output_size({input_size}, {filter_size}, {stride})", integer=True,
                 suspects=predictions.output_size(input_size, filter_size, stride))


def test_init_keeps_its_arguments_and_sizes_the_output(submission, reference):
    layer = submission.max_pooling.MaxPoolingLayer(9, 6, 3, 3, 2, 2)
    for name, value in {"input_width": 9, "input_height": 6, "channel_number": 3, "filter_width": 3,
                        "filter_height": 2, "stride": 2}.items():
        check_number(getattr(layer, name), value, f"layer.{name}")
    width, height = reference.output_size(9, 3, 2), reference.output_size(6, 2, 2)
    check_number(layer.output_width, width, "layer.output_width", integer=True)
    check_number(layer.output_height, height, "layer.output_height", integer=True)
    check_array(layer.output_array, np.zeros((3, height, width)), "layer.output_array")


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_get_patch(submission, rng, stride):
    x = random_array(rng, (5 + 2 * stride, 6 + 2 * stride))
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        got = submission.max_pooling.get_patch(x, i, j, 3, 2, stride)
        check_array(got, x[i * stride:i * stride + 2, j * stride:j * stride + 3],
                    f"get_patch(x, {i}, {j}, 3, 2, {stride}), x.shape = {x.shape}")


FORWARD_CASES = [
    # (input shape, window (h, w), stride): square and not, overlapping windows and not, one channel and several
    ((1, 4, 4), (2, 2), 2),
    ((3, 6, 5), (2, 3), 1),
    ((2, 7, 7), (3, 3), 2),
    ((4, 5, 8), (2, 2), 3),
    ((2, 6, 6), (3, 2), 3),
]


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", range(len(FORWARD_CASES)))
def test_forward(submission, reference, predictions, rng, case):
    shape, (height, width), stride = FORWARD_CASES[case]
    x = random_array(rng, shape)
    layer = submission.max_pooling.MaxPoolingLayer(shape[2], shape[1], shape[0], width, height, stride)
    layer.forward(x)
    check_array(layer.output_array, reference.forward(x, height, width, stride),
                f"layer.output_array ← layer.forward(x), x.shape = {shape}, {height}x{width} windows, stride {stride}",
                subject="layer.output_array ← layer.forward(x)", suspects=predictions.forward(x, height, width, stride))


def test_forward_on_a_second_input_gives_its_own_output(submission, reference, predictions, rng):
    # a layer runs forward once per sample, into the same output array: the second output owes nothing to the first
    first_x, second_x = random_array(rng, (2, 5, 7)), random_array(rng, (2, 5, 7))
    layer = submission.max_pooling.MaxPoolingLayer(7, 5, 2, 3, 2, 2)
    layer.forward(first_x)
    layer.forward(second_x)
    check_array(layer.output_array, reference.forward(second_x, 2, 3, 2),
                "layer.output_array ← layer.forward(second_x), first_x forwarded before",
                subject="layer.output_array ← a second layer.forward(x)",
                suspects=predictions.forward_again(reference.forward(first_x, 2, 3, 2), second_x, 2, 3, 2))


def test_forward_on_integer_input(submission, reference, predictions, rng):
    x = random_array(rng, (2, 4, 6), integers=True)
    layer = submission.max_pooling.MaxPoolingLayer(6, 4, 2, 2, 2, 2)
    layer.forward(x)
    check_array(layer.output_array, reference.forward(x, 2, 2, 2), "layer.forward(x), x.dtype = int",
                suspects=predictions.forward(x, 2, 2, 2))
