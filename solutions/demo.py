"""The lesson's check: run the worked example through a ``ConvLayer``.

A 5x5 input with 3 channels, two 3x3x3 filters, zero padding 1, stride 2 and
the identity activator give two 3x3 feature maps. Run it with
``python -m exercises.demo`` (your code) or ``python -m solutions.demo``.
Expected, in the lesson's notation::

    ["f:",[[3,3,[6,7,5,3,-1,-1,2,-1,4]],[3,3,[2,-5,-8,1,-4,-4,0,-5,-5]]]]

Check one value by hand: ``a[0, 0, 0]`` (first filter, top-left corner) is 6;
remember the ring of zeros around the input.
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import numpy as np

INPUT = [
    [[0, 1, 1, 0, 2], [2, 2, 2, 2, 1], [1, 0, 0, 2, 0], [0, 1, 1, 0, 0], [1, 2, 0, 0, 2]],
    [[1, 0, 2, 2, 0], [0, 0, 0, 2, 0], [1, 2, 1, 2, 1], [1, 0, 0, 0, 0], [1, 2, 1, 1, 1]],
    [[2, 1, 2, 0, 0], [1, 0, 0, 1, 0], [0, 2, 1, 0, 1], [0, 1, 2, 2, 2], [2, 1, 0, 0, 1]],
]
FILTER_WEIGHTS = [
    [[[-1, 1, 0], [0, 1, 0], [0, 1, 1]],
     [[-1, -1, 0], [0, 0, 0], [0, -1, 0]],
     [[0, 0, -1], [0, 1, 0], [1, -1, -1]]],
    [[[1, 1, -1], [-1, -1, 1], [0, -1, 1]],
     [[0, 1, 0], [-1, 0, -1], [-1, 1, 0]],
     [[-1, 0, 0], [-1, 0, 1], [-1, 0, 0]]],
]
FILTER_BIASES = [1, 0]


def build() -> tuple[Any, np.ndarray]:
    """The lesson's ``Test.init``: the input array and a configured layer."""
    from .activators import IdentityActivator
    from .conv_layer import ConvLayer

    layer = ConvLayer(5, 5, 3, 3, 3, 2, 1, 2, IdentityActivator(), 0.001)
    for filter_, weights, bias in zip(layer.filters, FILTER_WEIGHTS, FILTER_BIASES):
        filter_.weights = np.array(weights, dtype=np.float64)
        filter_.bias = bias
    return layer, np.array(INPUT)


def _plain(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 6)


def lesson_line(feature_maps: np.ndarray) -> str:
    """The feature maps as the lesson prints them: ``["f:",[[h,w,[...]],...]]``."""
    maps = [[m.shape[0], m.shape[1], [_plain(v) for v in m.ravel()]] for m in feature_maps]
    return json.dumps(["f:", maps], separators=(",", ":"))


def _qualified(frame: types.FrameType) -> str:
    """``Class.method`` for the function running in ``frame``."""
    code = frame.f_code
    name = getattr(code, "co_qualname", None)  # Python 3.11 and later
    if isinstance(name, str):
        return name
    for value in list(frame.f_globals.values()):  # Python 3.10: the class of the module that defines it
        if isinstance(value, type):
            member = value.__dict__.get(code.co_name)
            if getattr(getattr(member, "__func__", member), "__code__", None) is code:
                return f"{value.__name__}.{code.co_name}"
    return code.co_name


def _first_missing(error: NotImplementedError) -> str:
    """The qualified name of the function whose stub raised ``error``."""
    tb = error.__traceback__
    name = "?"
    while tb is not None:
        name = _qualified(tb.tb_frame)
        tb = tb.tb_next
    return name


def main() -> int:
    try:
        layer, input_array = build()
        layer.forward(input_array)
    except NotImplementedError as error:
        print(
            f"Not there yet: {_first_missing(error)} is still a stub.\n"
            "Fill in the stubs in the order each module's docstring gives, "
            "then run this demo again.",
            file=sys.stderr,
        )
        return 2
    output = np.asarray(layer.output_array)
    for index, feature_map in enumerate(output):
        print(f"feature map {index} ({feature_map.shape[0]}x{feature_map.shape[1]}):")
        for row in feature_map:
            print("  " + " ".join(f"{_plain(v):>4}" for v in row))
    print(lesson_line(output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
