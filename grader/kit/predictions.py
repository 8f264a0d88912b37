"""A unit's predictions of its known mistakes, as its suites reach them: live, recorded, or replayed.

A unit's course code has a ``predictions`` module: functions that take a
test's inputs and return ``(hint id, suspect)`` pairs, a suspect being the
value that mistake would give or a predicate on the answer (see
``grader.kit.diagnosis``). Suites call them through the ``predictions``
fixture, a ``Predictions``:

- live, where the course code is at hand (the instructor's checkout, the autograder): the pairs are computed
  when first used, which a check does only for a wrong answer (see ``Deferred``);
- recording, at release: every call the public suites make, with its pairs,
  goes into a *book* (values and the kit's predicates only; a probe of the
  student's code cannot be recorded and is left out);
- replaying, in the student bundle, which carries the book but no course code:
  the public suites' inputs are fixed, so each call finds its pairs by a digest
  of its arguments. A call the book does not know predicts nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..trust import wire
from .diagnosis import PREDICATES, Predicate

Pairs = list[tuple[str, Any]]


def call_key(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """A digest of a call: the function's name and its arguments' values (arrays by dtype, shape and bytes).

    Functions and student objects are not part of the key: a probe of the student's code is not data.
    """
    digest = hashlib.sha256(name.encode())

    def feed(value: Any) -> None:
        if isinstance(value, np.ndarray):
            digest.update(f"nd{value.dtype.str}{value.shape}".encode() + np.ascontiguousarray(value).tobytes())
        elif isinstance(value, (list, tuple)):
            digest.update(b"[")
            for item in value:
                feed(item)
            digest.update(b"]")
        elif isinstance(value, (bool, int, float, np.generic)):
            digest.update(repr(float(value)).encode())
        elif isinstance(value, str):
            digest.update(repr(value).encode())
        else:
            digest.update(b"?")

    for arg in (*args, *sorted(kwargs.items())):
        feed(arg)
    return digest.hexdigest()


def encode_pairs(pairs: Pairs) -> list[list[Any]]:
    """The pairs a book can hold: values as plain data, the kit's predicates by name; anything else is left out."""
    kept = []
    for mistake, suspect in pairs:
        if isinstance(suspect, Predicate):
            kept.append([mistake, {"$pred": suspect.kind, "args": wire.encode_plain(list(suspect.arguments()))}])
        elif not callable(suspect) or isinstance(suspect, np.ndarray):
            try:
                kept.append([mistake, wire.encode_plain(suspect)])
            except TypeError:
                continue
    return kept


def decode_pairs(entries: list[list[Any]]) -> Pairs:
    pairs: Pairs = []
    for mistake, value in entries:
        if isinstance(value, dict) and "$pred" in value:
            pairs.append((str(mistake), PREDICATES[str(value["$pred"])](*wire.decode(value["args"]))))
        else:
            pairs.append((str(mistake), wire.decode(value)))
    return pairs


class Predictions:
    """What the ``predictions`` fixture hands a suite: ``predictions.total(values)`` gives the pairs."""

    def __init__(self, module: ModuleType | None = None, book: dict[str, list[list[Any]]] | None = None,
                 recorder: dict[str, Pairs] | None = None) -> None:
        self._module, self._book, self._recorder = module, book or {}, recorder

    @classmethod
    def from_book(cls, path: Path | None) -> Predictions:
        """Replaying the book at ``path`` (none, or an unreadable one: predicting nothing)."""
        try:
            book = json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
        except (OSError, ValueError):
            book = {}
        return cls(book=book if isinstance(book, dict) else {})

    def __getattr__(self, name: str) -> Callable[..., Sequence[tuple[str, Any]]]:
        if name.startswith("_"):
            raise AttributeError(name)

        def predict(*args: Any, **kwargs: Any) -> Sequence[tuple[str, Any]]:
            if self._module is None:
                return decode_pairs(self._book.get(call_key(name, args, kwargs), []))
            function = getattr(self._module, name)
            if self._recorder is None:
                return Deferred(function, args, kwargs)
            pairs = list(function(*args, **kwargs))
            self._recorder[call_key(name, args, kwargs)] = pairs
            return pairs

        return predict


class Deferred(Sequence[tuple[str, Any]]):
    """A prediction's pairs, computed on first use: a check looks at its suspects only when the answer is wrong,
    so a right answer costs no prediction. The arrays among the arguments are copied when it is asked for, so
    the pairs are those of the arguments as they were then."""

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._call: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None = (
            function, tuple(_kept(arg) for arg in args), {key: _kept(value) for key, value in kwargs.items()})
        self._pairs: list[tuple[str, Any]] = []

    @property
    def pairs(self) -> list[tuple[str, Any]]:
        if self._call is not None:
            function, args, kwargs = self._call
            self._pairs = list(function(*args, **kwargs))
            self._call = None  # computed once
        return self._pairs

    def __getitem__(self, index: Any) -> Any:
        return self.pairs[index]

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.pairs)

    def __add__(self, other: Any) -> list[tuple[str, Any]]:  # joined with other pairs, as a list would be
        return self.pairs + list(other)

    def __radd__(self, other: Any) -> list[tuple[str, Any]]:
        return list(other) + self.pairs

    def __eq__(self, other: object) -> bool:
        return self.pairs == (list(other) if isinstance(other, (Sequence, Deferred)) else other)

    __hash__ = None  # type: ignore[assignment]  # a list of pairs is not hashable either

    def __repr__(self) -> str:
        return "<predictions, not computed yet>" if self._call is not None else repr(self._pairs)


def _kept(value: Any) -> Any:
    """An argument as it is now: arrays (also inside a list or tuple) copied, anything else as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)) and any(isinstance(item, np.ndarray) for item in value):
        return type(value)(item.copy() if isinstance(item, np.ndarray) else item for item in value)
    return value


def book_text(recorded: dict[str, Pairs]) -> str:
    """The book of the recorded calls, as JSON."""
    return json.dumps({key: encode_pairs(pairs) for key, pairs in recorded.items()}, sort_keys=True)
