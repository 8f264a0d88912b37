"""What the conv unit's known mistakes would produce, computed on a test's own input.

Each function returns ``(hint id, suspect)`` pairs for one function of the
exercise: a suspect is the value that mistake gives, or one of the test
kit's predicates on the answer. The ids are those of the unit's hints
catalogue (``tests/units/conv/hints.yaml``). When the answer matches suspects of two
different mistakes, no hint is given. Built from ``reference`` with one thing
changed each time. Suites reach these through the ``predictions`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.kit import Anything, FloatNear, IntegerArray, MaxAbsIn, MessageHas, ShapeIn, ValuesIn, fetch, same

from . import reference

Array = Any
Pairs = list[tuple[str, Any]]


def output_size(input_size: int, filter_size: int, zero_padding: int, stride: int) -> Pairs:
    exact = (input_size - filter_size + 2 * zero_padding) / stride + 1
    right = (input_size - filter_size + 2 * zero_padding) // stride + 1
    wrong = [
        ("output_size_without_2p", (input_size - filter_size) // stride + 1),
        ("output_size_without_2p", (input_size - filter_size + zero_padding) // stride + 1),
        ("output_size_formula", (input_size - filter_size + 2 * zero_padding) // stride),
        ("output_size_formula", input_size - filter_size + 2 * zero_padding + 1),
    ]
    # a mistake that happens to give the right size here cannot explain a wrong answer (a float, say)
    return [("output_size_float", FloatNear(exact)), *[(mistake, value) for mistake, value in wrong if value != right]]


def output_sizes(width: int, height: int, filter_width: int, filter_height: int, padding: int, stride: int,
                 axis: str) -> Pairs:
    """For ``output_width`` (``axis="width"``) or ``output_height``: the other axis's formula."""
    other = (reference.output_size(height, filter_height, padding, stride) if axis == "width"
             else reference.output_size(width, filter_width, padding, stride))
    own = (width, filter_width) if axis == "width" else (height, filter_height)
    return [("width_height_swapped", other), *output_size(own[0], own[1], padding, stride)]


def output_array_shape(filters: int, out_height: int, out_width: int) -> Pairs:
    return [("width_height_swapped", ShapeIn((filters, out_width, out_height)))]


def output_array_dtype() -> Pairs:
    return [("output_array_int", IntegerArray())]


def filter_weights(width: int, height: int, depth: int) -> Pairs:
    wrong = {(width, height, depth), (depth, width, height), (height, width, depth)} - {(depth, height, width)}
    return [("filter_shape_order", ShapeIn(*sorted(wrong)))]


def initial_weights() -> Pairs:
    return [("weights_out_of_range", MaxAbsIn(1e-4, 1.0)), ("weights_one_sided", ValuesIn(0, 1e-4)),
            ("weights_one_sided", ValuesIn(-1e-4, 0))]


def update(weights: Any, gradient: Any, learning_rate: float) -> Pairs:
    return [("update_wrong_sign", weights + learning_rate * gradient)]


def weights_copied(before: Any) -> Pairs:
    """After writing into what ``get_weights()`` returned: weights as they were come from a copy."""
    return [("get_weights_copy", before)]


def relu_forward(x: float) -> Pairs:
    return [("relu_negative", 0.01 * x), ("relu_negative", x), ("relu_negative", abs(x))] if x < 0 else []


def relu_backward(output: float) -> Pairs:
    return [("relu_at_zero", 1)] if output == 0 else []


def padding(x: Array, zp: int) -> Pairs:
    pairs: Pairs = [("padding_missing", x)]
    if x.ndim == 3:
        pairs.append(("padding_wrong", np.pad(x, zp)))
    pairs += [
        ("padding_wrong", np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, 2 * zp), (0, 2 * zp)])),
        ("padding_wrong", np.pad(x, [(0, 0)] * (x.ndim - 2) + [(zp, 0), (zp, 0)])),
        ("padding_wrong", reference.pad(x, 2 * zp)),
    ]
    return pairs


