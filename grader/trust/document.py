"""The decoders' documents as the grader reads them: checked against a strict schema, and nothing else read.

What a submission holds is decoded in the sandbox (``grader.trust.decoding``); what comes back is untrusted
plain JSON, so it is held to the schema below before it is used, whatever produced it. Anything outside it is
refused with one line (``DocumentError``), costing only the part it came in:

- a problem is a message code of the grader's catalogue (intake, answers, archive, JSON-type codes only) with
  at most eight parameters, each text (valid Unicode, at most ``MAX_PARAM`` characters), a whole number, a
  finite float, or a problem (two levels at most), and it must render in every language;
- the ``modules`` part names exactly the unit's modules, each a source (valid Unicode, at most the unit's
  ``source_kb`` in UTF-8) with its compiled code (base64, or empty), or a problem; ``shared`` and ``preludes``
  only in a notebook: each module's list naming other modules (those whose cells come before its own), and the
  student's own cells before it (text, at most ``source_kb`` in all);
- the ``answers`` and ``practice`` parts hold answers by question id (text of at most ``MAX_KEY`` characters),
  each a plain value (``plain_value``) or a problem, and a notebook's open answers as text of at most
  ``MAX_NOTE`` characters.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from ..model.messages import CATALOGUE, LANGUAGES, Text, render
from ..model.results import Answers

MAX_PARAM = 1000  # characters of a problem's parameter
MAX_KEY = 200  # characters of a question id, as given
MAX_TEXT = 1 << 16  # characters of a text in an answer (an answers file is at most 64 KiB)
MAX_NOTE = 20_001  # characters of a notebook's open answer: the decoder keeps one more than it shows
MAX_DIGITS = 200  # of an integer in an answer
MAX_DEPTH = 8  # of an answer's lists and maps
MAX_ITEMS = 5000  # values in all the answers of a part
PROBLEM_CODES = ("intake.", "answers.", "archive.", "json.")
_SURROGATE = re.compile("[\ud800-\udfff]")


class DocumentError(ValueError):
    """A decoder's document that does not hold to its schema (the message says where, on one line)."""


def _unicode(value: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError("a text that is not valid Unicode (a lone surrogate)")
    return value


def problem_text(value: Any, depth: int = 0) -> Text:
    """The message of a problem the decoder reported, or ``DocumentError``."""
    if not isinstance(value, dict) or set(value) != {"code", "params"}:
        raise DocumentError("a problem is not {code, params}")
    code, params = value["code"], value["params"]
    if type(code) is not str or code not in CATALOGUE or not code.startswith(PROBLEM_CODES):
        raise DocumentError(f"a problem names no message of its kind: {str(code)[:40]!r}")
    if not isinstance(params, dict) or len(params) > 8:
        raise DocumentError("a problem's parameters are not a map of at most eight")
    checked: dict[str, Any] = {}
    for name, param in params.items():
        if type(name) is not str or not name.isidentifier() or len(name) > 20:
            raise DocumentError("a problem's parameter has no plain name")
        if type(param) is str:
            if len(param) > MAX_PARAM or _SURROGATE.search(param):
                raise DocumentError(f"the problem's {name} is too long, or not valid Unicode")
            checked[name] = param
        elif type(param) is int and abs(param) < 1 << 63 or type(param) is float and math.isfinite(param):
            checked[name] = param
        elif isinstance(param, dict) and depth < 2:
            checked[name] = problem_text(param, depth + 1)
        else:
            raise DocumentError(f"the problem's {name} is not text, a number or a problem")
    text = Text(code, checked)
    for lang in LANGUAGES:
        try:
            render(text, lang)
        except (KeyError, IndexError, ValueError) as error:
            raise DocumentError(f"the problem {code} does not render ({type(error).__name__})") from None
    return text


def plain_value(value: Any, depth: int = 0, budget: list[int] | None = None) -> Any:
    """``value`` when it is plain data within bounds (text, an integer of at most ``MAX_DIGITS`` digits, a
    float, a boolean, null, a list, a map with text keys; ``MAX_DEPTH`` deep and ``MAX_ITEMS`` values in all),
    else ``DocumentError``."""
    budget = budget if budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise DocumentError("the answers hold too many values, or nest too deep")
    if value is None or type(value) in (bool, float):
        return value
    if type(value) is int:
        if value.bit_length() > 4 * MAX_DIGITS or len(str(abs(value))) > MAX_DIGITS:
            raise DocumentError("an answer holds an integer of too many digits")
        return value
    if type(value) is str:
        if len(value) > MAX_TEXT or _SURROGATE.search(value):
            raise DocumentError("an answer holds a text too long, or not valid Unicode")
        return value
    if type(value) is list:
        return [plain_value(item, depth + 1, budget) for item in value]
    if type(value) is dict:
        if not all(type(key) is str and len(key) <= MAX_TEXT and not _SURROGATE.search(key) for key in value):
            raise DocumentError("an answer holds a map whose keys are not valid text")
        return {key: plain_value(item, depth + 1, budget) for key, item in value.items()}
    raise DocumentError(f"an answer holds {type(value).__name__}, which is not plain data")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Module(_Strict):
    source: StrictStr | None = None
    code: StrictStr | None = None
    problem: dict[str, Any] | None = None


class _Modules(_Strict):
    form: Literal["folder", "notebook", "archive"]
    modules: dict[StrictStr, _Module]
    shared: dict[StrictStr, list[StrictStr]] = Field(default_factory=dict)
    preludes: dict[StrictStr, list[StrictStr]] = Field(default_factory=dict)


class _Answers(_Strict):
    values: dict[str, Any] = Field(default_factory=dict)
    refused: dict[str, Any] = Field(default_factory=dict)
    problem: dict[str, Any] | None = None

    @field_validator("values", "refused")
    @classmethod
    def _keys(cls, found: dict[str, Any]) -> dict[str, Any]:
        if len(found) > MAX_ITEMS or not all(len(key) <= MAX_KEY and not _SURROGATE.search(key) for key in found):
            raise ValueError("question ids too many, too long, or not valid Unicode")
        return found


class _AnswersPart(_Strict):
    answers: _Answers | None
    notes: dict[StrictStr, StrictStr] = Field(default_factory=dict)

    @field_validator("notes")
    @classmethod
    def _notes(cls, notes: dict[str, str]) -> dict[str, str]:
        if len(notes) > MAX_ITEMS or not all(len(key) <= MAX_KEY and len(note) <= MAX_NOTE and
                                             not _SURROGATE.search(key + note) for key, note in notes.items()):
            raise ValueError("open answers too many, too long, or not valid Unicode")
        return notes


class _PracticePart(_Strict):
    answers: _Answers | None


@dataclass(frozen=True)
class Modules:
    """The modules part, read: how the modules came (folder, notebook or archive), each accepted module's
    source and compiled code (empty: the worker compiles it), the problem of each other one, and in a notebook
    the earlier modules whose names each one sees and the student's own cells run before it."""

    form: str
    sources: dict[str, str]
    code: dict[str, bytes]
    problems: dict[str, Text]
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)
    preludes: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _checked(model: type[BaseModel], reply: Any, part: str) -> Any:
    try:
        return model.model_validate(reply)
    except ValidationError as error:
        where = ".".join(str(step) for step in error.errors()[0]["loc"][:3]) if error.errors() else ""
        raise DocumentError(f"the {part} part does not hold to its schema ({where[:80]})") from None


