import numpy as np

x = np.array($input)
layer = ConvLayer(5, 5, 3, 3, 3, 2, 1, 2, IdentityActivator(), 0.001)
for filter_, spec in zip(layer.filters, $filters):
    filter_.weights, filter_.bias = np.array(spec["weights"], dtype=float), spec["bias"]
layer.forward(x)
assert np.allclose(layer.output_array, $expected_output), "the lesson's two feature maps"
### BEGIN HIDDEN TESTS
assert ConvLayer.calculate_output_size(7, 3, 0, 2) == 3
assert padding(np.ones((1, 2, 2)), 1).shape == (1, 4, 4)
### END HIDDEN TESTS
