"""Helpers for the course's test suites: checks that explain what is wrong.

A check raises ``Mismatch`` (an ``AssertionError``) carrying a ``Finding``:
the message with its details, a variant without any input or expected value
(for tests whose visibility is hidden), and the known mistake the answer
matches, if any (see ``grader.kit.diagnosis``). Checks only ever look at plain
data that came back from the worker.

``what`` names the value in code terms (``clip(x, 0, 1)``, ``scaler.factor``),
so it reads the same in every language; for hidden tests only its ``subject``
is shown, by default ``what`` with its arguments elided. A value that a call
leaves behind is written ``target ← call`` (``layer.output_array ←
layer.forward(x)``) and said in words: "after ``layer.forward(x)``,
``layer.output_array`` differs at ...".
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..model.messages import Text, t
from ..model.results import Finding
from ..running.session import Remote, StudentError, type_name
from .diagnosis import Mismatch, Suspect, close_number, close_values, matching_mistake

Suspects = Mapping[str, Suspect] | Iterable[tuple[str, Suspect]] | None


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 3, 60, 60, 60


def describe(value: Any) -> str:
    """A short, language-neutral description of an answer: its first items only, however many it has (a
    value from the worker may hold a million)."""
    if isinstance(value, np.ndarray):
        return f"ndarray shape {value.shape} dtype {value.dtype}"
    if isinstance(value, Remote):
        return f"<{type_name(value)} object>"
    text = _SHORT.repr(value)
    return f"{type_name(value)} {text if len(text) <= 60 else text[:57] + '...'}"


def subject_of(what: str) -> str:
    """``what`` without its arguments and context: ``total(x), x.shape = (2, 3)`` gives ``total(…)``."""
    head = what.split(",")[0]
    return head[: head.index("(")] + "(…)" if "(" in head else head


def after(what: str) -> Text | str:
    """``what`` in words when it is written ``target ← call, context`` (the value ``target`` holds once ``call``
    has run): "after ``call`` (``context``), ``target``"; any other ``what`` as it is."""
    target, arrow, rest = what.partition("←")
    if not arrow:
        return what
    rest = rest.strip()
    depth, end = 0, len(rest)
    for index, char in enumerate(rest):  # the call ends where its first bracket closes
        depth += char in "([{"
        depth -= char in ")]}"
        if char in ")]}" and depth == 0:
            end = index + 1
            break
    call, context = rest[:end], rest[end:].lstrip(", ").strip()
    return t("check.after", target=target.strip(), call=call,
             context=t("check.after_context", context=context) if context else "")


def _spoken(text: Text) -> Text:
    what = text.params.get("what")
    return Text(text.code, {**text.params, "what": after(what)}) if isinstance(what, str) else text


def fail(text: Text, hidden: Text, got: Any = None, suspects: Suspects = None) -> Mismatch:
    """A failure to raise with a message of a suite's own: ``text`` (may show data), ``hidden`` (for a hidden test:
    no input, no expected value), and the known mistake among ``suspects`` that ``got`` matches, if one does.
    A ``what`` written with an arrow is said in words (``after``)."""
    return Mismatch(Finding(_spoken(text), _spoken(hidden), matching_mistake(got, suspects)))


def _check_type(got: Any, ok: bool, kind: str, what: str, subject: str, suspects: Suspects) -> None:
    if not ok:
        raise fail(t("check.type", what=what, kind=t(kind), got=describe(got)),
                   t("check.type.hidden", what=subject, kind=t(kind), got=type_name(got)), got, suspects)


def check_array(got: Any, expected: np.ndarray, what: str, *, subject: str | None = None,
                suspects: Suspects = None, atol: float = 1e-6) -> None:
    """``got`` is a NumPy array of ``expected``'s shape whose values match, whatever its numeric dtype."""
    subject = subject or subject_of(what)
    _check_type(got, type(got) is np.ndarray, "kind.array", what, subject, suspects)
    if got.shape != expected.shape:
        raise fail(t("check.shape", what=what, got=got.shape, expected=expected.shape),
                   t("check.shape.hidden", what=subject), got, suspects)
    if got.dtype.kind not in "biuf":
        raise fail(t("check.dtype", what=what, got=got.dtype), t("check.dtype", what=subject, got=got.dtype),
                   got, suspects)
    close = close_values(got, expected, 1e-6, atol)
    if not close.all():
        where = tuple(int(i) for i in np.argwhere(~close)[0])
        text = t("check.values", what=what, index=list(where), expected=_plain(expected[where]),
                 got=_plain(got[where]), count=int((~close).sum()), total=close.size)
        raise fail(text, t("check.values.hidden", what=subject), got, suspects)


def check_number(got: Any, expected: float, what: str, *, integer: bool = False, subject: str | None = None,
                 suspects: Suspects = None) -> None:
    """``got`` is a number (an ``int`` when ``integer``) equal to ``expected``."""
    subject = subject or subject_of(what)
    if integer:
        _check_type(got, type(got) is int or isinstance(got, np.integer), "kind.int", what, subject, suspects)
    else:
        numeric = type(got) in (int, float, bool) or isinstance(got, (np.integer, np.floating, np.bool_))
        _check_type(got, numeric, "kind.number", what, subject, suspects)
    if not close_number(float(got), float(expected), 1e-9, 1e-12):
        raise fail(t("check.number", what=what, got=_plain(got), expected=_plain(expected)),
                   t("check.number.hidden", what=subject), got, suspects)


