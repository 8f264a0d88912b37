"""The message format between the trusted process and the sandboxed worker.

A message is an 8-byte big-endian length followed by that many bytes of
UTF-8 JSON. Values that JSON cannot carry are tagged objects:

- ``{"$nd": <base64 of the raw bytes>, "dt": <dtype>, "sh": <shape>}``: a NumPy
  array (numeric or bool dtypes only; the bytes must fit the dtype and shape;
  never pickled);
- ``{"$np": <dtype>, "v": <value>}``: a NumPy scalar;
- ``{"$tuple": [...]}``: a tuple (a JSON list is a Python list);
- ``{"$h": <id>, "t": <type name>, "q": <qualified name>}``: a handle to an
  object that stays in the worker.

The protocol is declared here once, for both sides: the requests (``REQUESTS``: each op and the fields it
carries; ``request`` builds one and refuses anything else), and the two replies, ``{"ok": value}`` and
``{"error": record}`` (``ErrorRecord``: built by the worker, read back by the grader with every field bounded),
either with what the request printed beside it (``printed``).

This module is also sent, as text, to the worker (which cannot read the
grader's files), so it imports nothing but the standard library and NumPy
(that only when an array crosses: a worker that only decodes never loads it),
and nothing of the grader.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import sys
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    import numpy as np


def _numpy() -> Any:
    """NumPy, imported on first use: a worker that only decodes what a submission holds never loads it."""
    import numpy

    return numpy

HEADER = struct.Struct(">Q")
MAX_MESSAGE = 64 * 1024 * 1024  # a reply larger than this is garbled by definition
# values a message may hold (counted as its commas and opening brackets, strings' included: never fewer): 64 MiB
# of ``[{},{},...`` would be twenty million objects, gigabytes once parsed; a value a test compares is far smaller
MAX_ITEMS = 1_000_000
NUMERIC_KINDS = "biufc"  # bool, signed, unsigned, float, complex


class WireError(Exception):
    """A message that cannot be decoded as plain data."""


# Every request the grader sends: its op, and the fields it carries (``obj`` is a handle's id).
REQUESTS: dict[str, tuple[str, ...]] = {
    # the submission's modules (and their code), to import from memory; ``shared``: in a notebook, the modules
    # before each one, whose names it sees (its cells share one namespace); ``preludes``: in a notebook, the
    # student's own cells before each module, run first, within ``cell_seconds`` in all
    "install": ("sources", "code", "magic", "shared", "preludes", "cell_seconds"),
    # one part of what the submission holds, decoded here (``grader.trust.decoding``): its name and its records
    "decode": ("part", "name", "records", "modules", "source_bytes", "texts"),
    # the time of the last commit of the repository the worker was started on (``grader.trust.decoding.commits``)
    "commit": (),
    "import": ("module",),  # a module of the submission: its handle
    "helpers": ("source",),  # the unit's helper module, to run
    "helper": ("name",),  # a name of the helpers: its handle
    "put": ("value",),  # plain data to keep here: its handle
    "getattr": ("obj", "name", "q"),  # an attribute: plain data, or a handle (``q``: the object's qualified name)
    "setattr": ("obj", "name", "value"),
    "call": ("obj", "args", "kwargs"),
    "callattr": ("obj", "name", "q", "args", "kwargs"),  # a method looked up and called in one request
    "getitem": ("obj", "key"),
    "len": ("obj",),
    "value": ("obj",),  # an object as plain data
    "repr": ("obj",),  # ``repr()`` of an object, computed here
}


def request(op: str, **fields: Any) -> dict[str, Any]:
    """A request of the protocol, with exactly the fields ``REQUESTS`` gives its op."""
    if op not in REQUESTS or set(fields) != set(REQUESTS[op]):
        raise ValueError(f"no request {op!r} with fields {sorted(fields)}")
    return {"op": op, **fields}


ECHO_CAP = 4096  # characters of what one request printed that its reply carries back (the rest only counted)


def is_reply(value: Any) -> TypeGuard[dict[str, Any]]:
    """Whether ``value`` is one of the protocol's two replies: ``{"ok": ...}`` or ``{"error": ...}``, either
    with ``"printed"`` beside it when the request printed something (see ``printed``)."""
    if not isinstance(value, dict):
        return False
    keys = set(value) - {"printed"}
    return keys == {"ok"} or keys == {"error"}


def printed(reply: dict[str, Any]) -> tuple[str, int]:
    """What the request printed, as its reply tells it: at most ``ECHO_CAP`` characters, and how many more there
    were; ``("", 0)`` when the reply says nothing, or nothing readable."""
    value = reply.get("printed")
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and type(value[1]) is int):
        return "", 0
    text, more = value[0][:ECHO_CAP], min(max(value[1], 0), 1 << 62)
    return text, more + len(value[0]) - len(text)


@dataclass(frozen=True)
class ErrorRecord:
    """What the worker says of an exception that student code (or a request) raised."""

    type: str  # the exception's class name
    message: str
    where: str = ""  # ``file:line in function``: the last line of student code it passed through
    not_implemented: bool = False  # a stub (NotImplementedError)
    exit: bool = False  # SystemExit
    params: list[str] | None = None  # the parameter names of what was called (to say on what a call failed)
    stage: str | None = None  # of a ``callattr``: "lookup" when looking the method up failed

    def reply(self) -> dict[str, Any]:
        return {"error": {key: value for key, value in asdict(self).items() if value is not None}}

    @classmethod
    def read(cls, value: Any) -> ErrorRecord | None:
        """The record of an error reply, each field checked and bounded; None when it is not one."""
        if not isinstance(value, dict):
            return None
        params = value.get("params")
        names = ([str(p) for p in params] if isinstance(params, list) and len(params) <= 20 and all(
            isinstance(p, str) and p.isidentifier() and len(p) <= 40 for p in params) else None)
        stage = value.get("stage")
        return cls(type=str(value.get("type", "Exception"))[:100], message=str(value.get("message", ""))[:500],
                   where=str(value.get("where", ""))[:200], not_implemented=value.get("not_implemented") is True,
                   exit=value.get("exit") is True, params=names, stage=stage if stage in ("lookup", "call") else None)


# made once: ``json.dumps`` with any argument of its own builds an encoder at every call
_ENCODER = json.JSONEncoder(allow_nan=True, separators=(",", ":"))
_DECODER = json.JSONDecoder()


def _made_once() -> Any:
    """The C encoder ``_ENCODER.encode`` builds afresh at every call (a few microseconds, on each side of every
    request), built once here: None where this Python lacks it or it would not write exactly the same text.
    It keeps no record of the containers it is in (every message is a tree: ``encode_plain`` and the session
    build each afresh), so a cycle ends in a ``RecursionError``, told as ``_ENCODER`` tells it."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encode = make(None, _ENCODER.default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True)
        probe = {"op": "call", "x": [1, -2.5, float("inf"), None, True, "\u00e9\n"], "y": {"$tuple": []}}
        same = "".join(encode(probe, 0)) == _ENCODER.encode(probe)
    except Exception:  # another signature in another Python: the plain way
        return None
    return encode if same else None


