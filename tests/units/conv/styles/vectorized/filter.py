import numpy as np


class Filter:
    def __init__(self, width, height, depth):
        rng = np.random.default_rng()
        self.weights = rng.uniform(-1e-4, 1e-4, size=(depth, height, width))
        self.bias = 0.0
        self.weights_grad = np.zeros_like(self.weights)
        self.bias_grad = 0.0

    def __repr__(self):
        return f"Filter(shape={self.weights.shape}, bias={self.bias})"

    def get_weights(self):
        return self.weights

    def get_bias(self):
        return self.bias

    def update(self, learning_rate):
        self.weights = self.weights - learning_rate * self.weights_grad
        self.bias = self.bias - learning_rate * self.bias_grad
