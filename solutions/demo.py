"""The lesson's check: run the worked example through a ``ConvLayer``.

A 5x5 input with 3 channels, two 3x3x3 filters, zero padding 1, stride 2 and
the identity activator give two 3x3 feature maps. Run it with
``python -m exercises.demo`` once your ``ConvLayer`` works (``--lang zh``:
in Chinese; without it, the course's language). It prints the maps, says
whether they are the lesson's, and exits with status 1 when they are not.
Expected, in the lesson's notation::

    ["f:",[[3,3,[6,7,5,3,-1,-1,2,-1,4]],[3,3,[2,-5,-8,1,-4,-4,0,-5,-5]]]]

Check one value by hand: ``a[0, 0, 0]`` (first filter, top-left corner) is 6;
remember the ring of zeros around the input.
"""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
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


# The lesson's two feature maps for this input (the line above, as arrays)
EXPECTED = [
    [[6, 7, 5], [3, -1, -1], [2, -1, 4]],
    [[2, -5, -8], [1, -4, -4], [0, -5, -5]],
]

WORDS = {
    "en": {
        "stub": "Not there yet: {name} is still a stub.\nFill in the stubs in the order each module's docstring "
                "gives, then run this demo again.",
        "map": "feature map {index} ({height}x{width}):",
        "same": "These are the lesson's feature maps: your ConvLayer works on its example.",
        "shape": "These are not the lesson's feature maps: the output has shape {got}; the lesson's is {expected}.",
        "differ": "These are not the lesson's feature maps: a[{where}] is {got}; the lesson has {expected} "
                  "({count} of {total} values differ). Check the padding, the stride and the bias.",
    },
    "zh": {
        "stub": "还没完成：{name} 还是待实现的函数。\n请按每个模块的文档字符串给出的顺序把它们写完，再运行这个演示。",
        "map": "特征图 {index}（{height}x{width}）：",
        "same": "这正是课程中的特征图：你的 ConvLayer 算对了课程的例子。",
        "shape": "这不是课程中的特征图：输出的形状是 {got}，课程中的是 {expected}。",
        "differ": "这不是课程中的特征图：a[{where}] 是 {got}，课程中是 {expected}（{total} 个值中有 {count} 个不同）。"
                  "请检查补零、步幅和偏置。",
    },
}


def language(argv: list[str]) -> str:
    """``--lang en|zh`` if given; else the ``language`` of the course.yaml in this folder or above; else en."""
    if "--lang" in argv[:-1]:
        chosen = argv[argv.index("--lang") + 1]
        return chosen if chosen in WORDS else "en"
    folder = Path.cwd().resolve()
    for place in [folder, *folder.parents]:
        course = place / "course.yaml"
        if course.is_file():
            found = re.search(r"^language:\s*(\w+)", course.read_text(encoding="utf-8", errors="replace"), re.M)
            return found.group(1) if found and found.group(1) in WORDS else "en"
    return "en"


def verdict(output: np.ndarray, words: dict[str, str]) -> tuple[bool, str]:
    """Whether ``output`` is the lesson's maps, and the sentence that says so (or says where it is not)."""
    expected = np.array(EXPECTED, dtype=np.float64)
    if output.shape != expected.shape:
        return False, words["shape"].format(got=output.shape, expected=expected.shape)
    close = np.isclose(output, expected, rtol=0, atol=1e-6)
    if close.all():
        return True, words["same"]
    where = tuple(int(i) for i in np.argwhere(~close)[0])
    return False, words["differ"].format(where=", ".join(map(str, where)), got=_plain(output[where]),
                                         expected=_plain(expected[where]), count=int((~close).sum()),
                                         total=close.size)


def main(argv: list[str] | None = None) -> int:
    words = WORDS[language(sys.argv[1:] if argv is None else argv)]
    try:
        layer, input_array = build()
        layer.forward(input_array)
    except NotImplementedError as error:
        print(words["stub"].format(name=_first_missing(error)), file=sys.stderr)
        return 2
    output = np.asarray(layer.output_array, dtype=np.float64)
    for index, feature_map in enumerate(output):
        print(words["map"].format(index=index, height=feature_map.shape[0], width=feature_map.shape[1]))
        for row in feature_map:
            print("  " + " ".join(f"{_plain(v):>4}" for v in row))
    print(lesson_line(output))
    right, sentence = verdict(output, words)
    print(sentence)
    return 0 if right else 1


if __name__ == "__main__":
    sys.exit(main())
