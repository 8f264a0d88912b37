# Written with plain Python loops over every index, and chatty: it prints as it goes.
import numpy as np

from .filter import Filter


class ConvLayer:
    def __init__(self, input_width, input_height, channel_number, filter_width, filter_height,
                 filter_number, zero_padding, stride, activator, learning_rate):
        self.input_width = input_width
        self.input_height = input_height
        self.channel_number = channel_number
        self.filter_width = filter_width
        self.filter_height = filter_height
        self.filter_number = filter_number
        self.zero_padding = zero_padding
        self.stride = stride
        self.activator = activator
        self.learning_rate = learning_rate
        self.output_width = ConvLayer.calculate_output_size(input_width, filter_width, zero_padding, stride)
        self.output_height = ConvLayer.calculate_output_size(input_height, filter_height, zero_padding, stride)
        self.output_array = np.zeros((filter_number, self.output_height, self.output_width))
        self.filters = []
        for _ in range(filter_number):
            self.filters.append(Filter(filter_width, filter_height, channel_number))
        print("layer ready:", self.output_array.shape)

    def forward(self, input_array):
        padded = padding(input_array, self.zero_padding)
        for f in range(self.filter_number):
            conv(padded, self.filters[f].get_weights(), self.output_array[f], self.stride, self.filters[f].get_bias())
        element_wise_op(self.output_array, self.activator.forward)
        print("forward done")
        return self.output_array

    @staticmethod
    def calculate_output_size(input_size, filter_size, zero_padding, stride):
        return (input_size - filter_size + 2 * zero_padding) // stride + 1


def padding(input_array, zp):
    if zp == 0:
        return input_array
    if input_array.ndim == 2:
        return padding(input_array.reshape((1,) + input_array.shape), zp)[0]
    depth, height, width = input_array.shape
    padded = np.zeros((depth, height + 2 * zp, width + 2 * zp), dtype=input_array.dtype)
    for d in range(depth):
        for r in range(height):
            for c in range(width):
                padded[d, r + zp, c + zp] = input_array[d, r, c]
    return padded


def conv(input_array, kernel_array, output_array, stride, bias):
    if input_array.ndim == 2:
        input_array = input_array.reshape((1,) + input_array.shape)
    if kernel_array.ndim == 2:
        kernel_array = kernel_array.reshape((1,) + kernel_array.shape)
    depth, kernel_height, kernel_width = kernel_array.shape
    for i in range(output_array.shape[0]):
        for j in range(output_array.shape[1]):
            patch = get_patch(input_array, i, j, kernel_width, kernel_height, stride)
            total = 0.0
            for d in range(depth):
                for m in range(kernel_height):
                    for n in range(kernel_width):
                        total += patch[d][m][n] * kernel_array[d][m][n]
            output_array[i][j] = total + bias


def element_wise_op(array, op):
    flat = array.reshape(-1)
    for k in range(flat.size):
        flat[k] = op(flat[k])
    if not np.shares_memory(flat, array):
        array[...] = flat.reshape(array.shape)


def get_patch(input_array, i, j, filter_width, filter_height, stride):
    start_i = i * stride
    start_j = j * stride
    if input_array.ndim == 2:
        return input_array[start_i:start_i + filter_height, start_j:start_j + filter_width]
    return input_array[:, start_i:start_i + filter_height, start_j:start_j + filter_width]
