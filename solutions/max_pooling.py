"""The max-pooling layer: down-sampling, forward and backward.

The second unit. A pooling layer shrinks each feature map on its own: every
window of ``filter_height x filter_width`` values, moved ``stride`` steps at a
time, becomes its largest value. It has no weights to learn; on the way back it
routes each output's error term to the input that won the window.

Work top-down and breadth-first, in the order of this file:

1. ``MaxPoolingLayer.__init__``, ``forward`` and ``backward``: what a layer holds
   and the steps of each pass, in terms of helpers that do not exist yet.
2. The helpers: ``calculate_output_size``, ``get_patch`` and ``get_max_index``.

Arrays are laid out channels first: ``(channel_number, height, width)``.

- output size: ``W2 = (W1 - F) / S + 1`` (no padding), and the same for the height;
- forward: ``a[d, i, j] = max over m, n of x[d, i*S + m, j*S + n]``, channel by channel;
- backward: ``delta[d, i*S + k, j*S + l] = sensitivity[d, i, j]`` where ``(k, l)``
  is the position of that window's maximum; every other input gets 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


class MaxPoolingLayer:
    """Max pooling over ``filter_height x filter_width`` windows, ``stride`` apart, channel by channel.

    Every argument is kept as an attribute of the same name. Besides them:

    - ``output_width``, ``output_height``: the pooled maps' size, as ``int``;
    - ``output_array``: zeros of shape ``(channel_number, output_height, output_width)``;
    - after ``backward``, ``delta_array``: the error terms of the input, its shape.
    """

    input_width: int
    input_height: int
    channel_number: int
    filter_width: int
    filter_height: int
    stride: int
    output_width: int
    output_height: int
    output_array: NDArray[np.float64]
    delta_array: NDArray[np.float64]

    def __init__(
        self,
        input_width: int,
        input_height: int,
        channel_number: int,
        filter_width: int,
        filter_height: int,
        stride: int,
    ) -> None:
        """Keep the hyper-parameters and size the output with ``calculate_output_size``."""
        ### BEGIN SOLUTION
        self.input_width = input_width
        self.input_height = input_height
        self.channel_number = channel_number
        self.filter_width = filter_width
        self.filter_height = filter_height
        self.stride = stride
        self.output_width = MaxPoolingLayer.calculate_output_size(input_width, filter_width, stride)
        self.output_height = MaxPoolingLayer.calculate_output_size(input_height, filter_height, stride)
        self.output_array = np.zeros((channel_number, self.output_height, self.output_width))
        ### END SOLUTION

    def forward(self, input_array: NDArray[Any]) -> None:
        """Pool ``input_array`` (``(channel_number, input_height, input_width)``) into ``self.output_array``.

        ``output_array[d, i, j]`` is the largest value of channel ``d``'s window at
        ``(i, j)`` (see ``get_patch``): each channel is pooled on its own.
        """
        ### BEGIN SOLUTION
        for d in range(self.channel_number):
            for i in range(self.output_height):
                for j in range(self.output_width):
                    patch = get_patch(input_array[d], i, j, self.filter_width, self.filter_height, self.stride)
                    self.output_array[d, i, j] = patch.max()
        ### END SOLUTION

    def backward(self, input_array: NDArray[Any], sensitivity_array: NDArray[Any]) -> None:
        """Route the error terms back to the input: store ``self.delta_array`` (``input_array``'s shape).

        ``sensitivity_array`` has ``output_array``'s shape: ``sensitivity[d, i, j]``
        goes to the position of the maximum of channel ``d``'s window at ``(i, j)``
        (``get_max_index``; the first maximum when several values tie); every
        other position gets 0. Where windows overlap, what each sends adds up.
        """
        ### BEGIN SOLUTION
        self.delta_array = np.zeros(np.shape(input_array))
        for d in range(self.channel_number):
            for i in range(self.output_height):
                for j in range(self.output_width):
                    patch = get_patch(input_array[d], i, j, self.filter_width, self.filter_height, self.stride)
                    k, l = get_max_index(patch)
                    self.delta_array[d, i * self.stride + k, j * self.stride + l] += sensitivity_array[d, i, j]
        ### END SOLUTION

    @staticmethod
    def calculate_output_size(input_size: int, filter_size: int, stride: int) -> int:
        """The size of a pooled map along one axis: ``(W1 - F) / S + 1``, an ``int``."""
        ### BEGIN SOLUTION
        return (input_size - filter_size) // stride + 1
        ### END SOLUTION


def get_patch(
    input_array: NDArray[Any], i: int, j: int, filter_width: int, filter_height: int, stride: int
) -> NDArray[Any]:
    """The window for output position ``(i, j)``: ``filter_height`` rows from row ``i * stride`` and
    ``filter_width`` columns from column ``j * stride``, of a 2-D array (one channel)."""
    ### BEGIN SOLUTION
    top, left = i * stride, j * stride
    return input_array[top : top + filter_height, left : left + filter_width]
    ### END SOLUTION


def get_max_index(array: NDArray[Any]) -> tuple[int, int]:
    """``(row, column)`` of the largest value of a 2-D array; of the first one, row by row, when several tie."""
    ### BEGIN SOLUTION
    flat = int(np.argmax(array))
    row, column = divmod(flat, array.shape[1])
    return row, column
    ### END SOLUTION