def check_unchanged(after: Any, before: np.ndarray, what: str, *, suspects: Suspects = None) -> None:
    """The input array ``before`` was handed to ``what`` and came back as ``after``: it must not change."""
    if type(after) is not np.ndarray or after.shape != before.shape or not np.array_equal(after, before):
        text = t("check.unchanged", what=what)
        raise fail(text, t("check.unchanged", what=subject_of(what)), after, suspects)


def check_shape(got: Any, shape: tuple[int, ...], what: str, *, suspects: Suspects = None) -> None:
    """``got`` is a NumPy array of the given shape."""
    subject = subject_of(what)
    _check_type(got, type(got) is np.ndarray, "kind.array", what, subject, suspects)
    if got.shape != shape:
        raise fail(t("check.shape", what=what, got=got.shape, expected=shape),
                   t("check.shape.hidden", what=subject), got, suspects)


def check_count(got: int, expected: int, what: str) -> None:
    """``got`` is the count ``expected`` (how many filters a layer made, say)."""
    if got != expected:
        raise fail(t("check.count", what=what, got=got, expected=expected),
                   t("check.count", what=subject_of(what), got=got, expected=expected))


def check_range(got: np.ndarray, start: float, stop: float, what: str, *, suspects: Suspects = None) -> None:
    """Every value of ``got`` lies in ``[start, stop)``."""
    if got.size and (got.min() < start or got.max() >= stop):
        text = t("check.range", what=what, low=_plain(got.min()), high=_plain(got.max()), start=start, stop=stop)
        raise fail(text, t("check.range.hidden", what=subject_of(what), start=start, stop=stop), got, suspects)


def check_fills(got: np.ndarray, start: float, stop: float, what: str, *, suspects: Suspects = None) -> None:
    """The values of ``got`` reach into both outer quarters of ``[start, stop)``: drawn from the whole range, not
    from one side of it (ask for enough values that a right answer always does)."""
    quarter = (stop - start) / 4
    if got.size and (got.min() >= start + quarter or got.max() < stop - quarter):
        low, high = (f"{float(value):.3g}" for value in (got.min(), got.max()))  # 1e-9 is not 0.0
        text = t("check.fills", what=what, low=low, high=high, start=start, stop=stop)
        raise fail(text, t("check.fills.hidden", what=subject_of(what), start=start, stop=stop), got, suspects)


def check_floats(got: Any, what: str, *, suspects: Suspects = None) -> None:
    """``got`` is a NumPy array of floats: an array of ints would cut off every fraction written into it."""
    subject = subject_of(what)
    _check_type(got, type(got) is np.ndarray, "kind.array", what, subject, suspects)
    if got.dtype.kind != "f":
        raise fail(t("check.floats", what=what, got=got.dtype), t("check.floats", what=subject, got=got.dtype),
                   got, suspects)


def check_spread(got: np.ndarray, min_std: float, what: str) -> None:
    """The values of ``got`` are spread out (standard deviation above ``min_std``): random weights, not a constant."""
    if got.std() <= min_std:
        raise fail(t("check.spread", what=what), t("check.spread", what=subject_of(what)))


def check_differ(first: np.ndarray, second: np.ndarray, what: str) -> None:
    """Two arrays that should differ do (two filters drawn at random, say)."""
    if np.array_equal(first, second):
        raise fail(t("check.same_twice", what=what), t("check.same_twice", what=subject_of(what)))


def check_repr(text: Any, what: str) -> None:
    """``text`` (a ``student_repr``) is a readable text of the student's own, not ``object.__repr__``'s default."""
    if type(text) is not str or not text or " object at 0x" in text:
        shown = describe(text)
        raise fail(t("check.repr", what=what, got=shown), t("check.repr", what=subject_of(what), got=shown))


def _plain(value: Any) -> Any:
    """A number as a student would write it: 3, -1.5, True."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value) if not np.signbit(value) or value != 0 else 0
    return round(value, 6) if isinstance(value, float) else value


@contextmanager
def diagnosing(suspects: Callable[[], Suspects]) -> Iterator[None]:
    """Inside: an exception from student code is matched (by its message) against ``suspects()``.

    ``suspects`` is called only when there is an exception, so it may probe the submission.
    """
    try:
        yield
    except StudentError as error:
        detail = error.text.params.get("detail", "") if error.text.code == "session.raised" else ""
        if detail and error.mistake is None:
            error.mistake = matching_mistake(detail, suspects())
        raise


def random_array(rng: np.random.Generator, shape: tuple[int, ...], integers: bool = False) -> np.ndarray:
    """A test input of ``shape``: values in ``[-2, 2]`` rounded to 3 places, or (``integers``) whole numbers in
    ``[-3, 3]``."""
    if integers:
        return rng.integers(-3, 4, size=shape)
    return np.round(rng.uniform(-2, 2, size=shape), 3)
