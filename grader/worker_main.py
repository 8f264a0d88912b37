"""The program that runs inside the sandbox and hosts the student's code.

It is not imported by the grader: ``grader.sandbox`` sends its text (with
``grader.wire`` as a module named ``_grader_wire``) to a fresh interpreter
started with ``python -I -S``, because the sandbox cannot read the grader's
files. It answers one request at a time: import a student module, get or set
an attribute, call, index, fetch a value. Objects stay here behind handles;
only plain data (see ``grader.wire``) goes back.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
from typing import Any

import _grader_wire as wire  # type: ignore[import-not-found]  # installed by the bootstrap

CONFIG = json.loads(sys.argv[1])
FD_IN: int = CONFIG["fd_in"]
FD_OUT: int = CONFIG["fd_out"]
PACKAGE: str = CONFIG["package"]
ROOT: str = CONFIG["root"]


def _limit_resources() -> None:
    # Soft and hard limits alike: without privileges they can never be raised again.
    for name, value in CONFIG["rlimits"].items():
        limit = getattr(resource, name)
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            soft, hard = resource.getrlimit(limit)
            if hard == resource.RLIM_INFINITY or value < hard:
                resource.setrlimit(limit, (value, hard))


def _read_exact(size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(FD_IN, min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _receive() -> Any:
    (size,) = wire.HEADER.unpack(_read_exact(wire.HEADER.size))
    return json.loads(_read_exact(size))


def _send(payload: Any) -> None:
    data = wire.frame(payload)
    while data:
        written = os.write(FD_OUT, data)
        data = data[written:]


# --- reference objects the tests may hand to student code ------------------


class IdentityActivator:
    def forward(self, weighted_input: Any) -> Any:
        return weighted_input

    def backward(self, output: Any) -> Any:
        return 1


class ReluActivator:
    def forward(self, weighted_input: Any) -> Any:
        return max(0, weighted_input)

    def backward(self, output: Any) -> Any:
        return 1 if output > 0 else 0


class AffineActivator:
    """A custom activator ``f(x) = a * x + b``: catches code that assumes ReLU or identity."""

    def __init__(self, a: float, b: float) -> None:
        self.a, self.b = a, b

    def forward(self, weighted_input: Any) -> Any:
        return self.a * weighted_input + self.b

    def backward(self, output: Any) -> Any:
        return self.a


BUILTINS: dict[str, Any] = {
    "identity": IdentityActivator,
    "relu": ReluActivator,
    "affine": AffineActivator,
    "double": lambda: (lambda x: 2 * x),
    "square": lambda: (lambda x: x * x),
    "negate_plus_one": lambda: (lambda x: 1 - x),
}

# --- handles ----------------------------------------------------------------

objects: dict[int, Any] = {}
next_id = [1]


def _handle(value: Any, qualname: str = "") -> dict[str, Any]:
    ident = next_id[0]
    next_id[0] += 1
    objects[ident] = value
    kind = type(value).__name__
    if not qualname:
        qualname = getattr(value, "__qualname__", None) or kind
        if not isinstance(qualname, str):
            qualname = kind
    return {"$h": ident, "t": kind, "q": qualname}


def _out(value: Any, qualname: str = "") -> Any:
    """Plain data when possible, a handle otherwise."""
    try:
        return wire.encode_plain(value)
    except TypeError:
        return _handle(value, qualname)


def _in(value: Any) -> Any:
    return wire.decode(value, make_handle=lambda ident, _t, _q: objects[ident])


def _where(error: BaseException) -> str:
    """The last line of student code the error passed through."""
    tb = error.__traceback__
    found = ""
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith(ROOT):
            found = f"{os.path.basename(code.co_filename)}:{tb.tb_lineno} in {code.co_qualname}"
        tb = tb.tb_next
    return found


def _text(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:  # a hostile __str__
        text = "<unprintable>"
    return text[:500]


def _handle_request(request: dict[str, Any]) -> Any:
    op = request["op"]
    if op == "import":
        module = importlib.import_module(f"{PACKAGE}.{request['module']}")
        return _handle(module, request["module"])
    if op == "make":
        return _handle(BUILTINS[request["name"]](*_in(request.get("args", []))), request["name"])
    if op == "put":
        return _handle(_in(request["value"]))
    target = objects[request["obj"]]
    if op == "getattr":
        value = getattr(target, request["name"])
        qualname = getattr(value, "__qualname__", None)
        owner = request.get("q") or type(target).__name__
        return _out(value, qualname if isinstance(qualname, str) else f"{owner}.{request['name']}")
    if op == "setattr":
        setattr(target, request["name"], _in(request["value"]))
        return None
    if op == "call":
        result = target(*_in(request["args"]), **_in(request["kwargs"]))
        return _out(result)
    if op == "getitem":
        return _out(target[_in(request["key"])])
    if op == "len":
        return int(len(target))
    if op == "value":
        return wire.encode_plain(target)
    if op == "repr":
        text = repr(target)
        if type(text) is not str:
            raise TypeError("__repr__ did not return a str")
        return str.__str__(text)[:2000]
    if op == "release":
        objects.pop(request["obj"], None)
        return None
    raise ValueError(f"unknown request {op!r}")


def serve() -> None:
    _limit_resources()
    sys.path.insert(0, ROOT)
    while True:
        try:
            request = _receive()
        except EOFError:
            os._exit(0)
        try:
            reply: dict[str, Any] = {"ok": _handle_request(request)}
        except BaseException as error:  # noqa: B036 - student code may raise anything, even SystemExit
            reply = {
                "error": {
                    "type": type(error).__name__,
                    "message": _text(error),
                    "where": _where(error),
                    "not_implemented": isinstance(error, NotImplementedError),
                    "exit": isinstance(error, SystemExit),
                }
            }
        for stream in (sys.stdout, sys.stderr):
            try:  # the student's prints must reach the capture before a kill can lose them
                stream.flush()
            except BaseException:  # noqa: B036 - a replaced stream may raise anything
                pass
        try:
            _send(reply)
        except TypeError:
            _send({"error": {"type": "TypeError", "message": "the answer cannot be sent as plain data",
                             "where": "", "not_implemented": False, "exit": False}})


serve()