def read_modules(reply: Any, modules: list[str], max_bytes: int) -> Modules:
    """The ``modules`` part of a decoder's reply, checked (see the module's docstring)."""
    found = _checked(_Modules, reply, "modules")
    if set(found.modules) != set(modules):
        raise DocumentError("the modules part does not name exactly the unit's modules")
    sources: dict[str, str] = {}
    code: dict[str, bytes] = {}
    problems: dict[str, Text] = {}
    for name in modules:
        entry = found.modules[name]
        if entry.problem is not None:
            if entry.source is not None or entry.code is not None:
                raise DocumentError(f"the module {name} has both a source and a problem")
            problems[name] = problem_text(entry.problem)
            continue
        if entry.source is None or entry.code is None:
            raise DocumentError(f"the module {name} has neither a source nor a problem")
        try:
            size = len(_unicode(entry.source).encode("utf-8"))
            compiled = base64.b64decode(entry.code, validate=True)
        except (ValueError, binascii.Error):
            raise DocumentError(f"the module {name}'s source or code is not what it should be") from None
        if size > max_bytes or len(compiled) > 16 * max(max_bytes, 1024):
            raise DocumentError(f"the module {name} is larger than the limit")
        sources[name] = entry.source
        if compiled:
            code[name] = compiled
    shared: dict[str, tuple[str, ...]] = {}
    for name, before in found.shared.items():
        if found.form != "notebook" or name not in sources or not set(before) <= set(modules) - {name}:
            raise DocumentError("a module shares the names of modules that are not others of a notebook")
        shared[name] = tuple(before)
    preludes: dict[str, tuple[str, ...]] = {}
    budget = max_bytes
    for name, cells in found.preludes.items():
        if found.form != "notebook" or name not in sources:
            raise DocumentError("cells run before a module that is not a notebook's")
        try:
            budget -= sum(len(_unicode(cell).encode("utf-8")) for cell in cells)
        except ValueError:
            raise DocumentError(f"the cells before the module {name} are not valid Unicode") from None
        if budget < 0:
            raise DocumentError("the cells run before the modules are larger than the limit")
        preludes[name] = tuple(cells)
    return Modules(found.form, sources, code, problems, shared, preludes)


def _answers(found: _Answers | None) -> tuple[Answers | None, Text | None]:
    if found is None:
        return None, None
    if found.problem is not None:
        if found.values or found.refused:
            raise DocumentError("answers that cannot be read hold answers")
        return None, problem_text(found.problem)
    budget = [MAX_ITEMS]
    values = {key: plain_value(value, 1, budget) for key, value in found.values.items()}
    refused = {key: problem_text(value) for key, value in found.refused.items()}
    if set(values) & set(refused):
        raise DocumentError("an answer is both read and refused")
    return Answers(values, refused), None


def read_answers(reply: Any) -> tuple[Answers | None, Text | None, dict[str, str]]:
    """The ``answers`` part, checked: the answers (None: none were given) or why they cannot be read, and a
    notebook's open answers by question id."""
    found = _checked(_AnswersPart, reply, "answers")
    answers, problem = _answers(found.answers)
    return answers, problem, dict(found.notes)


def read_practice(reply: Any) -> tuple[Answers | None, Text | None]:
    """The ``practice`` part, checked: its answers (None: there is no practice.yaml) or why they cannot be read."""
    return _answers(_checked(_PracticePart, reply, "practice").answers)
