"""Notebooks: their nbgrader cells, read from the JSON with its nesting and size bounded before it is parsed,
and each field checked to be of the type nbformat gives it; and their modules, as Jupyter runs them."""

from __future__ import annotations

import json
import re
from typing import Any

from .plain import Problem, problem, text

MAX_NOTEBOOK_BYTES = 32 << 20  # a notebook, outputs and all: a few figures make megabytes
MAX_NOTEBOOK_DEPTH = 64
MAX_NOTEBOOK_CELLS = 5000
ANSWERS_CELL = "answers"  # the grade_id of a notebook's answers cell: data, never run
_MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.MULTILINE)  # a line IPython runs as a magic or a shell command
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


def _cells(data: bytes, name: str) -> list[Any] | Problem:
    """The cells of the notebook ``data`` (named ``name`` in problems), or why it cannot be read: its nesting is
    counted before it is parsed, and it must hold a list of cells of a bounded length."""
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        return problem("intake.notebook", path=name, error="UnicodeDecodeError")
    if nesting(source) > MAX_NOTEBOOK_DEPTH:
        return problem("intake.notebook_deep", path=name, limit=MAX_NOTEBOOK_DEPTH)
    try:
        notebook = json.loads(source)
    except (ValueError, RecursionError) as error:
        return problem("intake.notebook", path=name, error=type(error).__name__)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return problem("intake.notebook_form", path=name, where="cells", expected=problem("json.list"))
    if len(cells) > MAX_NOTEBOOK_CELLS:
        return problem("intake.notebook_cells", path=name, count=len(cells), limit=MAX_NOTEBOOK_CELLS)
    return cells


def notebook_cells(data: bytes, name: str, wanted: list[str], kind: str = "code") -> tuple[dict[str, list[str]],
                                                                                          Problem | None]:
    """The cells of the notebook ``data`` (named ``name`` in problems) whose nbgrader ``grade_id`` is in
    ``wanted``, of ``kind``, in order; or why the notebook cannot be read. The fields read of each cell are
    checked to be of the types nbformat gives them."""
    cells = _cells(data, name)
    if isinstance(cells, dict):
        return {}, cells
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


def as_run(source: str) -> str:
    """A code cell's source as Jupyter runs it: a cell that is not Python because of IPython's magics or shell
    commands (lines that begin with ``%`` or ``!``, ``%matplotlib inline`` say) has those lines made ``pass``
    at their indentation, line for line; any other cell as it is."""
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
        return source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    candidate = _MAGIC.sub(r"\1pass", source)
    if candidate == source:
        return source
    try:
        compile(candidate, "<cell>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source
    return candidate


def _source_of(cell: dict[str, Any]) -> str | None:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    return text(source) if isinstance(source, str) else None


def notebook_modules(data: bytes, name: str, modules: list[str], max_bytes: int) -> tuple[
        dict[str, str], dict[str, list[str]], dict[str, list[str]], Problem | None]:
    """The modules a notebook holds, as Jupyter runs it, in the order of their cells: each module its answer
    cells (by nbgrader ``grade_id``) as they are, line for line (their magics made ``pass``); for each, the
    modules whose cells come before it (every cell of a notebook sees what the cells above it defined); and the
    student's own code cells before it (a helper, an import), which the worker runs first, a cell that fails
    leaving what it defined, as in a notebook. A cell nbgrader marks that is not a module's (the course's tests,
    the answers cell) is not run; the cells the student adds are run up to ``max_bytes`` (UTF-8, as run) in
    all, and those past it are not."""
    cells = _cells(data, name)
    if isinstance(cells, dict):
        return {}, {}, {}, cells
    parts: dict[str, list[str]] = {}  # in the order of each module's first cell
    preludes: dict[str, list[str]] = {}
    pending: list[str] = []
    kept = 0
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        found = _answer_cell(cell)
        if isinstance(found, tuple) and found[0] is None:
            return {}, {}, {}, problem("intake.notebook_form", path=name, where=f"cells[{number}].{found[1]}",
                                       expected=problem(f"json.{found[2]}"))
        if found is not None and found[0] in modules:
            module = str(found[0])
            preludes.setdefault(module, []).extend(pending)
            pending = []
            parts.setdefault(module, []).append(as_run(text(str(found[1]))))
            continue
        if found is not None:
            continue  # a cell of the course's (its tests, the answers cell, which is data): nbgrader marks it
        source = _source_of(cell)
        if source is None or not source.strip():
            continue
        run = as_run(source)
        size = len(run.encode("utf-8"))
        if kept + size <= max_bytes:
            pending.append(run)
            kept += size
    order = list(parts)
    sources = {module: "\n\n".join(parts[module]) for module in order}
    shared = {module: order[:index] for index, module in enumerate(order)}
    return sources, shared, {module: cells for module, cells in preludes.items() if cells}, None
