"""A student's answers to a unit's questions, read as data and nothing else.

They come as ``answers.yaml`` (question id -> answer) at the submission's root,
or, in a notebook, as the answer cell ``answers`` holding ``ANSWERS = {...}``.
Either is untrusted text: it is bounded before it is parsed (size, nesting,
number of items), YAML anchors and aliases are refused (no "billion laughs"),
and a notebook cell is read with ``ast.literal_eval``, never run.
"""

from __future__ import annotations

import ast
import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ..model.messages import Text, t
from ..model.questions import MAX_OPEN_CHARACTERS, OPEN_PLACEHOLDER, Question, open_answer_digest
from ..model.results import OpenAnswer

ANSWERS_FILE = "answers.yaml"
NOTEBOOK_CELL = "answers"  # the grade_id of a notebook's answers cell
MAX_BYTES = 64 * 1024
MAX_DEPTH = 6
MAX_ITEMS = 5000

Answers = dict[str, Any]


# libyaml's parser where PyYAML has it (about ten times faster), then PyYAML's own: a document libyaml cannot
# read is read again by PyYAML, whose messages are the ones students see. Both construct values the same way.
LOADERS: tuple[type[yaml.SafeLoader], ...] = (
    *((yaml.CSafeLoader,) if getattr(yaml, "__with_libyaml__", False) else ()), yaml.SafeLoader)


def _bounded_events(text: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Text | None:
    """Why the YAML must not be loaded (an alias, too deep, too many items), or None."""
    depth = items = 0
    for event in yaml.parse(text, Loader=loader):
        items += 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return t("answers.alias")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return t("answers.deep", limit=MAX_DEPTH)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if items > MAX_ITEMS:
            return t("answers.many", limit=MAX_ITEMS)
    return None


def _mapping(value: Any, where: str) -> tuple[Answers | None, Text | None]:
    if value is None:
        return {}, None
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        return None, t("answers.not_mapping", where=where)
    return {str(key): item for key, item in value.items()}, None


def parse_yaml(data: bytes, where: str = ANSWERS_FILE) -> tuple[Answers | None, Text | None]:
    """The answers in an ``answers.yaml`` file's bytes, or why they cannot be read."""
    if len(data) > MAX_BYTES:
        return None, t("answers.large", where=where, size=len(data) // 1024, limit=MAX_BYTES // 1024)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, t("answers.not_utf8", where=where, offset=error.start)
    for loader in LOADERS[:-1]:
        try:
            problem = _bounded_events(text, loader)
            if problem is not None:
                return None, problem
            return _mapping(yaml.load(text, Loader=loader), where)  # a safe loader: plain data only
        except Exception:  # read again below, where every problem gets its message
            continue
    try:
        problem = _bounded_events(text)
        if problem is not None:
            return None, problem
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = getattr(error, "position", None)  # a character the reader refuses has a position, no mark
        line = (mark.line + 1 if mark is not None else
                text.count("\n", 0, position) + 1 if isinstance(position, int) else "?")
        detail = " ".join(str(getattr(error, "problem", "") or getattr(error, "reason", "") or error).split())
        return None, t("answers.yaml", where=where, line=line, problem=detail[:200])
    except (RecursionError, MemoryError):
        return None, t("answers.deep", limit=MAX_DEPTH)
    except (ValueError, OverflowError):  # a number longer than Python reads (4,300 digits), a date past 9999...
        return None, t("answers.value", where=where)
    return _mapping(value, where)


def parse_notebook_cell(source: str, where: str) -> tuple[Answers | None, Text | None]:
    """The answers of a notebook cell ``ANSWERS = {...}`` (a literal, never run), or why they cannot be read."""
    if len(source.encode("utf-8")) > MAX_BYTES:
        return None, t("answers.large", where=where, size=len(source.encode()) // 1024, limit=MAX_BYTES // 1024)
    try:
        tree = ast.parse(source, where)
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(n, "id", "") == "ANSWERS" for n in node.targets):
                if _depth(node.value) > MAX_DEPTH:
                    return None, t("answers.deep", limit=MAX_DEPTH)
                return _mapping(ast.literal_eval(node.value), where)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError):
        return None, t("answers.cell", where=where)
    return None, t("answers.cell", where=where)


def _depth(node: ast.AST, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    children = [_depth(child, level + 1) for child in ast.iter_child_nodes(node)
                if isinstance(child, (ast.Dict, ast.List, ast.Tuple, ast.Set))]
    return max(children, default=level)


def read_answers_file(path: Path, where: str = ANSWERS_FILE) -> tuple[Answers | None, Text | None]:
    """An answers file on disk (``answers.yaml``, ``practice.yaml``): a regular file, never followed through a
    link, of at most ``MAX_BYTES``, then parsed as ``parse_yaml`` does; ``OSError`` for a file that cannot be
    read."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        return None, t("answers.not_regular", where=where)
    if info.st_size > MAX_BYTES:
        return None, t("answers.large", where=where, size=info.st_size // 1024, limit=MAX_BYTES // 1024)
    return parse_yaml(path.read_bytes(), where)


def open_answers_of(questions: list[Question], answers: Answers | None, notes: dict[str, str]) -> dict[str, OpenAnswer]:
    """Each open question's answer: its text in ``answers.yaml`` (or the notebook's answers cell), else the
    notebook's Markdown cell of the question's id; at most ``MAX_OPEN_CHARACTERS`` of it. An answer that is not
    text (a list, say) is kept as its JSON, for the reviewer to see as it was given."""
    found = {}
    for question in questions:
        given = (answers or {}).get(question.id)
        if given is None:
            given = notes.get(question.id)
        if given is None:
            text = ""
        elif isinstance(given, str):
            text = given
        else:
            text = json.dumps(given, ensure_ascii=False, default=str)
        text = text.strip()
        if text == OPEN_PLACEHOLDER:  # the notebook's cell as the student was given it
            text = ""
        cut = len(text) > MAX_OPEN_CHARACTERS
        text = text[:MAX_OPEN_CHARACTERS]
        found[question.id] = OpenAnswer(question.id, text, open_answer_digest(text) if text else "",
                                        float(question.points or 0.0), cut)
    return found
