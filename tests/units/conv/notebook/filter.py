import numpy as np

f = Filter(4, 3, 2)
assert f.weights.shape == (2, 3, 4), "weights are shaped (depth, height, width)"
assert np.abs(f.weights).max() < 1e-4 and f.bias == 0
f.weights, f.weights_grad = np.ones((2, 3, 4)), np.full((2, 3, 4), 2.0)
f.update(0.5)
assert np.allclose(f.get_weights(), 0), "update is gradient descent: w -= rate * grad"
### BEGIN HIDDEN TESTS
assert not np.array_equal(Filter(3, 3, 1).weights, Filter(3, 3, 1).weights)
### END HIDDEN TESTS
