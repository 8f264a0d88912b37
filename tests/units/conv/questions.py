"""The numbers of each student's questions (shipped: `grader questions` renders them anywhere).

Each generator takes a NumPy random generator seeded by the student and the
question, and returns the names the question's text uses.
"""


def fc_layer(rng):
    side = int(rng.choice([28, 32, 64, 100, 256, 1000]))
    return {"H": side, "W": int(rng.choice([side, side // 2])), "n": int(rng.integers(10, 300))}


def architecture(rng):
    n, m, k = (int(v) for v in rng.integers(1, 4, size=3))
    block = " -> ".join(["CONV"] * n + ["POOL"])
    return {"N": n, "M": m, "K": k, "layers": " -> ".join(["INPUT", *([block] * m), *(["FC"] * k)])}


def _rows(array):
    return "[" + ", ".join("[" + ", ".join(str(int(v)) for v in row) + "]" for row in array) + "]"


def _image(rng, stride):
    h, w = int(rng.integers(4 + stride, 7 + stride)), int(rng.integers(4 + stride, 7 + stride))
    x = rng.integers(0, 3, size=(h, w))
    k = rng.integers(-1, 2, size=(3, 3))
    while (k == k[::-1, ::-1]).all():  # a symmetric filter would not tell a flip from the right answer
        k = rng.integers(-1, 2, size=(3, 3))
    out_h, out_w = (h - 3) // stride + 1, (w - 3) // stride + 1
    # away from the corner where it can: there, a stride ignored would still give the right value
    return {"h": h, "w": w, "x": _rows(x), "k": _rows(k), "stride": stride,
            "i": int(rng.integers(min(1, out_h - 1), out_h)), "j": int(rng.integers(min(1, out_w - 1), out_w))}


def small_image_stride_1(rng):
    return _image(rng, 1)


def small_image_stride_2(rng):
    return _image(rng, 2)


def sizes_without_padding(rng):
    s, f = int(rng.integers(1, 4)), int(rng.choice([2, 3, 5]))
    return {"S": s, "F": f, "W1": f + s * int(rng.integers(2, 20))}


def sizes_with_padding(rng):
    s, f, p = int(rng.integers(1, 4)), int(rng.choice([3, 5, 7])), int(rng.integers(1, 3))
    return {"S": s, "F": f, "P": p, "W1": f - 2 * p + s * int(rng.integers(3, 20))}


def filters(rng):
    return {"k": int(rng.integers(2, 65)), "d": int(rng.integers(2, 9))}


def lesson_position(rng):
    return {"d": int(rng.integers(0, 2)), "i": int(rng.integers(0, 3)), "j": int(rng.integers(0, 3))}


def relu_point(rng):
    value = float(rng.choice([-1, 1]) * rng.integers(1, 40) / 4)
    return {"x": value}
