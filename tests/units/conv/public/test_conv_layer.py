"""Public checks, task 2b: ConvLayer and its helpers.

Each function's check comes after the checks of what it relies on (the output
size before ``__init__``, ``get_patch`` before ``conv``, every helper before
``forward``), so the first failing check points at the function to fix.
Inputs are chosen so that each known mistake gives an answer of its own.
"""

import numpy as np

from grader.kit import check_array, check_floats, check_number, check_unchanged, diagnosing, fetch, probe, same


def test_calculate_output_size(submission, predictions):
    # (7 - 3 + 2*2) / 1 + 1 = 9; without 2P it would be 5, without + 1 it would be 8
    got = submission.conv_layer.ConvLayer.calculate_output_size(7, 3, 2, 1)
    check_number(got, 9, "calculate_output_size(7, 3, 2, 1)", integer=True,
                 suspects=predictions.output_size(7, 3, 2, 1))


def test_init_sizes_the_output(submission, predictions):
    # input 7 wide and 5 high, filter 2 wide and 3 high, zero padding 2, stride 1: not square, on purpose
    layer = submission.conv_layer.ConvLayer(7, 5, 2, 2, 3, 3, 2, 1, submission.helper("IdentityActivator")(), 0.01)
    sizes = (7, 5, 2, 3, 2, 1)
    call = "ConvLayer(7, 5, 2, 2, 3, 3, 2, 1, activator, 0.01)"  # as a message names the call when it raises
    check_number(layer.output_width, 10, f"{call}.output_width", integer=True,
                 suspects=predictions.output_sizes(*sizes, axis="width"))
    check_number(layer.output_height, 7, f"{call}.output_height", integer=True,
                 suspects=predictions.output_sizes(*sizes, axis="height"))
    check_array(layer.output_array, np.zeros((3, 7, 10)), f"{call}.output_array",
                suspects=predictions.output_array_shape(3, 7, 10))


def test_init_output_array_holds_floats(submission, predictions):
    # an array of ints would cut off the fraction of every value forward writes into it
    layer = submission.conv_layer.ConvLayer(7, 5, 2, 2, 3, 3, 2, 1, submission.helper("IdentityActivator")(), 0.01)
    check_floats(layer.output_array, "ConvLayer(7, 5, 2, 2, 3, 3, 2, 1, activator, 0.01).output_array",
                 suspects=predictions.output_array_dtype())


def test_padding(submission, predictions):
    x = np.ones((2, 3))
    expected = np.zeros((4, 5))
    expected[1:3, 1:4] = 1
    padding = submission.conv_layer.padding
    with diagnosing(lambda: probe("input_2d", lambda: same(padding(x[np.newaxis], 1), expected[np.newaxis]))):
        got = padding(x, 1)
    check_array(got, expected, "padding(ones((2, 3)), 1)", suspects=predictions.padding(x, 1))


def test_padding_3d(submission, predictions):
    x = np.arange(1.0, 13.0).reshape(2, 2, 3)
    expected = np.zeros((2, 4, 5))
    expected[:, 1:3, 1:4] = x
    check_array(submission.conv_layer.padding(x, 1), expected, "padding(arange(1, 13).reshape(2, 2, 3), 1)",
                suspects=predictions.padding(x, 1))


def test_get_patch(submission, predictions):
    x = np.arange(42.0).reshape(6, 7)
    get_patch = submission.conv_layer.get_patch
    with diagnosing(lambda: probe("input_2d", lambda: same(get_patch(x[np.newaxis], 1, 2, 3, 2, 2),
                                                           x[np.newaxis, 2:4, 4:7]))):
        got = get_patch(x, 1, 2, 3, 2, 2)
    check_array(got, x[2:4, 4:7], "get_patch(arange(42).reshape(6, 7), 1, 2, 3, 2, 2)",
                suspects=predictions.get_patch(x, 1, 2, 3, 2, 2))


def test_conv(submission, predictions):
    x, kernel = np.arange(20.0).reshape(4, 5), np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 1.0]])
    expected = np.array([[4.0, 7.0, 10.0], [19.0, 22.0, 25.0], [34.0, 37.0, 40.0]])
    output, remote_x = submission.put(np.zeros((3, 3))), submission.put(x.copy())
    conv = submission.conv_layer.conv

    def works_in_3d():
        lifted = submission.put(np.zeros((3, 3)))
        conv(x[np.newaxis], kernel[np.newaxis], lifted, 1, 1.0)
        return same(fetch(lifted), expected)

    with diagnosing(lambda: predictions.window_swapped(kernel.shape) + probe("input_2d", works_in_3d)):
        conv(remote_x, kernel, output, 1, 1.0)
    check_unchanged(fetch(remote_x), x, "conv(x, kernel, output_array, 1, 1.0)", suspects=predictions.input_modified())
    check_array(fetch(output), expected,
                "output_array ← conv(arange(20).reshape(4, 5), [[1, 2, 0], [0, -1, 1]], output_array, 1, 1.0)",
                suspects=predictions.conv(x, kernel, 1, 1.0, np.zeros((3, 3))))


