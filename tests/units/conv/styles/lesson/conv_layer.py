# The lesson's own way: padding into a float zeros array (an integer input becomes float), get_patch by
# slicing, conv with two loops and (patch * kernel).sum() + bias, element_wise_op writing back through
# np.nditer, and a forward that stores its result without returning it.
import numpy as np

from .filter import Filter


class ConvLayer(object):
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
        self.output_width = ConvLayer.calculate_output_size(self.input_width, filter_width, zero_padding, stride)
        self.output_height = ConvLayer.calculate_output_size(self.input_height, filter_height, zero_padding, stride)
        self.output_array = np.zeros((self.filter_number, self.output_height, self.output_width))
        self.filters = []
        for i in range(filter_number):
            self.filters.append(Filter(filter_width, filter_height, self.channel_number))
        self.activator = activator
        self.learning_rate = learning_rate

    def forward(self, input_array):
        self.input_array = input_array
        self.padded_input_array = padding(input_array, self.zero_padding)
        for f in range(self.filter_number):
            filter = self.filters[f]
            conv(self.padded_input_array, filter.get_weights(), self.output_array[f], self.stride,
                 filter.get_bias())
        element_wise_op(self.output_array, self.activator.forward)

    @staticmethod
    def calculate_output_size(input_size, filter_size, zero_padding, stride):
        return (input_size - filter_size + 2 * zero_padding) // stride + 1


def padding(input_array, zp):
    if zp == 0:
        return input_array
    if input_array.ndim == 3:
        input_depth = input_array.shape[0]
        input_height = input_array.shape[1]
        input_width = input_array.shape[2]
        padded_array = np.zeros((input_depth, input_height + 2 * zp, input_width + 2 * zp))
        padded_array[:, zp:zp + input_height, zp:zp + input_width] = input_array
        return padded_array
    elif input_array.ndim == 2:
        input_height = input_array.shape[0]
        input_width = input_array.shape[1]
        padded_array = np.zeros((input_height + 2 * zp, input_width + 2 * zp))
        padded_array[zp:zp + input_height, zp:zp + input_width] = input_array
        return padded_array


def conv(input_array, kernel_array, output_array, stride, bias):
    output_height = output_array.shape[0]
    output_width = output_array.shape[1]
    kernel_height = kernel_array.shape[-2]
    kernel_width = kernel_array.shape[-1]
    for i in range(output_height):
        for j in range(output_width):
            patch = get_patch(input_array, i, j, kernel_width, kernel_height, stride)
            output_array[i][j] = (patch * kernel_array).sum() + bias


def element_wise_op(array, op):
    for element in np.nditer(array, op_flags=["readwrite"]):
        element[...] = op(element)


def get_patch(input_array, i, j, filter_width, filter_height, stride):
    start_i = i * stride
    start_j = j * stride
    if input_array.ndim == 2:
        return input_array[start_i:start_i + filter_height, start_j:start_j + filter_width]
    elif input_array.ndim == 3:
        return input_array[:, start_i:start_i + filter_height, start_j:start_j + filter_width]
