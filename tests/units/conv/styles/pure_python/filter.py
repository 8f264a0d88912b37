import numpy as np


class Filter:
    def __init__(self, width, height, depth):
        print("creating a filter", width, height, depth)
        self.weights = np.random.uniform(-1e-4, 1e-4, (depth, height, width))
        self.bias = 0
        self.weights_grad = np.zeros(self.weights.shape)
        self.bias_grad = 0

    def __repr__(self):
        return "weights:\n%s\nbias: %s" % (self.weights, self.bias)

    def get_weights(self):
        return self.weights

    def get_bias(self):
        return self.bias

    def update(self, learning_rate):
        depth, height, width = self.weights.shape
        for d in range(depth):
            for r in range(height):
                for c in range(width):
                    self.weights[d, r, c] -= learning_rate * self.weights_grad[d, r, c]
        self.bias -= learning_rate * self.bias_grad