def test_conv_on_a_non_square_output_over_other_values(submission, predictions):
    # a 3 x 5 feature map, written into an array that held 2s: forward hands conv the same output sample after
    # sample, so what it held must not count. With this kernel, output[i, j] = x[i, j] + 2 x[i, j + 1]
    # - x[i + 1, j + 1] + 0.5 = 12 i + 2 j - 4.5
    x, kernel = np.arange(24.0).reshape(4, 6), np.array([[1.0, 2.0], [0.0, -1.0]])
    expected = np.add.outer(12.0 * np.arange(3), 2.0 * np.arange(5)) - 4.5
    output = submission.put(np.full((3, 5), 2.0))
    with diagnosing(lambda: predictions.loops_swapped(x, kernel.shape, (3, 5), 1)):
        submission.conv_layer.conv(x, kernel, output, 1, 0.5)
    check_array(fetch(output), expected,
                "output_array ← conv(arange(24).reshape(4, 6), [[1, 2], [0, -1]], output_array, 1, 0.5), "
                "output_array full of 2s before", subject="output_array ← conv(…) over other values",
                suspects=predictions.conv(x, kernel, 1, 0.5, np.full((3, 5), 2.0)))


def test_element_wise_op(submission, predictions):
    array = submission.put(np.array([[1.0, -2.0]]))
    submission.conv_layer.element_wise_op(array, submission.helper("double"))
    check_array(fetch(array), np.array([[2.0, -4.0]]), "array ← element_wise_op(array, double)",
                suspects=predictions.element_wise_op(np.array([[1.0, -2.0]])))


def test_element_wise_op_with_the_lessons_relu(submission, predictions):
    # max(0, x) gives an int 0 for -2.0: the array keeps its floats all the same
    x = np.array([[-2.0, 1.5], [0.25, -0.5]])
    array = submission.put(x.copy())
    submission.conv_layer.element_wise_op(array, submission.helper("lesson_relu"))
    check_array(fetch(array), np.array([[0.0, 1.5], [0.25, 0.0]]),
                "array ← element_wise_op([[-2, 1.5], [0.25, -0.5]], lesson_relu)",
                suspects=predictions.element_wise_op(x, lambda a: np.maximum(a, 0)))


