"""Hidden tests, task 2b: ConvLayer and its helpers, level by level.

Each helper is tested on its own, so every level a student finishes earns
its points; ``forward`` is tested last and weighs more. Expected values come
from the unit's ``reference`` (the ``reference`` fixture), computed here,
never in the student's process.
"""

import numpy as np
import pytest

from grader.kit import (
    check_array,
    check_count,
    check_floats,
    check_number,
    check_shape,
    check_unchanged,
    diagnosing,
    fetch,
    probe,
    random_array,
    same,
)

# name: (the helper handed to the student's layer, its arguments, the activation as the reference applies it)
ACTIVATORS = {
    "identity": ("IdentityActivator", (), lambda reference: lambda a: a),
    "relu": ("ReluActivator", (), lambda reference: reference.relu),
    "affine": ("AffineActivator", (0.5, -0.25), lambda reference: reference.affine(0.5, -0.25)),
}


def make_layer(submission, x_shape, filter_hw, filter_number, padding, stride, activator="identity"):
    depth = 1 if len(x_shape) == 2 else x_shape[0]
    height, width = x_shape[-2:]
    helper, args, _ = ACTIVATORS[activator]
    return submission.conv_layer.ConvLayer(
        width, height, depth, filter_hw[1], filter_hw[0], filter_number, padding, stride,
        submission.helper(helper)(*args), 0.01,
    )


def run_forward(submission, reference, predictions, x, weights, biases, padding, stride, activator="identity",
                given=None, layer=None):
    """The layer's output after ``forward`` on ``x`` (or on ``given``, the same values kept in the worker), with a
    new layer of these filters, or ``layer`` again."""
    if layer is None:
        layer = make_layer(submission, x.shape, weights[0].shape[-2:], len(weights), padding, stride, activator)
        for filter_, w, b in zip(layer.filters, weights, biases):
            filter_.weights = w
            filter_.bias = b

    def diagnosis():  # only when forward fails: the expected output is the caller's to compute otherwise
        expected = reference.forward(x, weights, biases, padding, stride, ACTIVATORS[activator][2](reference))
        return predictions.forward_error(submission, layer, x, padding, stride, weights[0].shape[-2:],
                                         expected.shape, expected)

    with diagnosing(diagnosis):
        layer.forward(x if given is None else given)
    return layer.output_array, layer


def check_forward(reference, predictions, got, x, weights, biases, padding, stride, activator, what):
    activation = ACTIVATORS[activator][2](reference)
    expected = reference.forward(x, weights, biases, padding, stride, activation)
    check_array(got, expected, what, subject="layer.output_array ← layer.forward(x)",
                suspects=predictions.forward(x, weights, biases, padding, stride, activation))


# --- level 2 of __init__: the output size -----------------------------------

@pytest.mark.parametrize(
    "input_size, filter_size, padding, stride",
    [(5, 3, 1, 2), (7, 3, 0, 1), (8, 3, 1, 2), (6, 2, 2, 3), (4, 4, 0, 1), (9, 5, 2, 1)],
)
def test_calculate_output_size(submission, reference, predictions, input_size, filter_size, padding, stride):
    got = submission.conv_layer.ConvLayer.calculate_output_size(input_size, filter_size, padding, stride)
    expected = reference.output_size(input_size, filter_size, padding, stride)
    check_number(got, expected, f"calculate_output_size({input_size}, {filter_size}, {padding}, {stride})",
                 integer=True, suspects=predictions.output_size(input_size, filter_size, padding, stride))


# --- level 1: the layer's attributes -----------------------------------------

def test_init_keeps_its_arguments(submission):
    activator = submission.helper("IdentityActivator")()
    layer = submission.conv_layer.ConvLayer(7, 5, 3, 3, 2, 4, 1, 2, activator, 0.05)
    expected = {"input_width": 7, "input_height": 5, "channel_number": 3, "filter_width": 3,
                "filter_height": 2, "filter_number": 4, "zero_padding": 1, "stride": 2, "learning_rate": 0.05}
    for name, value in expected.items():
        check_number(getattr(layer, name), value, f"layer.{name}")


