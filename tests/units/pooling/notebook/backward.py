import numpy as np

layer = MaxPoolingLayer(4, 4, 1, 2, 2, 2)
x = np.array($input, dtype=float)
layer.forward(x)
layer.backward(x, np.array($sensitivity, dtype=float))
assert np.array_equal(layer.delta_array, $delta), "each error term to its window's maximum"
### BEGIN HIDDEN TESTS
assert get_max_index(np.array([[1.0, 3.0], [3.0, 2.0]])) == (0, 1)
### END HIDDEN TESTS
