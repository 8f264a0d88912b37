"""Hidden tests, task 1: ReluActivator."""

import numpy as np
import pytest

from grader.kit import check_number


@pytest.fixture
def relu(submission):
    return submission.activators.ReluActivator()


@pytest.mark.parametrize("x", [3.5, 0.25, 7])
def test_forward_keeps_positive_inputs(relu, x):
    check_number(relu.forward(x), x, f"ReluActivator().forward({x!r})")


@pytest.mark.parametrize("x", [-2.0, -0.001, -5])
def test_forward_zeroes_negative_inputs(relu, x, predictions):
    check_number(relu.forward(x), 0, f"ReluActivator().forward({x!r})", suspects=predictions.relu_forward(x))


def test_forward_at_zero(relu):
    check_number(relu.forward(0.0), 0, "ReluActivator().forward(0.0)")


def test_forward_on_numpy_scalars(relu, rng, predictions):
    for value in rng.uniform(-3, 3, size=12):
        x = np.float64(value)
        check_number(relu.forward(x), max(0.0, value), f"ReluActivator().forward({value:.4f})",
                     suspects=predictions.relu_forward(float(value)))


@pytest.mark.parametrize("output", [2.5, 1e-3])
def test_backward_is_one_where_active(relu, output):
    check_number(relu.backward(output), 1, f"ReluActivator().backward({output!r})")


@pytest.mark.parametrize("output", [0.0, -1.0])
def test_backward_is_zero_where_inactive(relu, output, predictions):
    check_number(relu.backward(output), 0, f"ReluActivator().backward({output!r})",
                 suspects=predictions.relu_backward(output))