def get_patch(x: Array, i: int, j: int, width: int, height: int, stride: int) -> Pairs:
    return [
        ("stride_ignored", reference.patch(x, i, j, width, height, 1)),
        ("rows_columns_swapped", reference.patch(x, j, i, width, height, stride)),
        ("width_height_swapped", reference.patch(x, i, j, height, width, stride)),
    ]


def _cropped(full: Array, shape: tuple[int, ...]) -> Array | None:
    """The top-left ``shape`` of ``full``: what a loop over the right output size reads; None if too small."""
    if any(have < want for have, want in zip(full.shape[-2:], shape[-2:])):
        return None
    return full[..., : shape[-2], : shape[-1]]


def _swapped(full: Array) -> Array | None:
    """Each feature map read with rows and columns swapped (only where that stays in range)."""
    if full.shape[-1] != full.shape[-2]:
        return None
    return np.swapaxes(full, -1, -2)


def _multiplied_in_place(padded: Array, kernels: Sequence[Array], biases: Sequence[float], stride: int,
                         shape: tuple[int, ...]) -> Array | None:
    """Feature maps computed with ``patch *= kernel``: each window is multiplied into the input itself, so
    overlapping windows (and the following filters) read changed values. None where NumPy would refuse."""
    x = np.array(padded, dtype=np.float64)
    out = np.zeros(shape)
    try:
        for f, (kernel, bias) in enumerate(zip(kernels, biases)):
            kernel = np.asarray(kernel, dtype=np.float64)
            for i, j in np.ndindex(shape[-2:]):
                window = reference.patch(x, i, j, kernel.shape[-1], kernel.shape[-2], stride)
                window *= kernel
                out[f, i, j] = window.sum() + bias
    except ValueError:
        return None
    return out


def window_swapped(kernel_shape: tuple[int, ...]) -> Pairs:
    """For an exception: windows of width x height laid over a height x width kernel (a non-square one)."""
    height, width = kernel_shape[-2:]
    if height == width:
        return []
    return [("width_height_swapped", MessageHas("could not be broadcast", f"{width},{height}) ({height},{width})"))]


def _raised(x: Array, kernel_shape: tuple[int, ...], output_shape: tuple[int, ...], stride: int, *,
            loops_swapped: bool = False, rows_columns_swapped: bool = False, window_swapped: bool = False) -> str:
    """The message conv written with one of these mistakes raises on this input, or "" where it raises nothing."""
    height, width = output_shape[-2:]
    rows, columns = (width, height) if loops_swapped else (height, width)
    kernel_height, kernel_width = kernel_shape[-2:]
    if window_swapped:
        kernel_height, kernel_width = kernel_width, kernel_height
    x, kernel, output = np.asarray(x, dtype=np.float64), np.ones(kernel_shape), np.zeros((height, width))
    try:
        for i in range(rows):
            for j in range(columns):
                at = (j, i) if rows_columns_swapped else (i, j)
                window = reference.patch(x, *at, kernel_width, kernel_height, stride)
                output[i, j] = np.sum(window * kernel)
    except (ValueError, IndexError) as error:
        return str(error).strip()
    return ""


def loops_swapped(x: Array, kernel_shape: tuple[int, ...], output_shape: tuple[int, ...], stride: int) -> Pairs:
    """For an exception in ``conv`` (or ``forward``, with ``x`` padded): the loop over the rows running as far as
    the output is wide, and the other way round, reads windows past the input's edge or writes past the output's.
    The suspect is the message that code raises here: none where it raises nothing (a square output), or where
    the window's width and height swapped, or get_patch's rows and columns, raise the very same."""
    message = _raised(x, kernel_shape, output_shape, stride, loops_swapped=True)
    alike = {_raised(x, kernel_shape, output_shape, stride, rows_columns_swapped=True),
             _raised(x, kernel_shape, output_shape, stride, window_swapped=True)}
    return [("loops_swapped", MessageHas(message))] if message and message not in alike else []


