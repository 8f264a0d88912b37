"""The answers of the conv unit's questions, for a student's numbers, and what known mistakes answer instead.

Never shipped. One function per question id; each returns a ``Key`` (see
``grader.kit.questions``). Mistakes are named by ids of the unit's hints.
"""

import json
from pathlib import Path

import numpy as np

from grader.kit.questions import Key

from . import reference

LESSON = json.loads((Path(__file__).resolve().parents[1] / "data.json").read_text())  # the unit's data


def fc_parameters(p):
    pixels = p["H"] * p["W"]
    return Key((pixels + 1) * p["n"], [("fc_bias_forgotten", pixels * p["n"]),
                                       ("fc_bias_forgotten", pixels * p["n"] + 1)])


def architecture_nmk(p):
    n, m, k = p["N"], p["M"], p["K"]
    return Key([n, m, k], [("nmk_misread", [m, n, k]), ("nmk_misread", [n * m, m, k])])


def _correlation(p):
    x, k = np.array(json.loads(p["x"])), np.array(json.loads(p["k"]))
    stride, i, j = p["stride"], p["i"], p["j"]

    def at(kernel, row, column, step):
        return int((x[row * step:row * step + 3, column * step:column * step + 3] * kernel).sum())

    flipped, swapped = at(k[::-1, ::-1], i, j, stride), None
    out_w = (x.shape[1] - 3) // stride + 1
    out_h = (x.shape[0] - 3) // stride + 1
    if j < out_h and i < out_w:
        swapped = at(k, j, i, stride)
    mistakes = [("kernel_flipped", flipped)]
    if swapped is not None:
        mistakes.append(("rows_columns_swapped", swapped))
    if stride > 1:
        mistakes.append(("stride_ignored", at(k, i, j, 1)))
    return Key(at(k, i, j, stride), mistakes)


def a_at_stride_1(p):
    return _correlation(p)


def a_at_stride_2(p):
    return _correlation(p)


def output_size(p):
    w1, f, s = p["W1"], p["F"], p["S"]
    return Key(reference.output_size(w1, f, 0, s),
               [("output_size_formula", (w1 - f) // s), ("stride_ignored", w1 - f + 1)])


def output_size_padded(p):
    w1, f, s, pad = p["W1"], p["F"], p["S"], p["P"]
    return Key(reference.output_size(w1, f, pad, s), [
        ("output_size_without_2p", (w1 - f) // s + 1), ("output_size_without_2p", (w1 - f + pad) // s + 1),
        ("output_size_formula", (w1 - f + 2 * pad) // s)])


def _fitting(rng, padded):
    """A point where the sizes fit exactly (so / and // agree, as they do for a real layer)."""
    s, f = int(rng.integers(1, 5)), int(rng.integers(1, 8))
    point = {"S": s, "F": f}
    if padded:
        point["P"] = int(rng.integers(0, 4))
        point["W1"] = f - 2 * point["P"] + s * int(rng.integers(4, 12))
    else:
        point["W1"] = f + s * int(rng.integers(0, 12))
    return point


def output_size_formula(p):
    return Key("(W1 - F)/S + 1", [("output_size_formula", "(W1 - F)/S"), ("stride_ignored", "W1 - F + 1")],
               points=lambda rng: _fitting(rng, False))


def output_size_formula_padded(p):
    return Key("(W1 - F + 2*P)/S + 1", [("output_size_without_2p", "(W1 - F)/S + 1"),
                                        ("output_size_without_2p", "(W1 - F + P)/S + 1"),
                                        ("output_size_formula", "(W1 - F + 2*P)/S")],
               points=lambda rng: _fitting(rng, True))


def feature_maps(p):
    return Key(p["k"], [("feature_maps_per_channel", p["k"] * p["d"]), ("feature_maps_per_channel", p["d"])])


def lesson_a(p):
    x = np.array(LESSON["input"])
    weights = [np.array(f["weights"], dtype=np.float64) for f in LESSON["filters"]]
    biases = [f["bias"] for f in LESSON["filters"]]
    d, i, j = p["d"], p["i"], p["j"]
    right = reference.forward(x, weights, biases, 1, 2)[d, i, j]
    mistakes = [("kernel_flipped", reference.forward(x, [w[..., ::-1, ::-1] for w in weights], biases, 1, 2)[d, i, j]),
                ("bias_missing", reference.forward(x, weights, [0, 0], 1, 2)[d, i, j])]
    unpadded = reference.forward(x, weights, biases, 0, 2)
    if i < unpadded.shape[1] and j < unpadded.shape[2]:
        mistakes.append(("padding_missing", unpadded[d, i, j]))
    return Key(int(right), [(m, int(v)) for m, v in mistakes])


def relu_value(p):
    x = p["x"]
    return Key(max(0.0, x), [("relu_negative", x), ("relu_negative", abs(x))] if x < 0 else [])


def relu_derivative(p):
    x = p["x"]
    return Key(1 if x > 0 else 0, [("relu_derivative", 1)] if x < 0 else [("relu_derivative", x)])


def sigmoid_derivative_max(p):
    return Key(0.25, [("sigmoid_derivative_max", 1), ("sigmoid_derivative_max", 0.5)])


def fewer_parameters(p):
    return Key({"a", "b", "c"}, [("cnn_pooling_counts", {"a", "b"})])
