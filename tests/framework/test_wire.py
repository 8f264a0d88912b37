"""The wire format: arrays cross as checked raw bytes, never pickled; anything odd is refused."""

import base64
import json
import platform

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize("payload", [
    {"op": "callattr", "obj": 7, "name": "forward", "args": {"$tuple": [1.5, -0.0, None, True]}, "kwargs": {}},
    {"ok": [float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, "é\n\u2603\"", {"$h": 3, "t": "x", "q": ""}]},
    {"error": {"type": "ValueError", "message": "x" * 5000, "where": "", "exit": False}},
    [], {}, "text", 0,
])
def test_frames_are_the_json_text_the_standard_encoder_writes_and_read_back(payload):
    body = wire.frame(payload)[wire.HEADER.size:]
    assert body == json.dumps(payload, allow_nan=True, separators=(",", ":")).encode()
    assert json.dumps(wire.parse(body)) == json.dumps(payload)  # NaN != NaN: compared as text


def test_frames_are_the_same_without_the_encoder_made_once(monkeypatch):
    assert wire._ENCODE is not None or platform.python_implementation() != "CPython"  # made once where it can be
    payload = {"ok": {"$nd": "AAAA", "dt": "<f8", "sh": [1]}, "x": [1.5, "é"]}
    made_once = wire.frame(payload)
    monkeypatch.setattr(wire, "_ENCODE", None)
    assert wire.frame(payload) == made_once


def test_a_payload_that_contains_itself_is_refused_as_the_standard_encoder_refuses_it():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        wire.frame({"ok": loop})


@pytest.mark.parametrize("body", [
    b" {\"ok\": 1}", b"{\"ok\": 1} ", b"{\"ok\": 1}{\"ok\": 2}", b"\xff\xfe{}", b"",
    "{\"ok\": 1}".encode("utf-16"), b"[" * 100_000 + b"]" * 100_000,
], ids=["space_before", "space_after", "two_values", "not_utf8", "empty", "utf16", "nested_past_the_parser"])
def test_replies_that_are_not_one_json_value_in_utf8_are_refused(body):
    with pytest.raises(ValueError):
        wire.parse(body)


# --- the protocol, declared once --------------------------------------------------------------------------


def test_every_request_has_its_handler_in_the_worker_and_no_handler_lacks_a_request():
    from grader.trust import worker_main  # importing it runs nothing: it has a main()

    assert set(worker_main.HANDLERS) == set(wire.REQUESTS)
    assert not worker_main.CONFIG  # set by main() alone


def test_a_request_carries_exactly_its_fields():
    assert wire.request("getattr", obj=3, name="x", q="Layer") == {"op": "getattr", "obj": 3, "name": "x", "q": "Layer"}
    for op, fields in (("release", {"obj": 1}), ("len", {}), ("len", {"obj": 1, "extra": 2})):
        with pytest.raises(ValueError, match="no request"):
            wire.request(op, **fields)


def test_an_error_record_crosses_and_is_read_back_bounded():
    record = wire.ErrorRecord("ValueError", "bad", "conv_layer.py:3 in padding", params=["input_array", "zp"])
    assert wire.is_reply(record.reply()) and wire.ErrorRecord.read(record.reply()["error"]) == record
    forged = {"type": "X" * 500, "message": "m" * 5000, "where": 7, "not_implemented": "yes", "exit": 1,
              "params": ["ok", "not an identifier"], "stage": "elsewhere"}
    read = wire.ErrorRecord.read(forged)
    assert read is not None and len(read.type) == 100 and len(read.message) == 500 and read.where == "7"
    assert (read.not_implemented, read.exit, read.params, read.stage) == (False, False, None, None)
    assert wire.ErrorRecord.read("not a record") is None
    assert not wire.is_reply({"ok": 1, "error": 2}) and not wire.is_reply([1])


# --- what a request printed, as a reply carries it ------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                    max_leaves=20)


@given(value=JSON, big=st.integers(min_value=0, max_value=3 * wire.ECHO_CAP))
def test_what_a_reply_says_was_printed_is_read_within_its_bounds(value, big):
    # whatever the worker put beside its answer, the grader reads text of at most ECHO_CAP characters and a count
    for printed in (value, ["x" * big, value], ["x" * big, big], [value, big]):
        text, more = wire.printed({"ok": 1, "printed": printed})
        assert isinstance(text, str) and len(text) <= wire.ECHO_CAP
        assert type(more) is int and more >= 0
    text, more = wire.printed({"ok": 1, "printed": ["x" * big, 7]})
    assert len(text) == min(big, wire.ECHO_CAP) and more == 7 + big - len(text)
    assert wire.is_reply({"ok": value, "printed": ["", 0]}) and not wire.is_reply({"printed": ["", 0]})


def test_a_reply_of_millions_of_tiny_values_is_refused_before_it_is_parsed():
    """64 MiB of ``[{},{},...]`` are twenty million dicts once parsed: gigabytes on the grader's side."""
    import tracemalloc

    body = b"[" + b"{}," * (20 << 20) + b"{}]"
    assert len(body) < wire.MAX_MESSAGE
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="more than 1000000 values"):
            wire.parse(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    many = list(range(wire.MAX_ITEMS - 10))  # as many values as a message may hold: read as they are
    assert wire.parse(json.dumps(many).encode()) == many