def conv(x: Array, kernel: Array, stride: int, bias: float, output_before: Array) -> Pairs:
    """For ``conv`` writing one feature map (``output_before`` is the array handed in)."""
    expected = reference.correlate(x, kernel, stride, bias)
    depth = 1 if np.ndim(kernel) == 2 else kernel.shape[0]
    modified = _multiplied_in_place(x, [kernel], [bias], stride, (1, *expected.shape))
    candidates: list[tuple[str, Array | None]] = [
        ("output_not_in_place", output_before),
        ("input_modified", None if modified is None else modified[0]),
        ("kernel_flipped", reference.correlate(x, kernel[..., ::-1, ::-1], stride, bias)),
        ("stride_ignored", _cropped(reference.correlate(x, kernel, 1, bias), expected.shape)),
        ("bias_missing", expected - bias),
        ("bias_per_channel", expected + (depth - 1) * bias),
        ("rows_columns_swapped", _swapped(expected)),
        ("output_accumulates", expected + output_before if np.any(output_before) else None),
    ]
    return [(m, value) for m, value in candidates if value is not None]


def forward_again(first: Array, x: Array, weights: Sequence[Array], biases: Sequence[float], zero_padding: int,
                  stride: int, activation: Callable[[Array], Array]) -> Pairs:
    """For a layer's second ``forward`` (on ``x``; ``first`` the output of the first): ``conv`` adding each
    window's sum to what the output held, and the activator applied to that."""
    raw = reference.forward(x, weights, biases, zero_padding, stride)
    return [("output_accumulates", activation(first + raw)), *forward(x, weights, biases, zero_padding, stride,
                                                                      activation)]


def forward(x: Array, weights: Sequence[Array], biases: Sequence[float], zero_padding: int, stride: int,
            activation: Callable[[Array], Array]) -> Pairs:
    """For ``ConvLayer.forward``: the layer's output under each mistake."""
    def run(**changes: Any) -> Array:
        args: dict[str, Any] = {"x": x, "weights": weights, "biases": biases, "zero_padding": zero_padding,
                                "stride": stride, "activation": activation}
        args.update(changes)
        return reference.forward(**args)

    expected = run()
    depth = 1 if np.ndim(x) == 2 else np.shape(x)[0]
    unpadded = _unpadded(x, weights, biases, stride, activation, expected.shape) if zero_padding else None
    raw = run(activation=lambda a: a)
    unbiased = run(biases=[0.0] * len(biases), activation=lambda a: a)
    bias_column = np.asarray(biases, dtype=np.float64)[:, None, None]
    modified = _multiplied_in_place(reference.pad(reference.as_3d(np.asarray(x)), zero_padding),
                                    [reference.as_3d(np.asarray(w)) for w in weights], biases, stride, expected.shape)
    transposed = (expected.shape[0], expected.shape[2], expected.shape[1])
    candidates: list[tuple[str, Array | None]] = [
        ("output_not_in_place", activation(np.zeros_like(expected))),
        ("input_modified", None if modified is None else activation(modified)),
        ("width_height_swapped", ShapeIn(transposed) if transposed != expected.shape else None),
        ("padding_missing", unpadded),
        ("kernel_flipped", run(weights=[np.asarray(w)[..., ::-1, ::-1] for w in weights])),
        ("stride_ignored", _cropped(run(stride=1), expected.shape)),
        ("bias_missing", run(biases=[0.0] * len(biases))),
        ("bias_per_channel", run(biases=[b * depth for b in biases])),
        ("activator_skipped", raw),
        ("activator_before_bias", activation(unbiased) + bias_column),
        ("activator_on_input", run(x=activation(np.asarray(x, dtype=np.float64)), activation=lambda a: a)),
        ("rows_columns_swapped", _swapped(expected)),
        ("output_array_int", IntegerArray() if not np.array_equal(expected, np.trunc(expected)) else None),
    ]
    return [(m, value) for m, value in candidates if value is not None]


