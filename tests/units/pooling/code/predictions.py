"""What the pooling unit's known mistakes would produce, computed on a test's own input.

Each function returns ``(hint id, suspect)`` pairs (ids of ``tests/units/pooling/hints.yaml``);
the suites reach them through the ``predictions`` fixture.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.kit import IntegerArray

from . import reference

Pairs = list[tuple[str, Any]]


def forward(x: Any, filter_height: int, filter_width: int, stride: int) -> Pairs:
    windows = reference.windows(x, filter_height, filter_width, stride)
    expected = windows.max(axis=(3, 4))
    ignored = reference.windows(x, filter_height, filter_width, 1).max(axis=(3, 4))[:, :expected.shape[1],
                                                                                  :expected.shape[2]]
    across = np.broadcast_to(expected.max(axis=0), expected.shape)
    pairs: Pairs = [("mean_not_max", windows.mean(axis=(3, 4))),
                    ("max_across_channels", np.array(across) if np.shape(x)[0] > 1 else None)]
    if ignored.shape == expected.shape:
        pairs.append(("stride_ignored", ignored))
    return [(mistake, value) for mistake, value in pairs if value is not None and not np.array_equal(value, expected)]


def backward(x: Any, sensitivity: Any, filter_height: int, filter_width: int, stride: int) -> Pairs:
    expected = reference.backward(x, sensitivity, filter_height, filter_width, stride)
    everywhere = np.zeros(np.shape(x))
    for d, i, j in np.ndindex(np.shape(sensitivity)):
        rows, columns = slice(i * stride, i * stride + filter_height), slice(j * stride, j * stride + filter_width)
        everywhere[d, rows, columns] += sensitivity[d, i, j]
    last = reference.backward(x, sensitivity, filter_height, filter_width, stride, first=False)
    assigned = reference.backward(x, sensitivity, filter_height, filter_width, stride, add=False)
    pairs: Pairs = [("gradient_everywhere", everywhere), ("tie_breaking", last), ("overlap_assigned", assigned)]
    kept = [(mistake, value) for mistake, value in pairs if not np.array_equal(value, expected)]
    if not np.array_equal(expected, np.trunc(expected)):  # error terms with fractions, cut by an array of ints
        kept.append(("delta_array_int", IntegerArray()))
    return kept


def max_index(array: Any) -> Pairs:
    flat = np.asarray(array).ravel()
    right = divmod(int(np.argmax(flat)), np.shape(array)[1])
    last = divmod(flat.size - 1 - int(np.argmax(flat[::-1])), np.shape(array)[1])
    pairs = [("tie_breaking", last), ("index_swapped", right[::-1])]
    return [(mistake, value) for mistake, value in pairs if value != right]


def output_size(input_size: int, filter_size: int, stride: int) -> Pairs:
    right = reference.output_size(input_size, filter_size, stride)
    return [(m, v) for m, v in [("output_size_formula", (input_size - filter_size) // stride),
                                ("stride_ignored", input_size - filter_size + 1)] if v != right]


def forward_again(first: Any, x: Any, filter_height: int, filter_width: int, stride: int) -> Pairs:
    """For a layer's second ``forward`` (on ``x``; ``first`` the output of the first): each maximum added to what
    the output held."""
    expected = reference.windows(x, filter_height, filter_width, stride).max(axis=(3, 4))
    return [("forward_accumulates", np.asarray(first) + expected), *forward(x, filter_height, filter_width, stride)]


def backward_again(first: Any, x: Any, sensitivity: Any, filter_height: int, filter_width: int,
                   stride: int) -> Pairs:
    """For a layer's second ``backward`` (``first`` the error terms of the first): the error terms added to what
    ``delta_array`` held (made once, in ``__init__``, and never cleared)."""
    expected = reference.backward(x, sensitivity, filter_height, filter_width, stride)
    return [("delta_accumulates", np.asarray(first) + expected),
            *backward(x, sensitivity, filter_height, filter_width, stride)]