def run_forward(submission, predictions, shape, activator, weights, biases, zero_padding, stride, x, layer=None):
    """A layer of the given (depth, height, width) input with these filters (or ``layer`` again), its forward pass
    on ``x``, and its output array."""
    depth, height, width = shape
    filter_height, filter_width = np.shape(weights[0])[-2:]
    if layer is None:
        layer = submission.conv_layer.ConvLayer(width, height, depth, filter_width, filter_height, len(weights),
                                                zero_padding, stride, submission.helper(activator)(), 0.001)
        for filter_, w, b in zip(layer.filters, weights, biases):
            filter_.weights = np.array(w, dtype=np.float64)
            filter_.bias = b
    out_shape = (len(weights), (height - filter_height + 2 * zero_padding) // stride + 1,
                 (width - filter_width + 2 * zero_padding) // stride + 1)
    with diagnosing(lambda: predictions.forward_error(submission, layer, x, zero_padding, stride,
                                                   (filter_height, filter_width), out_shape)):
        layer.forward(x)
    return layer.output_array, layer


def test_forward_lesson_example(submission, predictions, unit_data):
    x = np.array(unit_data["input"])
    weights = [f["weights"] for f in unit_data["filters"]]
    biases = [f["bias"] for f in unit_data["filters"]]
    args = unit_data["conv_layer_args"]
    shape = (args["channel_number"], args["input_height"], args["input_width"])
    got, _ = run_forward(submission, predictions, shape, "IdentityActivator", weights, biases, args["zero_padding"],
                         args["stride"], x)
    floats = [np.array(w, dtype=np.float64) for w in weights]
    check_array(got, np.array(unit_data["expected_output"], dtype=np.float64),
                "layer.output_array ← layer.forward(lesson_x)",
                suspects=predictions.forward(x, floats, biases, args["zero_padding"], args["stride"], lambda a: a))


RELU_X = [
    [[2, -2, -2, -2, 2], [1, 2, -1, 1, -1], [0, -2, 1, 2, 1], [-2, 0, -1, 2, 2]],
    [[-2, 0, 2, 2, 1], [1, -2, 1, 0, -2], [-1, 0, 1, 0, 1], [2, 1, -1, 1, 0]],
]
RELU_WEIGHTS = [  # two filters, 2 wide and 3 high, over 2 channels
    [[[-1, -1], [0, 0], [0, -1]], [[-1, -1], [0, 1], [0, 0]]],
    [[[0, 1], [0, 0], [0, 0]], [[0, 0], [0, 1], [1, -1]]],
]
RELU_BIASES = [1, -2]


RELU_EXPECTED = [
    [[0, 0, 4, 2, 3, 1], [2, 3, 3, 0, 0, 0], [0, 0, 3, 0, 2, 4], [4, 5, 0, 0, 0, 0]],
    [[0, 1, 0, 1, 1, 0], [2, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0]],
]


def test_forward_with_relu_on_a_non_square_input(submission, predictions):
    # many weighted sums are negative here, so ReLU, and where the bias goes, make a difference
    x = np.array(RELU_X)
    got, _ = run_forward(submission, predictions, (2, 4, 5), "ReluActivator", RELU_WEIGHTS, RELU_BIASES, 1, 1, x)
    weights = [np.array(w, dtype=np.float64) for w in RELU_WEIGHTS]
    check_array(got, np.array(RELU_EXPECTED, dtype=np.float64), "layer.output_array ← layer.forward(relu_x)",
                suspects=predictions.forward(x, weights, RELU_BIASES, 1, 1, lambda a: np.maximum(a, 0)))


def test_forward_twice_gives_the_same_output(submission, predictions):
    # a layer runs forward once per sample, into the same output array: the same input gives the same output again
    x = np.array(RELU_X)
    shape, expected = (2, 4, 5), np.array(RELU_EXPECTED, dtype=np.float64)
    _, layer = run_forward(submission, predictions, shape, "ReluActivator", RELU_WEIGHTS, RELU_BIASES, 1, 1, x)
    got, _ = run_forward(submission, predictions, shape, "ReluActivator", RELU_WEIGHTS, RELU_BIASES, 1, 1, x, layer)
    weights = [np.array(w, dtype=np.float64) for w in RELU_WEIGHTS]
    check_array(got, expected, "layer.output_array ← layer.forward(relu_x), relu_x forwarded once before",
                suspects=predictions.forward_again(expected, x, weights, RELU_BIASES, 1, 1,
                                                   lambda a: np.maximum(a, 0)))


def test_forward_on_a_2d_input_leaves_it_as_it_was(submission, predictions):
    # one channel written as the lesson writes it, (height, width): the caller's array keeps its shape and values
    x = np.array([[1.0, -1.0, 2.0], [0.0, 3.0, -2.0], [1.0, 1.0, 0.0]])
    remote_x = submission.put(x.copy())
    got, _ = run_forward(submission, predictions, (1, 3, 3), "IdentityActivator", [[[[1, 0], [0, -1]]]], [0.5], 0,
                         1, remote_x)
    check_unchanged(fetch(remote_x), x, "layer.forward(x)", suspects=predictions.input_reshaped(x.shape))
    check_array(got, np.array([[[-1.5, 1.5], [-0.5, 3.5]]]), "layer.output_array after layer.forward(x), "
                "x.shape = (3, 3)", suspects=predictions.forward(x, [np.array([[[1.0, 0.0], [0.0, -1.0]]])], [0.5],
                                                                 0, 1, lambda a: a))


def test_forward_on_an_integer_input_keeps_the_fractions_of_its_output(submission, predictions):
    # the input's dtype is not the output's: a bias of 0.5 gives every value a fraction
    x = np.array([[[1, -1, 2], [0, 3, -2], [1, 1, 0]]])
    got, _ = run_forward(submission, predictions, (1, 3, 3), "IdentityActivator", [[[[1, 0], [0, -1]]]], [0.5], 0,
                         1, x)
    check_array(got, np.array([[[-1.5, 1.5], [-0.5, 3.5]]]), "layer.output_array ← layer.forward(x), x.dtype = int",
                suspects=predictions.forward(x, [np.array([[[1.0, 0.0], [0.0, -1.0]]])], [0.5], 0, 1, lambda a: a))
