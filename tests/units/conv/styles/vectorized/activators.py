import numpy as np


class ReluActivator:
    def forward(self, weighted_input):
        return np.maximum(weighted_input, 0)

    def backward(self, output):
        return (np.asarray(output) > 0).astype(int).item()


class IdentityActivator:
    def forward(self, weighted_input):
        return weighted_input

    def backward(self, output):
        return 1
