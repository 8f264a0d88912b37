# Windows as a strided view, maxima with argmax over the flattened window.
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class MaxPoolingLayer:
    def __init__(self, input_width, input_height, channel_number, filter_width, filter_height, stride):
        self.input_width, self.input_height, self.channel_number = input_width, input_height, channel_number
        self.filter_width, self.filter_height, self.stride = filter_width, filter_height, stride
        self.output_width = self.calculate_output_size(input_width, filter_width, stride)
        self.output_height = self.calculate_output_size(input_height, filter_height, stride)
        self.output_array = np.zeros((channel_number, self.output_height, self.output_width))

    def _windows(self, input_array):
        view = sliding_window_view(np.asarray(input_array, dtype=float), (self.filter_height, self.filter_width),
                                   axis=(1, 2))
        return view[:, :: self.stride, :: self.stride]

    def forward(self, input_array):
        self.output_array[...] = self._windows(input_array).max(axis=(3, 4))

    def backward(self, input_array, sensitivity_array):
        windows = self._windows(input_array)
        flat = windows.reshape(*windows.shape[:3], -1).argmax(axis=3)
        rows, columns = np.divmod(flat, self.filter_width)
        self.delta_array = np.zeros(np.shape(input_array))
        d, i, j = np.indices(flat.shape)
        np.add.at(self.delta_array, (d, i * self.stride + rows, j * self.stride + columns), sensitivity_array)

    @staticmethod
    def calculate_output_size(input_size, filter_size, stride):
        return (input_size - filter_size) // stride + 1


def get_patch(input_array, i, j, filter_width, filter_height, stride):
    return input_array[i * stride : i * stride + filter_height, j * stride : j * stride + filter_width]


def get_max_index(array):
    return tuple(int(n) for n in np.unravel_index(np.argmax(array), np.shape(array)))
