"""Objects the conv unit's suites create inside the sandbox and hand to student code.

Sent into every worker (``helpers`` in course.yaml); the suites reach them
with ``submission.helper(name)``. Plain Python: the sandbox holds no grader.
"""


class IdentityActivator:
    def forward(self, weighted_input):
        return weighted_input

    def backward(self, output):
        return 1


class ReluActivator:
    """The course's own ReLU, handed to student layers (the student's is tested on its own)."""

    def forward(self, weighted_input):
        return weighted_input * (weighted_input > 0)

    def backward(self, output):
        return int(output > 0)


class AffineActivator:
    """A custom activator ``f(x) = a * x + b``: catches code that assumes ReLU or identity."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def forward(self, weighted_input):
        return self.a * weighted_input + self.b

    def backward(self, output):
        return self.a


def double(x):
    return 2 * x


def square(x):
    return x * x


def negate_plus_one(x):
    return 1 - x


def lesson_relu(x):
    """The lesson's own ReLU, ``max(0, x)``: an int 0 for a negative input, the float itself otherwise."""
    return max(0, x)


def write_into_weights(filter_, value):
    """Write ``value`` into every element of what ``filter_.get_weights()`` returns: the filter's own weights
    change when it returns them, not a copy."""
    filter_.get_weights()[...] = value
