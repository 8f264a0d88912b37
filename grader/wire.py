"""The message format between the trusted process and the sandboxed worker.

A message is an 8-byte big-endian length followed by that many bytes of
UTF-8 JSON. Values that JSON cannot carry are tagged objects:

- ``{"$nd": <base64 of .npy bytes>}``: a NumPy array (numeric or bool dtypes only,
  read back with ``allow_pickle=False``);
- ``{"$np": <dtype>, "v": <value>}``: a NumPy scalar;
- ``{"$tuple": [...]}``: a tuple (a JSON list is a Python list);
- ``{"$h": <id>, "t": <type name>, "q": <qualified name>}``: a handle to an
  object that stays in the worker.

This module is also sent, as text, to the worker (which cannot read the
grader's files), so it imports nothing but the standard library and NumPy,
and nothing of the grader.
"""

from __future__ import annotations

import base64
import io
import json
import struct
from typing import Any

import numpy as np

HEADER = struct.Struct(">Q")
MAX_MESSAGE = 64 * 1024 * 1024  # a reply larger than this is garbled by definition
NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex


class WireError(Exception):
    """A message that cannot be decoded as plain data."""


def frame(payload: Any) -> bytes:
    body = json.dumps(payload, allow_nan=True, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(body)) + body


def array_to_wire(array: np.ndarray) -> dict[str, str]:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return {"$nd": base64.b64encode(buffer.getvalue()).decode("ascii")}


def array_from_wire(text: Any) -> np.ndarray:
    if not isinstance(text, str):
        raise WireError("array payload is not text")
    try:
        array = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception as error:  # malformed .npy of any kind
        raise WireError(f"unreadable array: {type(error).__name__}") from None
    if type(array) is not np.ndarray or array.dtype.kind not in NUMERIC_KINDS:
        raise WireError(f"array of unsupported dtype {array.dtype}")
    return array


def decode(value: Any, make_handle: Any = None, depth: int = 0) -> Any:
    """Turn received JSON into plain Python/NumPy data (handles via ``make_handle``)."""
    if depth > 50:
        raise WireError("value nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [decode(v, make_handle, depth + 1) for v in value]
    if isinstance(value, dict):
        if "$nd" in value and len(value) == 1:
            return array_from_wire(value["$nd"])
        if "$np" in value and set(value) == {"$np", "v"}:
            dtype = np.dtype(str(value["$np"]))
            if dtype.kind not in NUMERIC_KINDS:
                raise WireError(f"scalar of unsupported dtype {dtype}")
            raw = value["v"]
            if dtype.kind == "c":
                if not (isinstance(raw, list) and len(raw) == 2):
                    raise WireError("complex scalar must be [real, imag]")
                raw = complex(raw[0], raw[1])
            return dtype.type(raw)
        if "$tuple" in value and len(value) == 1 and isinstance(value["$tuple"], list):
            return tuple(decode(v, make_handle, depth + 1) for v in value["$tuple"])
        if "$h" in value and make_handle is not None:
            return make_handle(int(value["$h"]), str(value.get("t", "?")), str(value.get("q", "")))
        if "$dict" in value and len(value) == 1 and isinstance(value["$dict"], list):
            return {str(k): decode(v, make_handle, depth + 1) for k, v in value["$dict"]}
    raise WireError(f"unexpected value of type {type(value).__name__}")


def encode_plain(value: Any, depth: int = 0) -> Any:
    """Encode plain data; raise ``TypeError`` for anything that must stay a handle."""
    if depth > 50:
        raise TypeError("nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [encode_plain(v, depth + 1) for v in value]
    if kind is tuple:
        return {"$tuple": [encode_plain(v, depth + 1) for v in value]}
    if kind is dict:
        return {"$dict": [[str(k), encode_plain(v, depth + 1)] for k, v in value.items()]}
    if isinstance(value, np.ndarray):
        array = np.asarray(value)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise TypeError("not a numeric array")
        return array_to_wire(array)
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        raw = value.item()
        if isinstance(raw, complex):
            raw = [raw.real, raw.imag]
        return {"$np": value.dtype.str, "v": raw}
    raise TypeError(f"{kind.__name__} is not plain data")
