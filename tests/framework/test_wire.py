"""The wire format: arrays cross as checked raw bytes, never pickled; anything odd is refused."""

import base64

import numpy as np
import pytest

from grader.trust import wire


@pytest.mark.parametrize("array", [
    np.arange(6.0).reshape(2, 3), np.array(3), np.zeros((0, 4)), np.array([True, False]),
    np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.array([1 + 2j]), np.arange(10)[::3],
    np.asfortranarray(np.arange(6.0).reshape(2, 3)),
])
def test_arrays_round_trip_exactly(array):
    back = wire.decode(wire.encode_plain(array))
    assert type(back) is np.ndarray and back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array) and back.flags.writeable


def test_an_ndarray_subclass_arrives_as_a_plain_array_with_its_real_bytes():
    class Liar(np.ndarray):
        def tobytes(self, *args, **kwargs):
            return b"\0" * self.nbytes

    back = wire.decode(wire.encode_plain(np.arange(4.0).view(Liar)))
    assert type(back) is np.ndarray and back.tolist() == [0.0, 1.0, 2.0, 3.0]


def nd(data: bytes, dtype: str, shape: list) -> dict:
    return {"$nd": base64.b64encode(data).decode(), "dt": dtype, "sh": shape}


@pytest.mark.parametrize("value", [
    nd(b"\0" * 8, "|O", [1]),  # object dtype: would hold pointers
    nd(b"\0" * 8, "[('a', '<f8')]", [1]),  # structured
    nd(b"\0" * 8, "<f8", [2]),  # too few bytes for the shape
    nd(b"\0" * 16, "<f8", [1]),  # too many
    nd(b"\0" * 8, "<f8", [-1]),
    nd(b"\0" * 8, "<f8", [1.0]),
    nd(b"\0" * 8, "no such dtype", [1]),
    {"$nd": "!!not base64!!", "dt": "<f8", "sh": [1]},
    {"$nd": base64.b64encode(b"\0" * 8).decode()},  # the old .npy form, or a forged one
    {"$np": "|O", "v": 1},
    {"$x": 1},
])
def test_malformed_or_unsafe_values_are_refused(value):
    with pytest.raises(wire.WireError):
        wire.decode(value)


def test_objects_that_are_not_plain_data_stay_behind():
    for value in (object(), np.array([object()]), {1: object()}, lambda: 1):
        with pytest.raises(TypeError):
            wire.encode_plain(value)
