"""Proof that code ends: run it in a forked child with a wall-clock deadline, and fail, never hang, past it.

Code that loops inside C (a big-integer power, a regular expression that backtracks) cannot be interrupted in
the process that runs it: neither a signal handler nor another thread gets the interpreter back until the C
call returns. A test that must fail rather than hang on such code runs it here: ``within(seconds, function,
*args)`` returns what the function returns in the child, or raises ``AssertionError`` saying it did not end
in time (the child is killed) or what it raised. ``ends_within(seconds)`` runs a whole test so (a property
test with its every example, say). Where there is no ``fork`` the code runs in this process: the suite's
deadlines are proved on Linux, where CI runs.

``timed(seconds)`` bounds each call of a function in the child, so a property test names the one example that
took too long rather than only the whole run.
"""

from __future__ import annotations

import functools
import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Overran(AssertionError):
    """The code did not end within its deadline."""


def within(seconds: float, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    if not hasattr(os, "fork"):
        return function(*args, **kwargs)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, send (ok, value or traceback), leave without the parent's cleanup
        status = 1
        try:
            os.close(read)
            try:
                reply = (True, function(*args, **kwargs))
            except BaseException as error:  # noqa: B036 - reported to the parent
                reply = (False, f"{type(error).__name__}: {error}\n\n{traceback.format_exc()}")
            try:
                data = pickle.dumps(reply)
            except Exception as error:  # noqa: BLE001
                data = pickle.dumps((False, f"the result cannot be sent back: {error!r}"))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                raise Overran(f"{getattr(function, '__name__', function)} did not end within {seconds:g} s")
            chunk = os.read(read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    if not chunks:
        raise AssertionError(f"{getattr(function, '__name__', function)} ended its process without a word")
    ok, value = pickle.loads(b"".join(chunks))
    if not ok:
        raise AssertionError(f"in the child: {value}")
    return value  # type: ignore[no-any-return]


def ends_within(seconds: float) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A test decorator: the whole test runs in a child, and fails when it has not ended in ``seconds``."""
    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(test)
        def run(*args: Any, **kwargs: Any) -> None:
            within(seconds, test, *args, **kwargs)
        return run
    return decorate


def timed(seconds: float, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args)``, failing when it took more than ``seconds`` (generous: it proves termination of one
    example, not speed)."""
    started = time.monotonic()
    result = function(*args, **kwargs)
    took = time.monotonic() - started
    assert took <= seconds, f"{getattr(function, '__name__', function)} took {took:.1f} s (at most {seconds:g})"
    return result