def test_init_sizes_the_output(submission, reference, predictions):
    # sizes chosen so that every known mistake of the formula gives a different answer
    layer = submission.conv_layer.ConvLayer(9, 5, 3, 3, 2, 4, 2, 1, submission.helper("IdentityActivator")(), 0.05)
    width, height = reference.output_size(9, 3, 2, 1), reference.output_size(5, 2, 2, 1)
    sizes = (9, 5, 3, 2, 2, 1)
    check_number(layer.output_width, width, "layer.output_width", integer=True,
                 suspects=predictions.output_sizes(*sizes, axis="width"))
    check_number(layer.output_height, height, "layer.output_height", integer=True,
                 suspects=predictions.output_sizes(*sizes, axis="height"))
    check_array(layer.output_array, np.zeros((4, height, width)), "layer.output_array",
                suspects=predictions.output_array_shape(4, height, width))


def test_init_output_array_holds_floats(submission, predictions):
    # an array of ints would cut off the fraction of every value forward writes into it
    layer = submission.conv_layer.ConvLayer(6, 5, 2, 3, 2, 3, 1, 1, submission.helper("IdentityActivator")(), 0.05)
    check_floats(layer.output_array, "layer.output_array", suspects=predictions.output_array_dtype())


def test_init_creates_one_filter_per_feature_map(submission, predictions):
    layer = submission.conv_layer.ConvLayer(6, 5, 3, 4, 2, 4, 0, 1, submission.helper("IdentityActivator")(), 0.05)
    filters = list(layer.filters)
    check_count(len(filters), 4, "layer.filters")
    for index, filter_ in enumerate(filters):
        check_shape(filter_.weights, (3, 2, 4), f"layer.filters[{index}].weights",
                    suspects=predictions.filter_weights(4, 2, 3))


# --- level 2 of forward: padding, conv, element_wise_op ---------------------

@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("zp", [1, 2])
def test_padding_adds_rings_of_zeros(submission, reference, predictions, rng, ndim, zp):
    shape = (3, 4, 5)[3 - ndim:]
    x = random_array(rng, shape)
    padding = submission.conv_layer.padding
    lifted = x[np.newaxis]
    with diagnosing(lambda: probe("input_2d", lambda: same(padding(lifted, zp), reference.pad(lifted, zp)))):
        got = padding(x, zp)
    check_array(got, reference.pad(x, zp), f"padding(x, {zp}), x.shape = {shape}",
                subject="padding(x, zp)", suspects=predictions.padding(x, zp))


def test_padding_zero_returns_the_input(submission, rng):
    x = random_array(rng, (2, 3, 4))
    check_array(submission.conv_layer.padding(x, 0), x, "padding(x, 0)")


def test_padding_leaves_an_integer_input_unchanged(submission, reference, predictions, rng):
    # the result's dtype is free: the lesson pads into a float array of zeros, which is as right as keeping ints
    x = random_array(rng, (2, 3, 3), integers=True)
    remote_x = submission.put(x)
    got = submission.conv_layer.padding(remote_x, 1)
    check_unchanged(fetch(remote_x), x, "padding(x, 1)", suspects=predictions.input_modified())
    check_array(got, reference.pad(x, 1), "padding(x, 1), x.dtype = int", suspects=predictions.padding(x, 1))


@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_get_patch(submission, reference, predictions, rng, ndim, stride):
    height, width = 6 + 2 * stride, 7 + 2 * stride
    x = random_array(rng, (3, height, width)[3 - ndim:])
    filter_width, filter_height = 3, 2
    get_patch = submission.conv_layer.get_patch
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        expected = reference.patch(x, i, j, filter_width, filter_height, stride)

        def works_in_3d(i=i, j=j, expected=expected):
            return same(get_patch(x[np.newaxis], i, j, filter_width, filter_height, stride), expected[np.newaxis])

        with diagnosing(lambda works_in_3d=works_in_3d: probe("input_2d", works_in_3d)):
            got = get_patch(x, i, j, filter_width, filter_height, stride)
        check_array(got, expected, f"get_patch(x, {i}, {j}, 3, 2, {stride}), x.shape = {x.shape}",
                    subject="get_patch(x, i, j, 3, 2, stride)",
                    suspects=predictions.get_patch(x, i, j, filter_width, filter_height, stride))


