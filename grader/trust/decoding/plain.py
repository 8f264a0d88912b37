"""Plain values and problems: what every decoder hands back."""

from __future__ import annotations

import datetime
import re
from typing import Any

MAX_DIGITS = 200  # of an integer in an answer: no number a question asks for is near it
MAX_DETAIL = 200  # characters of a parser's own words quoted in a problem
_SURROGATE = re.compile("[\ud800-\udfff]")

Problem = dict[str, Any]  # {"code": <message code>, "params": {name: value or Problem}}


def problem(code: str, **params: Any) -> Problem:
    """A problem as the document carries it: a message code of the grader's catalogue and its parameters."""
    return {"code": code, "params": params}


class Refused(Exception):
    """What is read cannot be used, and why (``problem``)."""

    def __init__(self, found: Problem) -> None:
        super().__init__(found["code"])
        self.problem = found

    def __reduce__(self) -> tuple[Any, ...]:  # pickled whole: made again from its problem, not from its code
        return (type(self), (self.problem,))


def text(value: str) -> str:
    """``value`` as valid Unicode: each lone surrogate (which a JSON or YAML escape can make) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", value)


def detail(value: object) -> str:
    """A parser's own words, for a problem: one line, at most ``MAX_DETAIL`` characters, valid Unicode."""
    try:
        said = str(value)
    except Exception:  # noqa: BLE001 - a value whose text cannot be had says nothing
        said = ""
    return text(" ".join(said.split()))[:MAX_DETAIL]


class NotPlain(Exception):
    """An answer holding a value the grader does not read (``problem``)."""

    def __init__(self, found: Problem) -> None:
        super().__init__(found["code"])
        self.problem = found

    def __reduce__(self) -> tuple[Any, ...]:  # pickled whole: made again from its problem, not from its code
        return (type(self), (self.problem,))


_KINDS = {bytes: "binary", bytearray: "binary", set: "set", frozenset: "set", complex: "complex"}


def plain(value: Any) -> Any:
    """``value`` (an answer) as plain data: text (valid Unicode), an integer of at most
    ``MAX_DIGITS`` digits, a float, a boolean, null, a list, a map with text keys; a date becomes its ISO text, a
    tuple a list. Anything else (a longer integer, binary data, a set, a map with keys that are not text) is
    ``NotPlain``, saying why."""
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, int):
        if value.bit_length() > 4 * MAX_DIGITS or len(str(abs(value))) > MAX_DIGITS:
            raise NotPlain(problem("answers.big_number", limit=MAX_DIGITS))
        return int(value)
    if isinstance(value, str):
        return text(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise NotPlain(problem("answers.key_kind"))
        return {text(key): plain(item) for key, item in value.items()}
    kind = next((said for known, said in _KINDS.items() if isinstance(value, known)), None)
    said = problem(f"answers.kind.{kind}") if kind else problem("answers.kind.other", name=type(value).__name__[:40])
    raise NotPlain(problem("answers.kind", kind=said))


def record_answer(values: dict[str, Any], refused: dict[str, Problem], question: Any, value: Any) -> None:
    """Record one answer (a key that is not text names no question: it is left out)."""
    if not isinstance(question, str):
        return
    question = text(question)
    try:
        values[question] = plain(value)
        refused.pop(question, None)
    except NotPlain as not_plain:
        values.pop(question, None)
        refused[question] = not_plain.problem
