"""The convolutional layer's forward pass.

Task 2b of the unit. Work top-down and breadth-first, in the order of this
file; after each step the module still imports and type-checks:

1. ``ConvLayer.__init__`` and ``ConvLayer.forward`` — the first level: what a
   layer holds and the steps of a forward pass, written in terms of helpers
   that do not exist yet.
2. The helpers they call: ``ConvLayer.calculate_output_size``, then
   ``padding``, ``conv`` and ``element_wise_op``.
3. What ``conv`` calls: ``get_patch``.

Arrays are laid out channels first: an input has shape
``(depth, height, width)``, or ``(height, width)`` with a single channel.

The formulas (stride ``S``, zero padding ``P``, filter ``F x F``):

- output size: ``W2 = (W1 - F + 2P) / S + 1``, and the same for the height;
- one channel: ``a[i, j] = f(sum_m sum_n w[m, n] * x[i*S + m, j*S + n] + w_b)``;
- ``D`` channels: ``a[i, j] = f(sum_d sum_m sum_n w[d, m, n] * x[d, i*S + m, j*S + n] + w_b)``.

The kernel is not flipped: what CNNs call a convolution is a
cross-correlation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .filter import Filter

if TYPE_CHECKING:  # only for type hints: a broken activators.py must not break this module
    from .activators import Activator


class ConvLayer:
    """A convolutional layer: ``filter_number`` filters slid over the input.

    Every argument is kept as an attribute of the same name. Besides them:

    - ``output_width``, ``output_height``: the feature maps' size, as ``int``;
    - ``filters``: a list of ``filter_number`` ``Filter`` objects, each of
      size ``filter_width x filter_height x channel_number``;
    - ``output_array``: zeros of shape
      ``(filter_number, output_height, output_width)``, one feature map per filter.
    """

    # What a layer holds, typed first (the type-driven step); __init__ fills it in.
    input_width: int
    input_height: int
    channel_number: int
    filter_width: int
    filter_height: int
    filter_number: int
    zero_padding: int
    stride: int
    activator: Activator
    learning_rate: float
    output_width: int
    output_height: int
    filters: list[Filter]
    output_array: NDArray[np.float64]

    def __init__(
        self,
        input_width: int,
        input_height: int,
        channel_number: int,
        filter_width: int,
        filter_height: int,
        filter_number: int,
        zero_padding: int,
        stride: int,
        activator: Activator,
        learning_rate: float,
    ) -> None:
        """Keep the hyper-parameters, size the output and create the filters.

        Use ``calculate_output_size`` once for the width and once for the
        height. How many feature maps does the layer produce?
        """
        raise NotImplementedError("ConvLayer.__init__: your code here")

    def forward(self, input_array: NDArray[Any]) -> None:
        """Compute the layer's output and store it in ``self.output_array``.

        ``input_array`` has shape ``(channel_number, input_height,
        input_width)``, or ``(input_height, input_width)`` with one channel.
        Steps: pad the input with ``zero_padding`` rings of zeros; for each
        filter ``f``, write its feature map into ``self.output_array[f]``
        with ``conv``; finally apply the activator to every element with
        ``element_wise_op``. The input itself must not change.
        """
        raise NotImplementedError("ConvLayer.forward: your code here")

    @staticmethod
    def calculate_output_size(
        input_size: int, filter_size: int, zero_padding: int, stride: int
    ) -> int:
        """The size of a feature map along one axis: ``(W1 - F + 2P) / S + 1``.

        The result counts positions of the filter, so it must be an ``int``
        (``/`` in Python 3 gives a float).
        """
        raise NotImplementedError("ConvLayer.calculate_output_size: your code here")


def padding(input_array: NDArray[Any], zp: int) -> NDArray[Any]:
    """Surround the input with ``zp`` rings of zeros on every side.

    A 2-D input ``(H, W)`` becomes ``(H + 2zp, W + 2zp)``; a 3-D input
    ``(D, H, W)`` becomes ``(D, H + 2zp, W + 2zp)`` — the channels are not
    padded. The result's dtype is yours to choose (zeros of NumPy's default
    float dtype are fine). With ``zp == 0`` return the input itself. Never
    modify the input.
    """
    raise NotImplementedError("padding: your code here")


def conv(
    input_array: NDArray[Any],
    kernel_array: NDArray[Any],
    output_array: NDArray[Any],
    stride: int,
    bias: float,
) -> None:
    """Cross-correlate one (already padded) input with one kernel.

    Writes into ``output_array`` (shape ``(H_out, W_out)``) in place:
    ``output_array[i, j] = sum(patch(i, j) * kernel) + bias``, where
    ``patch(i, j)`` is the window of the kernel's size whose top-left corner
    is at ``(i * stride, j * stride)``. The input and the kernel are both
    2-D ``(H, W)`` or both 3-D ``(D, H, W)``; a single-channel 2-D input with
    a ``(1, h, w)`` kernel works too. The kernel is used as it is, not flipped.
    """
    raise NotImplementedError("conv: your code here")


def element_wise_op(array: NDArray[Any], op: Callable[[Any], Any]) -> None:
    """Replace every element ``x`` of ``array`` by ``op(x)``, in place.

    ``op`` takes and returns one number (e.g. an activator's ``forward``).
    Nothing is returned: the caller sees the change in its own array.
    """
    raise NotImplementedError("element_wise_op: your code here")


def get_patch(
    input_array: NDArray[Any],
    i: int,
    j: int,
    filter_width: int,
    filter_height: int,
    stride: int,
) -> NDArray[Any]:
    """The window of the input under the filter for output position ``(i, j)``.

    Its top-left corner is at row ``i * stride``, column ``j * stride``; it
    spans ``filter_height`` rows and ``filter_width`` columns. A 2-D input
    gives an ``(filter_height, filter_width)`` window, a 3-D input a
    ``(D, filter_height, filter_width)`` window through all channels.
    """
    raise NotImplementedError("get_patch: your code here")
