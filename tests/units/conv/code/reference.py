"""An independent reference for expected values, computed in the trusted process.

Written differently from ``solutions/`` on purpose (NumPy windows and
``einsum`` rather than loops), so that one cannot hide a mistake of the other;
the framework's tests check both against SciPy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Array = NDArray[Any]


def output_size(input_size: int, filter_size: int, zero_padding: int, stride: int) -> int:
    return (input_size - filter_size + 2 * zero_padding) // stride + 1


def pad(x: Array, zp: int) -> Array:
    """Zero padding on the last two axes only: ``x`` laid into zeros of its dtype (what ``np.pad`` gives, at a
    tenth of its cost; the suites pad thousands of times a class)."""
    x = np.asarray(x)
    if zp < 0:
        raise ValueError(f"zero padding must not be negative, got {zp}")
    height, width = x.shape[-2:]
    padded = np.zeros((*x.shape[:-2], height + 2 * zp, width + 2 * zp), dtype=x.dtype)
    padded[..., zp : zp + height, zp : zp + width] = x
    return padded


def as_3d(x: Array) -> Array:
    return x[np.newaxis] if x.ndim == 2 else x


def patch(x: Array, i: int, j: int, filter_width: int, filter_height: int, stride: int) -> Array:
    rows = slice(i * stride, i * stride + filter_height)
    cols = slice(j * stride, j * stride + filter_width)
    return x[..., rows, cols]


def correlate(x: Array, kernel: Array, stride: int, bias: float) -> Array:
    """One feature map: ``sum(window * kernel) + bias`` at every stride step (no flip)."""
    x3, k3 = as_3d(np.asarray(x, dtype=np.float64)), as_3d(np.asarray(kernel, dtype=np.float64))
    # every window position, then every stride-th: floor((H - F) / S) + 1 of them per axis
    windows = sliding_window_view(x3, k3.shape)[0, ::stride, ::stride]
    return np.asarray(np.einsum("ijdmn,dmn->ij", windows, k3) + bias)


def forward(
    x: Array,
    weights: Sequence[Array],
    biases: Sequence[float],
    zero_padding: int,
    stride: int,
    activation: Callable[[Array], Array] = lambda a: a,
) -> Array:
    """The conv layer's output: one activated feature map per filter."""
    padded = pad(as_3d(np.asarray(x)), zero_padding)
    return activation(np.stack([correlate(padded, w, stride, b) for w, b in zip(weights, biases)]))


def relu(a: Array) -> Array:
    return np.maximum(a, 0)


def affine(a_coef: float, b_coef: float) -> Callable[[Array], Array]:
    return lambda a: a_coef * a + b_coef
