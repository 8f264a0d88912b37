class ReluActivator:
    def forward(self, weighted_input):
        if weighted_input > 0:
            return weighted_input
        return 0

    def backward(self, output):
        if output > 0:
            return 1
        return 0


class IdentityActivator:
    def forward(self, weighted_input):
        return weighted_input

    def backward(self, output):
        return 1