def _unpadded(x: Array, weights: Sequence[Array], biases: Sequence[float], stride: int,
              activation: Callable[[Array], Array], shape: tuple[int, ...]) -> Array | None:
    """forward on the raw input: windows past the edge come out short and NumPy broadcasts them if it can."""
    x3 = reference.as_3d(np.asarray(x, dtype=np.float64))
    out = np.zeros(shape)
    for f, (w, b) in enumerate(zip(weights, biases)):
        kernel = reference.as_3d(np.asarray(w, dtype=np.float64))
        for i, j in np.ndindex(shape[1:]):
            window = reference.patch(x3, i, j, kernel.shape[-1], kernel.shape[-2], stride)
            try:
                out[f, i, j] = np.sum(window * kernel) + b
            except ValueError:  # the student's code would have raised here instead
                return None
    return activation(out)


def forward_error(submission: Any, layer: Any, x: Array, zero_padding: int, stride: int,
                  filter_hw: tuple[int, int], output_shape: tuple[int, ...], expected: Array | None = None) -> Pairs:
    """For an exception in ``forward``, by probing the student's own code (``submission`` and its ``layer``
    are proxies):

    - windows running off an unpadded input do not fit the kernel: claimed only
      when the helpers it would otherwise come from work (the layer's output has
      the right shape; the student's ``padding``, ``get_patch`` and ``conv`` give
      the right answers on this input);
    - windows of width x height over a height x width kernel;
    - loops over rows and columns swapped in ``conv`` (claimed only when the layer's output has the right shape:
      one of width and height swapped raises the same);
    - a 2-D input (one channel) breaks code that the same input as ``(1, H, W)``
      does not (needs ``expected``, the right output).
    """
    pairs = window_swapped(filter_hw)
    padded = reference.pad(reference.as_3d(np.asarray(x, dtype=np.float64)), zero_padding)
    try:  # an output array of the wrong shape (its width and height swapped) raises what swapped loops do
        right_shape = np.shape(layer.output_array) == tuple(output_shape)
    except Exception:
        right_shape = False
    if right_shape:
        pairs += loops_swapped(padded, (padded.shape[0], *filter_hw), output_shape, stride)
    if expected is not None and np.ndim(x) == 2:
        def works_in_3d() -> bool:
            layer.forward(np.asarray(x)[np.newaxis])
            return same(layer.output_array, expected)
        pairs.append(("input_2d", lambda detail: works_in_3d()))
    if zero_padding == 0:
        return pairs
    try:
        height, width = filter_hw
        conv_layer = submission.conv_layer
        kernel = np.arange(padded.shape[0] * height * width, dtype=np.float64).reshape(-1, height, width)
        expected_map = reference.correlate(padded, kernel, stride, 0.5)
        helpers_work = (
            right_shape
            and same(conv_layer.padding(x, zero_padding), reference.pad(x, zero_padding))
            and same(conv_layer.get_patch(x, 1, 0, width, height, stride),
                     reference.patch(x, 1, 0, width, height, stride))
        )
        if helpers_work:
            output = submission.put(np.zeros(expected_map.shape))
            conv_layer.conv(padded, kernel, output, stride, 0.5)
            helpers_work = same(fetch(output), expected_map)
    except Exception:  # a helper that fails cannot clear forward's name
        return pairs
    if not helpers_work:
        return pairs
    return [*pairs, ("padding_missing", MessageHas("could not be broadcast"))]


def element_wise_op(before: Array, op: Callable[[Array], Array] | None = None) -> Pairs:
    """For ``element_wise_op(array, op)`` on ``before``; with ``op``, also the values ``np.vectorize(op)`` gives
    when the first result is an int: every one cut to a whole number."""
    pairs: Pairs = [("element_wise_op_not_in_place", before)]
    if op is not None:
        pairs.append(("vectorize_int", np.trunc(op(np.asarray(before, dtype=np.float64)))))
    return pairs


def input_reshaped(shape: tuple[int, ...]) -> Pairs:
    """A 2-D input given a channel axis in place (``input_array.shape = (1, H, W)``)."""
    return [("input_reshaped", ShapeIn((1, *shape), (*shape, 1)))]


def input_modified() -> Pairs:
    return [("input_modified", Anything())]