@pytest.mark.parametrize("depth", [None, 1, 3])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv_writes_one_feature_map_in_place(submission, reference, predictions, rng, depth, stride):
    x_shape = (7, 8) if depth is None else (depth, 7, 8)
    k_shape = (3, 2) if depth is None else (depth, 3, 2)
    x, kernel = random_array(rng, x_shape), random_array(rng, k_shape)
    bias = float(np.round(rng.uniform(-1, 1), 3))
    expected = reference.correlate(x, kernel, stride, bias)
    before = np.zeros(expected.shape)
    output, remote_x = submission.put(before), submission.put(x.copy())
    conv = submission.conv_layer.conv

    def works_in_3d():
        lifted = submission.put(before)
        conv(x[np.newaxis], kernel[np.newaxis], lifted, stride, bias)
        return same(fetch(lifted), expected)

    with diagnosing(lambda: predictions.window_swapped(kernel.shape)
                    + predictions.loops_swapped(x, kernel.shape, expected.shape, stride)
                    + (probe("input_2d", works_in_3d) if depth is None else [])):
        conv(remote_x, kernel, output, stride, bias)
    what = f"output_array ← conv(x, kernel, output_array, {stride}, {bias}), x.shape = {x_shape}"
    check_unchanged(fetch(remote_x), x, "conv(x, kernel, output_array, stride, bias)",
                    suspects=predictions.input_modified())
    check_array(fetch(output), expected, what, subject="output_array ← conv(…)",
                suspects=predictions.conv(x, kernel, stride, bias, before))


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_writes_over_what_the_output_held(submission, reference, predictions, rng, stride):
    # forward hands conv the same output array sample after sample: what it held before must not count
    x, kernel = random_array(rng, (2, 7, 9)), random_array(rng, (2, 3, 2))
    expected = reference.correlate(x, kernel, stride, -0.25)
    before = np.round(rng.uniform(1, 3, size=expected.shape), 3)
    output = submission.put(before)
    with diagnosing(lambda: predictions.window_swapped(kernel.shape)
                    + predictions.loops_swapped(x, kernel.shape, expected.shape, stride)):
        submission.conv_layer.conv(x, kernel, output, stride, -0.25)
    check_array(fetch(output), expected, f"output_array ← conv(x, kernel, output_array, {stride}, -0.25), "
                "output_array holding other values before", subject="output_array ← conv(…) over other values",
                suspects=predictions.conv(x, kernel, stride, -0.25, before))


@pytest.mark.parametrize("op", ["double", "square", "negate_plus_one"])
def test_element_wise_op_changes_the_array_in_place(submission, predictions, rng, op):
    x = random_array(rng, (2, 3, 4))
    functions = {"double": lambda a: 2 * a, "square": lambda a: a * a, "negate_plus_one": lambda a: 1 - a}
    remote = submission.put(x.copy())
    submission.conv_layer.element_wise_op(remote, submission.helper(op))
    check_array(fetch(remote), functions[op](x), f"array ← element_wise_op(array, {op})",
                suspects=predictions.element_wise_op(x))


def test_element_wise_op_keeps_fractions_when_op_gives_an_int_first(submission, predictions, rng):
    # the lesson's ReLU is max(0, x): an int 0 for the first (negative) value, floats for the positive ones
    x = random_array(rng, (2, 3, 4))
    x[0, 0, 0], x[1, 2, 3] = -1.25, 1.625
    remote = submission.put(x.copy())
    submission.conv_layer.element_wise_op(remote, submission.helper("lesson_relu"))
    check_array(fetch(remote), np.maximum(x, 0), "array ← element_wise_op(array, lesson_relu), array[0, 0, 0] < 0",
                subject="array ← element_wise_op(array, op)",
                suspects=predictions.element_wise_op(x, lambda a: np.maximum(a, 0)))


# --- the whole forward pass ---------------------------------------------------

@pytest.mark.weight(2)
def test_forward_lesson_example(submission, reference, predictions, unit_data):
    x = np.array(unit_data["input"])
    weights = [np.array(f["weights"], dtype=np.float64) for f in unit_data["filters"]]
    biases = [f["bias"] for f in unit_data["filters"]]
    args = unit_data["conv_layer_args"]
    got, _ = run_forward(submission, reference, predictions, x, weights, biases, args["zero_padding"],
                         args["stride"])
    check_array(got, np.array(unit_data["expected_output"], dtype=np.float64),
                "layer.output_array ← layer.forward(lesson_x)",
                suspects=predictions.forward(x, weights, biases, args["zero_padding"], args["stride"], lambda a: a))


