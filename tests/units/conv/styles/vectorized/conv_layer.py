import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .filter import Filter


class ConvLayer:
    def __init__(self, input_width, input_height, channel_number, filter_width, filter_height,
                 filter_number, zero_padding, stride, activator, learning_rate):
        self.input_width, self.input_height = input_width, input_height
        self.channel_number = channel_number
        self.filter_width, self.filter_height = filter_width, filter_height
        self.filter_number = filter_number
        self.zero_padding, self.stride = zero_padding, stride
        self.activator, self.learning_rate = activator, learning_rate
        self.output_width = self.calculate_output_size(input_width, filter_width, zero_padding, stride)
        self.output_height = self.calculate_output_size(input_height, filter_height, zero_padding, stride)
        self.output_array = np.zeros((filter_number, self.output_height, self.output_width))
        self.filters = [Filter(filter_width, filter_height, channel_number) for _ in range(filter_number)]

    def forward(self, input_array):
        x = padding(np.atleast_3d(input_array) if input_array.ndim == 3 else input_array[None], self.zero_padding)
        kernels = np.stack([f.get_weights() for f in self.filters])
        biases = np.array([f.get_bias() for f in self.filters], dtype=float)
        windows = sliding_window_view(x, kernels.shape[1:])[0, :: self.stride, :: self.stride]
        maps = np.einsum("ijdmn,fdmn->fij", windows, kernels) + biases[:, None, None]
        self.output_array[...] = np.vectorize(self.activator.forward, otypes=[float])(maps)
        return self.output_array

    @staticmethod
    def calculate_output_size(input_size, filter_size, zero_padding, stride):
        return int((input_size - filter_size + 2 * zero_padding) // stride + 1)


def padding(input_array, zp):
    if zp == 0:
        return input_array
    spec = [(0, 0)] * (input_array.ndim - 2) + [(zp, zp), (zp, zp)]
    return np.pad(input_array, spec)


def conv(input_array, kernel_array, output_array, stride, bias):
    x = input_array if input_array.ndim == 3 else input_array[None]
    k = kernel_array if kernel_array.ndim == 3 else kernel_array[None]
    windows = sliding_window_view(x, k.shape)[0, ::stride, ::stride]
    output_array[...] = np.einsum("ijdmn,dmn->ij", windows, k)[: output_array.shape[0], : output_array.shape[1]] + bias


def element_wise_op(array, op):
    array[...] = np.vectorize(op, otypes=[array.dtype])(array)


def get_patch(input_array, i, j, filter_width, filter_height, stride):
    return input_array[..., i * stride : i * stride + filter_height, j * stride : j * stride + filter_width]
