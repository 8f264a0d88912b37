import numpy as np

layer = MaxPoolingLayer(4, 4, 1, 2, 2, 2)
layer.forward(np.array($input, dtype=float))
assert np.array_equal(layer.output_array, $output), "each window's largest value"
### BEGIN HIDDEN TESTS
assert MaxPoolingLayer.calculate_output_size(7, 3, 2) == 3
### END HIDDEN TESTS
