"""Activation functions.

Task 1 of the unit: ``ReluActivator``. ``IdentityActivator`` is given complete;
the lesson's demo uses it so that the feature maps can be checked by hand.

An activator has two methods, both on a single number (a Python or NumPy
scalar), never on a whole array:

- ``forward(weighted_input)``: the activation ``f(x)``;
- ``backward(output)``: the derivative ``f'`` expressed through the output.
"""

from __future__ import annotations

from typing import Protocol

Number = float


class Activator(Protocol):
    """What ``ConvLayer`` needs from an activator."""

    def forward(self, weighted_input: Number) -> Number: ...

    def backward(self, output: Number) -> Number: ...


class ReluActivator:
    """The rectified linear unit: ``f(x) = max(0, x)``."""

    def forward(self, weighted_input: Number) -> Number:
        """Return ``max(0, x)`` for one number ``x``.

        Negative inputs become 0, everything else passes unchanged.
        Question: what is ``f(0)``?
        """
        raise NotImplementedError("ReluActivator.forward: your code here")

    def backward(self, output: Number) -> Number:
        """Return the derivative of ReLU, given the unit's output.

        It is 1 where the unit is active (``output > 0``) and 0 otherwise.
        Unlike the sigmoid's derivative (at most 1/4), it does not shrink
        the error term as it flows back through many layers.
        """
        raise NotImplementedError("ReluActivator.backward: your code here")


class IdentityActivator:
    """``f(x) = x``: no activation at all (given, not an exercise)."""

    def forward(self, weighted_input: Number) -> Number:
        return weighted_input

    def backward(self, output: Number) -> Number:
        return 1
