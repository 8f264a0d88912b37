"""The conv unit's solutions and its reference (course code) agree with SciPy on many random cases."""

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import correlate

from grader.model.course import load_course
from grader.running.course_code import load_code
from solutions.activators import IdentityActivator, ReluActivator
from solutions.conv_layer import ConvLayer

reference = load_code(load_course(Path(__file__).resolve().parents[2]).unit("conv")).reference


def scipy_forward(x, weights, biases, padding, stride):
    x3 = x[np.newaxis] if x.ndim == 2 else x
    padded = np.pad(x3, [(0, 0), (padding, padding), (padding, padding)])
    maps = []
    for w, b in zip(weights, biases):
        full = correlate(padded, w, mode="valid")[0]  # depth collapses to 1 in 'valid' mode
        maps.append(full[::stride, ::stride] + b)
    return np.stack(maps)


def random_case(rng):
    depth = int(rng.integers(1, 5))
    height, width = int(rng.integers(3, 10)), int(rng.integers(3, 10))
    fh, fw = int(rng.integers(1, height + 1)), int(rng.integers(1, width + 1))
    padding, stride = int(rng.integers(0, 3)), int(rng.integers(1, 4))
    two_d = depth == 1 and bool(rng.integers(0, 2))
    x = rng.integers(-4, 5, size=(height, width)) if two_d else rng.uniform(-2, 2, size=(depth, height, width))
    count = int(rng.integers(1, 4))
    weights = [rng.uniform(-1, 1, size=(depth, fh, fw)) for _ in range(count)]
    biases = [float(rng.uniform(-1, 1)) for _ in range(count)]
    return x, weights, biases, padding, stride


@pytest.mark.parametrize("seed", range(60))
def test_solutions_and_reference_match_scipy(seed):
    rng = np.random.default_rng(seed)
    x, weights, biases, padding, stride = random_case(rng)
    expected = scipy_forward(x, weights, biases, padding, stride)
    np.testing.assert_allclose(reference.forward(x, weights, biases, padding, stride), expected, atol=1e-9)
    depth = 1 if x.ndim == 2 else x.shape[0]
    fh, fw = weights[0].shape[1:]
    layer = ConvLayer(x.shape[-1], x.shape[-2], depth, fw, fh, len(weights), padding, stride,
                      IdentityActivator(), 0.1)
    for filter_, w, b in zip(layer.filters, weights, biases):
        filter_.weights, filter_.bias = w, b
    before = x.copy()
    layer.forward(x)
    np.testing.assert_allclose(layer.output_array, expected, atol=1e-9)
    np.testing.assert_array_equal(x, before)


def test_relu_layer_matches_scipy_then_max():
    rng = np.random.default_rng(7)
    x, weights, biases, padding, stride = random_case(rng)
    depth = 1 if x.ndim == 2 else x.shape[0]
    layer = ConvLayer(x.shape[-1], x.shape[-2], depth, weights[0].shape[2], weights[0].shape[1], len(weights),
                      padding, stride, ReluActivator(), 0.1)
    for filter_, w, b in zip(layer.filters, weights, biases):
        filter_.weights, filter_.bias = w, b
    layer.forward(x)
    np.testing.assert_allclose(layer.output_array, np.maximum(scipy_forward(x, weights, biases, padding, stride), 0))


@pytest.mark.parametrize("shape", [(4, 5), (1, 4, 5), (3, 2, 6), (2, 3, 4, 5), (0, 3), (3, 0, 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex128])
@pytest.mark.parametrize("zp", [0, 1, 3])
def test_the_references_padding_is_numpys(shape, dtype, zp):
    x = (np.arange(int(np.prod(shape))).reshape(shape) % 7 + 1).astype(dtype)
    expected = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(zp, zp), (zp, zp)], mode="constant", constant_values=0)
    got = reference.pad(x, zp)
    assert got.dtype == expected.dtype and got.shape == expected.shape and np.array_equal(got, expected)
    assert got is not x and not np.shares_memory(got, x)


def test_the_references_padding_refuses_a_negative_width():
    with pytest.raises(ValueError, match="must not be negative"):
        reference.pad(np.ones((2, 2)), -1)


def test_output_size_is_an_int():
    assert type(ConvLayer.calculate_output_size(8, 3, 1, 2)) is int
    assert ConvLayer.calculate_output_size(8, 3, 1, 2) == 4
