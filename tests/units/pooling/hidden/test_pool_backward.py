"""Hidden tests, task 2: the backward pass, against the reference and against a numerical gradient of the
student's own forward pass (which needs no reference at all)."""

import numpy as np
import pytest

from grader.kit import check_array, random_array


@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (3, 4)])
def test_get_max_index_is_row_then_column(submission, predictions, rng, shape):
    window = rng.permutation(shape[0] * shape[1]).reshape(shape).astype(np.float64)  # one maximum
    while window.shape[0] * window.shape[1] - 1 in np.diag(window):  # off the diagonal: a swap shows
        window = rng.permutation(window.size).reshape(shape).astype(np.float64)
    expected = np.array(divmod(int(np.argmax(window)), shape[1]))
    got = submission.max_pooling.get_max_index(window)
    check_array(np.array(got), expected, f"get_max_index(window), window = {window.tolist()}",
                suspects=[(m, np.array(v)) for m, v in predictions.max_index(window)])


@pytest.mark.parametrize("shape", [(2, 2), (3, 2), (2, 3), (3, 3)])
def test_get_max_index_picks_the_first_of_tied_maxima(submission, predictions, rng, shape):
    window = rng.integers(0, 3, size=shape).astype(np.float64)  # small integers: ties are frequent
    window.flat[rng.integers(0, window.size)] = 3.0
    window.flat[rng.integers(0, window.size)] = 3.0
    expected = np.array(divmod(int(np.argmax(window)), shape[1]))
    got = submission.max_pooling.get_max_index(window)
    check_array(np.array(got), expected, f"get_max_index(window), window = {window.tolist()}",
                suspects=[(m, np.array(v)) for m, v in predictions.max_index(window)])


def run_backward(submission, x, sensitivity, height, width, stride):
    layer = submission.max_pooling.MaxPoolingLayer(x.shape[2], x.shape[1], x.shape[0], width, height, stride)
    layer.forward(x)
    layer.backward(x, sensitivity)
    return layer.delta_array


# windows that do not overlap (each input is in one window at most), then windows that do (stride < size: an
# input that is the maximum of several windows gets the sum of their error terms)
BACKWARD_CASES = [((1, 4, 4), (2, 2), 2), ((3, 6, 6), (3, 2), 3), ((2, 6, 9), (2, 3), 3), ((2, 5, 7), (2, 2), 2),
                  ((2, 5, 5), (3, 3), 1), ((1, 6, 7), (3, 2), 2)]


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", range(len(BACKWARD_CASES)))
def test_backward_random(submission, reference, predictions, rng, case):
    shape, (height, width), stride = BACKWARD_CASES[case]
    x = random_array(rng, shape)
    out = (shape[0], reference.output_size(shape[1], height, stride), reference.output_size(shape[2], width, stride))
    sensitivity = random_array(rng, out)
    got = run_backward(submission, x, sensitivity, height, width, stride)
    check_array(got, reference.backward(x, sensitivity, height, width, stride),
                f"layer.delta_array ← layer.backward(x, sensitivity), x.shape = {shape}, {height}x{width}, "
                f"stride {stride}", subject="layer.delta_array ← layer.backward(…)",
                suspects=predictions.backward(x, sensitivity, height, width, stride))


def test_backward_on_a_second_input_gives_its_own_error_terms(submission, reference, predictions, rng):
    # a layer runs backward once per sample: the second call's error terms owe nothing to the first's
    shape, out = (2, 6, 7), (2, 3, 3)
    first_x, second_x = random_array(rng, shape), random_array(rng, shape)
    first_s, second_s = random_array(rng, out), random_array(rng, out)
    layer = submission.max_pooling.MaxPoolingLayer(7, 6, 2, 3, 2, 2)
    for x, sensitivity in ((first_x, first_s), (second_x, second_s)):
        layer.forward(x)
        layer.backward(x, sensitivity)
    check_array(layer.delta_array, reference.backward(second_x, second_s, 2, 3, 2),
                "layer.delta_array ← layer.backward(second_x, second_s), first_x passed backward before",
                subject="layer.delta_array ← a second layer.backward(…)",
                suspects=predictions.backward_again(reference.backward(first_x, first_s, 2, 3, 2), second_x,
                                                    second_s, 2, 3, 2))


def test_backward_on_integer_input_keeps_the_fractions_of_the_error_terms(submission, reference, predictions, rng):
    # the input's dtype is not the error terms': these have fractions whatever the input holds (distinct ints:
    # no tie to break)
    x = rng.permutation(48).reshape(2, 4, 6) - 24
    sensitivity = random_array(rng, (2, 2, 3))
    got = run_backward(submission, x, sensitivity, 2, 2, 2)
    check_array(got, reference.backward(x, sensitivity, 2, 2, 2), "layer.delta_array ← layer.backward(x, s), "
                "x.dtype = int", subject="layer.delta_array ← layer.backward(…) of an integer input",
                suspects=predictions.backward(x, sensitivity, 2, 2, 2))


def test_backward_with_tied_maxima(submission, reference, predictions, rng):
    x = random_array(rng, (2, 4, 6), integers=True).astype(np.float64)
    x[0, :2, :2] = 3.0  # a window whose four values all tie
    sensitivity = random_array(rng, (2, 2, 3))
    got = run_backward(submission, x, sensitivity, 2, 2, 2)
    check_array(got, reference.backward(x, sensitivity, 2, 2, 2), "layer.delta_array ← layer.backward(x, s), ties",
                suspects=predictions.backward(x, sensitivity, 2, 2, 2))


@pytest.mark.weight(2)
def test_backward_matches_a_numerical_gradient_of_its_own_forward(submission, rng):
    """dE/dx for E = sum(sensitivity * forward(x)), by central differences on the student's own forward."""
    x = rng.permutation(32).reshape(2, 4, 4) / 4.0  # distinct values, far apart: max pooling is linear near x
    sensitivity = random_array(rng, (2, 2, 2))
    layer = submission.max_pooling.MaxPoolingLayer(4, 4, 2, 2, 2, 2)

    def energy(values):
        layer.forward(values)
        return float(np.sum(sensitivity * np.asarray(layer.output_array, dtype=np.float64)))

    step = 1e-3
    numerical = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        numerical[index] = (energy(up) - energy(down)) / (2 * step)
    layer.forward(x)
    layer.backward(x, sensitivity)
    check_array(layer.delta_array, numerical, "layer.delta_array against the numerical gradient of layer.forward",
                atol=1e-6)