_ENCODE = _made_once()


def frame(payload: Any) -> bytes:
    """A message: its length, then its JSON (the text ``_ENCODER.encode`` writes)."""
    if _ENCODE is None:
        text = _ENCODER.encode(payload)
    else:
        try:
            text = "".join(_ENCODE(payload, 0))
        except RecursionError:
            raise ValueError("Circular reference detected") from None
    body = text.encode("utf-8")
    return HEADER.pack(len(body)) + body


# JSON escapes a surrogate as \\uD800 to \\uDFFF; only an escape can make one (UTF-8 cannot encode it)
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse(body: bytes) -> Any:
    """A message's JSON, as ``json.loads`` reads it but stricter: UTF-8 only, nothing before or after the value,
    no nesting past the parser's depth, at most ``MAX_ITEMS`` values (a ``ValueError`` for each); and every text
    in it valid Unicode: a lone surrogate (an escape student code can send, in an exception's message, a print,
    a value) becomes U+FFFD, so nothing the grader writes of it can fail to encode."""
    if body.count(b",") + body.count(b"[") + body.count(b"{") > MAX_ITEMS:
        raise ValueError(f"a message of more than {MAX_ITEMS} values")
    text = body.decode("utf-8")
    try:
        value, end = _DECODER.raw_decode(text)
        if end != len(text):
            raise ValueError("extra data after the message")
        return _valid(value) if _ESCAPED_SURROGATE.search(body) else value
    except RecursionError:  # a forged reply nested past the parser's depth: as garbled as any other
        raise ValueError("message nested too deeply") from None


def _valid(value: Any) -> Any:
    """``value`` with each lone surrogate of its texts (keys included) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_valid(item) for item in value]
    if isinstance(value, dict):
        return {_valid(key): _valid(item) for key, item in value.items()}
    return value


def array_to_wire(array: np.ndarray) -> dict[str, Any]:
    plain = _numpy().asarray(array)  # a base ndarray: its own bytes (in C order), whatever a subclass claims
    return {"$nd": base64.b64encode(plain.tobytes()).decode("ascii"), "dt": plain.dtype.str, "sh": list(plain.shape)}


def array_from_wire(value: dict[str, Any]) -> np.ndarray:
    """An array from its raw bytes, dtype and shape, each checked: numeric dtypes only, sizes that agree."""
    numpy = _numpy()
    text, dtype_text, shape = value.get("$nd"), value.get("dt"), value.get("sh")
    if not isinstance(text, str) or not isinstance(dtype_text, str) or not isinstance(shape, list):
        raise WireError("malformed array")
    try:
        dtype = numpy.dtype(dtype_text)
    except (TypeError, ValueError):
        raise WireError(f"array of unknown dtype {dtype_text[:20]!r}") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.shape != ():
        raise WireError(f"array of unsupported dtype {dtype}")
    if len(shape) > 32 or not all(type(n) is int and 0 <= n for n in shape):
        raise WireError("array of invalid shape")
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise WireError("unreadable array") from None
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(raw):
        raise WireError("array bytes do not match its shape")
    array: np.ndarray = numpy.frombuffer(raw, dtype=dtype).reshape(shape).copy()
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
        if "$nd" in value and set(value) == {"$nd", "dt", "sh"}:
            return array_from_wire(value)
        if "$np" in value and set(value) == {"$np", "v"}:
            dtype = _numpy().dtype(str(value["$np"]))
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
    numpy = sys.modules.get("numpy")  # no array, nor a NumPy scalar, exists where NumPy is not loaded
    if numpy is None:
        raise TypeError(f"{kind.__name__} is not plain data")
    if isinstance(value, numpy.ndarray):
        array = numpy.asarray(value)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise TypeError("not a numeric array")
        return array_to_wire(array)
    if isinstance(value, numpy.generic) and value.dtype.kind in NUMERIC_KINDS:
        raw = value.item()
        if isinstance(raw, complex):
            raw = [raw.real, raw.imag]
        return {"$np": value.dtype.str, "v": raw}
    raise TypeError(f"{kind.__name__} is not plain data")
