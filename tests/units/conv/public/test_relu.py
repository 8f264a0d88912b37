"""Public checks, task 1: ReluActivator. Run them with `grader check`."""

from grader.kit import check_number


def test_forward_positive(submission):
    check_number(submission.activators.ReluActivator().forward(2.0), 2.0, "ReluActivator().forward(2.0)")


def test_forward_negative(submission, predictions):
    check_number(submission.activators.ReluActivator().forward(-3.0), 0, "ReluActivator().forward(-3.0)",
                 suspects=predictions.relu_forward(-3.0))


def test_backward(submission, predictions):
    relu = submission.activators.ReluActivator()
    check_number(relu.backward(4.0), 1, "ReluActivator().backward(4.0)")
    check_number(relu.backward(0.0), 0, "ReluActivator().backward(0.0)", suspects=predictions.relu_backward(0.0))