FORWARD_CASES = [
    # (input shape, filter (h, w), filters, padding, stride, activator)
    ((3, 7, 6), (3, 3), 2, 1, 2, "identity"),
    ((1, 6, 9), (2, 3), 3, 0, 1, "relu"),
    ((4, 8, 5), (3, 2), 2, 2, 3, "affine"),
    ((2, 5, 5), (5, 5), 1, 0, 1, "identity"),
    ((2, 9, 7), (4, 3), 2, 1, 2, "relu"),
]


@pytest.mark.weight(2)
@pytest.mark.parametrize("case", range(len(FORWARD_CASES)))
def test_forward_random(submission, reference, predictions, rng, case):
    x_shape, filter_hw, count, padding, stride, activator = FORWARD_CASES[case]
    x = random_array(rng, x_shape)
    weights = [random_array(rng, (x_shape[0], *filter_hw)) for _ in range(count)]
    biases = [float(np.round(rng.uniform(-1, 1), 3)) for _ in range(count)]
    got, _ = run_forward(submission, reference, predictions, x, weights, biases, padding, stride, activator)
    check_forward(reference, predictions, got, x, weights, biases, padding, stride, activator,
                  f"layer.output_array ← layer.forward(x), x.shape = {x_shape}, filter_number = {count}, "
                  f"(filter_height, filter_width) = {filter_hw}, zero_padding = {padding}, stride = {stride}, "
                  f"activator = {activator}")


@pytest.mark.parametrize("activator", ["identity", "relu"])
def test_forward_on_a_second_input_gives_its_own_output(submission, reference, predictions, rng, activator):
    # a layer runs forward once per sample, into the same output array: the second output owes nothing to the first
    x_shape, filter_hw, padding, stride = (2, 6, 8), (3, 2), 1, 2
    first_x, second_x = random_array(rng, x_shape), random_array(rng, x_shape)
    weights = [random_array(rng, (2, *filter_hw)) for _ in range(3)]
    biases = [0.5, -0.25, 0.125]
    activation = ACTIVATORS[activator][2](reference)
    first = reference.forward(first_x, weights, biases, padding, stride, activation)
    got, layer = run_forward(submission, reference, predictions, first_x, weights, biases, padding, stride, activator)
    check_forward(reference, predictions, got, first_x, weights, biases, padding, stride, activator,
                  "layer.output_array ← layer.forward(x), a new layer")
    got, _ = run_forward(submission, reference, predictions, second_x, weights, biases, padding, stride, activator,
                         layer=layer)
    check_array(got, reference.forward(second_x, weights, biases, padding, stride, activation),
                f"layer.output_array ← layer.forward(second_x), first_x forwarded before, activator = {activator}",
                subject="layer.output_array ← a second layer.forward(x)",
                suspects=predictions.forward_again(first, second_x, weights, biases, padding, stride, activation))


def test_forward_on_a_2d_input(submission, reference, predictions, rng):
    x = random_array(rng, (6, 7))
    weights = [random_array(rng, (1, 3, 3)) for _ in range(2)]
    remote_x = submission.put(x.copy())
    got, _ = run_forward(submission, reference, predictions, x, weights, [0.5, -0.5], 1, 1, given=remote_x)
    check_unchanged(fetch(remote_x), x, "layer.forward(x)", suspects=predictions.input_reshaped(x.shape))
    check_forward(reference, predictions, got, x, weights, [0.5, -0.5], 1, 1, "identity",
                  "layer.output_array ← layer.forward(x), x.shape = (6, 7)")


def test_forward_on_integer_input_leaves_it_unchanged(submission, reference, predictions, rng):
    x = random_array(rng, (2, 5, 6), integers=True)
    weights = [random_array(rng, (2, 3, 3))]
    layer = make_layer(submission, x.shape, (3, 3), 1, 1, 1)
    filter_ = layer.filters[0]
    filter_.weights = weights[0]
    filter_.bias = 0.25
    remote_x = submission.put(x.copy())
    with diagnosing(lambda: predictions.forward_error(submission, layer, x, 1, 1, (3, 3), (1, 5, 6))):
        layer.forward(remote_x)
    check_unchanged(fetch(remote_x), x, "layer.forward(x)", suspects=predictions.input_modified())
    check_forward(reference, predictions, layer.output_array, x, weights, [0.25], 1, 1, "identity",
                  "layer.output_array ← layer.forward(x), x.dtype = int")
