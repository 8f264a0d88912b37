"""A filter (convolution kernel): the parameters behind one feature map.

Task 2a of the unit. A conv layer holds one ``Filter`` per feature map it
produces; every position of that feature map shares the same weights.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class Filter:
    """The weights and bias of one filter, with room for their gradients.

    Attributes:
        weights: shape ``(depth, height, width)``, drawn uniformly from
            ``[-1e-4, 1e-4)`` so that training starts from small values.
        bias: a number, initially 0.
        weights_grad: zeros of the same shape as ``weights``.
        bias_grad: a number, initially 0.
    """

    weights: NDArray[np.float64]
    bias: float
    weights_grad: NDArray[np.float64]
    bias_grad: float

    def __init__(self, width: int, height: int, depth: int) -> None:
        """Create the filter's parameters.

        Mind the order: the arguments are ``(width, height, depth)`` but the
        array's shape is ``(depth, height, width)`` — channels first, then
        rows, then columns, like the input arrays.
        """
        ### BEGIN SOLUTION
        self.weights = np.random.uniform(-1e-4, 1e-4, (depth, height, width))
        self.bias = 0
        self.weights_grad = np.zeros(self.weights.shape)
        self.bias_grad = 0
        ### END SOLUTION

    def __repr__(self) -> str:
        """A readable summary: the weights and the bias."""
        ### BEGIN SOLUTION
        return f"filter weights:\n{self.weights!r}\nbias:\n{self.bias!r}"
        ### END SOLUTION

    def get_weights(self) -> NDArray[np.float64]:
        """Return the weights array itself (not a copy)."""
        ### BEGIN SOLUTION
        return self.weights
        ### END SOLUTION

    def get_bias(self) -> float:
        """Return the bias."""
        ### BEGIN SOLUTION
        return self.bias
        ### END SOLUTION

    def update(self, learning_rate: float) -> None:
        """One step of gradient descent on the weights and the bias.

        ``w <- w - learning_rate * dE/dw`` and ``b <- b - learning_rate * dE/db``,
        with the gradients taken from ``weights_grad`` and ``bias_grad``.
        """
        ### BEGIN SOLUTION
        self.weights -= learning_rate * self.weights_grad
        self.bias -= learning_rate * self.bias_grad
        ### END SOLUTION
