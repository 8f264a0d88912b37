"""What went wrong in a failed test, as data: a finding, and the known mistake it matches.

A check that fails compares the student's answer with what each *suspect*
(a known mistake of the lesson, computed by the unit's predictions on the same
input) would have produced. The first suspect that matches names the mistake;
its hint comes from the course's hints catalogue. All of this happens in the
trusted process, on plain data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..model.errors import Whole
from ..model.results import Finding

# A suspect is the value a mistake would give, or a test of the answer.
Suspect = Any | Callable[[Any], bool]
"""What a known mistake would answer: a value (compared as ``same`` does) or a predicate of the answer."""


class Mismatch(Whole, AssertionError):
    """A check failed; carries the finding so that reports can render it in any language."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding.text))
        self.finding = finding


def close_values(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Where ``got`` is close to ``expected``, element by element: ``np.isclose``'s rule exactly (within
    ``atol + rtol * |expected|`` where ``expected`` is finite, else equal; NaN is never close), without its
    checks and conversions, which cost more than the comparison on the small arrays of a check."""
    x, y = got.astype(np.float64), expected.astype(np.float64)
    with np.errstate(invalid="ignore"):
        close: np.ndarray = (np.abs(x - y) <= atol + rtol * np.abs(y)) & np.isfinite(y) | (x == y)
    return close


def close_number(got: float, expected: float, rtol: float, atol: float) -> bool:
    """``np.isclose``'s rule for two floats, in plain Python arithmetic (the same IEEE doubles)."""
    return (abs(got - expected) <= atol + rtol * abs(expected) and math.isfinite(expected)) or got == expected


def same(got: Any, value: Any) -> bool:
    """Whether ``got`` is (numerically) the value ``value``."""
    if isinstance(value, np.ndarray):
        if type(got) is not np.ndarray or got.shape != value.shape or got.dtype.kind not in "biuf":
            return False
        return bool(close_values(got, value, 1e-6, 1e-6).all())
    if isinstance(got, np.ndarray) or isinstance(got, bool) != isinstance(value, bool):
        return False
    try:
        return close_number(float(got), float(value), 1e-9, 1e-12)
    except (TypeError, ValueError):
        return False


def matching_mistake(got: Any, suspects: Mapping[str, Suspect] | Iterable[tuple[str, Suspect]] | None) -> str | None:
    """The known mistake whose result is ``got``; None if none matches, or if several different ones do.

    When two mistakes would give the same answer on this input, the answer does
    not tell them apart, and a hint naming either could be wrong: say nothing.
    """
    pairs = suspects.items() if isinstance(suspects, Mapping) else (suspects or [])
    found = set()
    for mistake, suspect in pairs:
        try:
            if callable(suspect) and not isinstance(suspect, np.ndarray):
                matches = bool(suspect(got))
            else:
                matches = same(got, suspect)
        except Exception:  # a suspect that cannot judge this answer does not match it
            matches = False
        if matches:
            found.add(mistake)
    return found.pop() if len(found) == 1 else None




# --- predicates: a suspect that is a test of the answer, kept as data so a recorded book can hold it ------------


class Predicate:
    """A test of the answer, named and with plain arguments (so the student bundle's book can replay it)."""

    kind = ""

    def arguments(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def __call__(self, got: Any) -> bool:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(self.arguments()) == repr(other.arguments())  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.kind, repr(self.arguments())))


class ShapeIn(Predicate):
    """The answer is an array of one of these shapes."""

    kind = "shape_in"

    def __init__(self, *shapes: Any) -> None:
        self.shapes = [tuple(int(n) for n in shape) for shape in shapes]

    def arguments(self) -> tuple[Any, ...]:
        return tuple(list(shape) for shape in self.shapes)

    def __call__(self, got: Any) -> bool:
        return isinstance(got, np.ndarray) and tuple(got.shape) in self.shapes


class FloatNear(Predicate):
    """The answer is a float (not an int) close to this value."""

    kind = "float_near"

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def arguments(self) -> tuple[Any, ...]:
        return (self.value,)

    def __call__(self, got: Any) -> bool:
        return isinstance(got, float) and close_number(got, self.value, 1e-9, 1e-12)


def _numbers(got: Any) -> bool:
    """``got`` is a non-empty array of numbers (what a predicate on values may look at)."""
    return isinstance(got, np.ndarray) and got.size > 0 and got.dtype.kind in "biuf"


class MaxAbsIn(Predicate):
    """The answer is an array whose largest magnitude lies in ``(low, high]``."""

    kind = "max_abs_in"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = float(low), float(high)

    def arguments(self) -> tuple[Any, ...]:
        return (self.low, self.high)

    def __call__(self, got: Any) -> bool:
        return _numbers(got) and self.low < float(np.abs(got).max()) <= self.high


class MessageHas(Predicate):
    """An exception's message holds every one of these pieces (for ``diagnosing``)."""

    kind = "message_has"

    def __init__(self, *parts: str) -> None:
        self.parts = [str(part) for part in parts]

    def arguments(self) -> tuple[Any, ...]:
        return tuple(self.parts)

    def __call__(self, got: Any) -> bool:
        return isinstance(got, str) and all(part in got for part in self.parts)


class ValuesIn(Predicate):
    """The answer is a numeric array whose every value lies in ``[low, high]`` (weights drawn from part of their
    range, say)."""

    kind = "values_in"

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = float(low), float(high)

    def arguments(self) -> tuple[Any, ...]:
        return (self.low, self.high)

    def __call__(self, got: Any) -> bool:
        return _numbers(got) and bool(self.low <= got.min() and got.max() <= self.high)


class IntegerArray(Predicate):
    """The answer is an array of whole numbers (dtype int or bool): one that cuts off what is written into it."""

    kind = "integer_array"

    def arguments(self) -> tuple[Any, ...]:
        return ()

    def __call__(self, got: Any) -> bool:
        return isinstance(got, np.ndarray) and got.dtype.kind in "biu"


class Anything(Predicate):
    """Any answer: for a mistake that a check has already recognised (say, an input changed in place)."""

    kind = "anything"

    def arguments(self) -> tuple[Any, ...]:
        return ()

    def __call__(self, got: Any) -> bool:
        return True


PREDICATES: dict[str, type[Predicate]] = {kind.kind: kind for kind in (ShapeIn, FloatNear, MaxAbsIn, ValuesIn,
                                                                        IntegerArray, MessageHas, Anything)}


def probe(mistake: str, check: Callable[[], bool]) -> list[tuple[str, Suspect]]:
    """A suspect that asks the student's own code (``check``, called only when a test fails) rather than
    comparing values: e.g. whether the same call works on the input as ``(1, H, W)`` when it failed on ``(H, W)``.
    Test logic, not data: a recorded book never holds it, so write it in the test that uses it."""
    return [(mistake, lambda got: check())]
