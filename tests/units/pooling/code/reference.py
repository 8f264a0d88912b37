"""Max pooling, forward and backward, written with NumPy windows (``solutions/`` loops instead)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Array = NDArray[Any]


def output_size(input_size: int, filter_size: int, stride: int) -> int:
    return (input_size - filter_size) // stride + 1


def windows(x: Array, filter_height: int, filter_width: int, stride: int) -> Array:
    """Every window, channel by channel: shape ``(D, H2, W2, filter_height, filter_width)``."""
    return sliding_window_view(np.asarray(x, dtype=np.float64), (filter_height, filter_width), axis=(1, 2))[
        :, ::stride, ::stride]


def forward(x: Array, filter_height: int, filter_width: int, stride: int) -> Array:
    return np.asarray(windows(x, filter_height, filter_width, stride).max(axis=(3, 4)))


def backward(x: Array, sensitivity: Array, filter_height: int, filter_width: int, stride: int,
             first: bool = True, add: bool = True) -> Array:
    """Each window's error term to its maximum (the first of tied maxima, row by row; the last if not ``first``),
    added up where windows overlap (the last window's term alone if not ``add``)."""
    x = np.asarray(x, dtype=np.float64)
    delta = np.zeros(x.shape)
    for d, i, j in np.ndindex(np.shape(sensitivity)):
        window = x[d, i * stride:i * stride + filter_height, j * stride:j * stride + filter_width]
        flat = window.ravel()
        index = int(np.argmax(flat)) if first else flat.size - 1 - int(np.argmax(flat[::-1]))
        k, l = divmod(index, window.shape[1])
        if add:
            delta[d, i * stride + k, j * stride + l] += sensitivity[d, i, j]
        else:
            delta[d, i * stride + k, j * stride + l] = sensitivity[d, i, j]
    return delta
