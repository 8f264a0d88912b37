"""Notebooks: their nbgrader cells, read from the JSON with its nesting and size bounded before it is parsed,
and each field checked to be of the type nbformat gives it."""

from __future__ import annotations

import json
import re
from typing import Any

from .plain import Problem, problem, text

MAX_NOTEBOOK_DEPTH = 64
MAX_NOTEBOOK_CELLS = 5000
# A JSON string, or an unterminated one up to the end of the text. Written so that a match never gives back what
# it took: whatever follows the escapes and plain runs is a quote, the end, or a backslash at the very end, so
# every quote starts at most one scan and the whole text is read once (a pattern that had to find the closing
# quote rescanned the rest of the text from every quote of an unterminated string: 80 KB took a minute).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def nesting(source: str) -> int:
    """How deep the arrays and objects of the JSON ``source`` nest, counted without parsing it (brackets inside
    strings do not count): the decoder recurses once per level. Linear in the length of the text: a string's
    pattern never gives back what it took, so every quote starts at most one scan."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", source))
    depth = deepest = 0
    for run in re.finditer(r"[\[{]+|[\]}]+", brackets):  # runs, not characters: a bomb is one long run
        step = len(run.group())
        depth += step if run.group()[0] in "[{" else -step
        deepest = max(deepest, depth)
    return deepest


def notebook_cells(data: bytes, name: str, wanted: list[str], kind: str = "code") -> tuple[dict[str, list[str]],
                                                                                          Problem | None]:
    """The cells of the notebook ``data`` (named ``name`` in problems) whose nbgrader ``grade_id`` is in
    ``wanted``, of ``kind``, in order; or why the notebook cannot be read. Its size and nesting are checked
    before it is parsed; the fields read of each cell are checked to be of the types nbformat gives them."""
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}, problem("intake.notebook", path=name, error="UnicodeDecodeError")
    if nesting(source) > MAX_NOTEBOOK_DEPTH:
        return {}, problem("intake.notebook_deep", path=name, limit=MAX_NOTEBOOK_DEPTH)
    try:
        notebook = json.loads(source)
    except (ValueError, RecursionError) as error:
        return {}, problem("intake.notebook", path=name, error=type(error).__name__)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return {}, problem("intake.notebook_form", path=name, where="cells", expected=problem("json.list"))
    if len(cells) > MAX_NOTEBOOK_CELLS:
        return {}, problem("intake.notebook_cells", path=name, count=len(cells), limit=MAX_NOTEBOOK_CELLS)
    parts: dict[str, list[str]] = {}
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != kind:
            continue
        found = _answer_cell(cell)
        if isinstance(found, tuple) and found[0] is None:
            return {}, problem("intake.notebook_form", path=name, where=f"cells[{number}].{found[1]}",
                               expected=problem(f"json.{found[2]}"))
        if found is not None and found[0] in wanted:
            parts.setdefault(str(found[0]), []).append(text(str(found[1])))
    return parts, None


def _answer_cell(cell: dict[str, Any]) -> tuple[str | None, str, str] | None:
    """``(grade id, source, "")`` of a cell nbgrader marks, None for one it does not, or ``(None, field,
    expected)`` naming the field that is not of its type."""
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        return None, "metadata", "object"
    marks = metadata.get("nbgrader", {})
    if not isinstance(marks, dict):
        return None, "metadata.nbgrader", "object"
    grade_id = marks.get("grade_id")
    if grade_id is None:
        return None
    if not isinstance(grade_id, str):
        return None, "metadata.nbgrader.grade_id", "text"
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(source, str):
        return None, "source", "source"
    return grade_id, source, ""


def notebook_modules(data: bytes, name: str, modules: list[str]) -> tuple[dict[str, str], dict[str, list[str]],
                                                                          Problem | None]:
    """The modules a notebook holds (its answer cells of each module's grade id, in order, as they are: line 1
    of a module is line 1 of its cell) and, for each, the modules before it whose names it sees: in a notebook
    every cell shares one namespace, and the worker gives each module the names of those before it."""
    parts, found = notebook_cells(data, name, modules)
    if found is not None:
        return {}, {}, found
    sources = {module: "\n\n".join(parts[module]) for module in modules if module in parts}
    shared = {module: [before for before in modules[:index] if before in parts]
              for index, module in enumerate(modules) if module in parts}
    return sources, shared, None
