relu = ReluActivator()
assert relu.forward(2.0) == 2.0 and relu.forward(-3.0) == 0, "ReLU is max(0, x)"
assert relu.backward(4.0) == 1 and relu.backward(0.0) == 0, "the derivative is 1 only where the output is > 0"
### BEGIN HIDDEN TESTS
assert relu.forward(-0.001) == 0 and relu.forward(7) == 7
### END HIDDEN TESTS
