"""Helpers for the course's test suites: checks that explain what is wrong.

A check raises ``AssertionError`` with a message in terms of the lesson; it
only ever looks at plain data that came back from the worker.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .session import Remote, type_name


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, Remote):
        return f"a {type_name(value)} object"
    return f"{type_name(value)} {value!r}"


def check_array(got: Any, expected: np.ndarray, what: str, *, atol: float = 1e-6, show_values: bool = True) -> None:
    """``got`` is a NumPy array of ``expected``'s shape whose values match."""
    if type(got) is not np.ndarray:
        raise AssertionError(f"{what} should be a NumPy array; got {describe(got)}")
    if got.shape != expected.shape:
        raise AssertionError(f"{what} has shape {got.shape}; expected {expected.shape}")
    if got.dtype.kind not in "biuf":
        raise AssertionError(f"{what} has dtype {got.dtype}; expected numbers")
    close = np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-6, atol=atol)
    if not close.all():
        where = tuple(int(i) for i in np.argwhere(~close)[0])
        wrong = int((~close).sum())
        detail = f": expected {expected[where]!r}, got {got[where]!r}" if show_values else ""
        raise AssertionError(f"{what} differs at index {list(where)}{detail} ({wrong} of {close.size} values differ)")


def check_number(got: Any, expected: float, what: str, *, integer: bool = False) -> None:
    """``got`` is a number (an ``int`` when ``integer``) equal to ``expected``."""
    if integer:
        if type(got) is not int and not isinstance(got, np.integer):
            raise AssertionError(f"{what} should be an int; got {describe(got)}")
    elif type(got) not in (int, float, bool) and not isinstance(got, (np.integer, np.floating, np.bool_)):
        raise AssertionError(f"{what} should be a number; got {describe(got)}")
    if not np.isclose(float(got), float(expected), rtol=1e-9, atol=1e-12):
        raise AssertionError(f"{what} is {got!r}; expected {expected!r}")


def random_array(rng: np.random.Generator, shape: tuple[int, ...], integers: bool = False) -> np.ndarray:
    if integers:
        return rng.integers(-3, 4, size=shape)
    return np.round(rng.uniform(-2, 2, size=shape), 3)
