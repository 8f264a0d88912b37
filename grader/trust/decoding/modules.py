"""The modules of a submission: from its folder, a folder in it, a notebook's answer cells or a zip archive (read
as the folder it unpacks to), each checked (a regular file, not too large, UTF-8, valid Python) and compiled, or
the problem that keeps it out."""

from __future__ import annotations

import base64
import marshal
import warnings
from typing import Any

from .layout import elsewhere, locate
from .notebooks import ANSWERS_CELL, MAX_NOTEBOOK_BYTES, notebook_modules
from .plain import Problem, detail, problem, text
from .tree import Tree


def compiled(source: str, name: str, max_bytes: int, form: str) -> dict[str, Any]:
    """A module's entry: its source and its code (marshalled, base64; empty when the compiler warned, so that the
    worker compiles it and the student sees the warning), or the problem that keeps it out. Compiled as the
    worker would: no optimization, no inherited future flags."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        return {"problem": problem("intake.too_large", module=name, size=size // 1024, limit=max_bytes // 1024)}
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            code = compile(source, f"{name}.py", "exec", dont_inherit=True, optimize=0)
    except SyntaxError as error:
        line = error.lineno if type(error.lineno) is int else 0
        where = "intake.syntax_cell" if form == "notebook" else "intake.syntax"
        return {"problem": problem(where, module=name, line=line, error=detail(error.msg))}
    except (ValueError, RecursionError, MemoryError) as error:
        return {"problem": problem("intake.compile", module=name, error=type(error).__name__)}
    return {"source": source, "code": "" if warned else base64.b64encode(marshal.dumps(code)).decode("ascii")}


def _file_source(tree: Tree, path: str, name: str, max_bytes: int) -> str | Problem:
    """A module file's text, or why it cannot be one (as intake has always said it)."""
    kind = tree.kind(path)
    if kind is None:
        return problem("intake.missing", module=name)
    if kind == "link":
        return problem("intake.symlink", module=name)
    if kind != "file":
        return problem("intake.not_regular", module=name)
    size = tree.size(path)
    if size > max_bytes:
        return problem("intake.too_large", module=name, size=size // 1024, limit=max_bytes // 1024)
    data = tree.read(path)
    if data is None:
        return problem("intake.unreadable", module=name, reason="not read")
    if isinstance(data, dict):
        return data
    try:  # a byte order mark first is allowed, as Python allows it
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        return problem("intake.not_utf8", module=name, offset=error.start)


def _missing(tree: Tree, module: str, where: str) -> Problem:
    """Why a module is not in the folder the others are in: where it is instead, or that it is missing."""
    found = elsewhere(tree, module, where)
    if found is None:
        return problem("intake.missing", module=module)
    return problem("intake.elsewhere", module=module, path=text(found), folder=text(where or "./"))


def _notebook(tree: Tree, where: str, modules: list[str], max_bytes: int) -> tuple[
        dict[str, Any], dict[str, list[str]], dict[str, list[str]]]:
    """The entries of a notebook's modules, what each one sees of the modules before it, and the student's
    own cells run before each (those before a module that is refused go to the next one, as Jupyter runs them
    all)."""
    name = text(where or tree.name)
    size = tree.size(where)
    data = tree.read(where)
    trouble: Problem | None = None
    if isinstance(data, dict):
        trouble = data
    elif size > MAX_NOTEBOOK_BYTES or data is None:
        trouble = problem("intake.notebook_large", path=name, size=size >> 20, limit=MAX_NOTEBOOK_BYTES >> 20)
    if trouble is not None:
        return {module: {"problem": trouble} for module in modules}, {}, {}
    assert isinstance(data, bytes)
    sources, shared, preludes, trouble = notebook_modules(data, name, modules, max_bytes)
    entries: dict[str, Any] = {}
    for module in modules:
        if trouble is not None:
            entries[module] = {"problem": trouble}
        elif module in sources:
            entries[module] = compiled(sources[module], module, max_bytes, "notebook")
        else:
            entries[module] = {"problem": problem("intake.notebook_missing", module=module, path=name)}
    accepted = [module for module in sources if "source" in entries[module]]  # in the notebook's order
    kept: dict[str, list[str]] = {}
    waiting: list[str] = []
    for module in sources:
        waiting += preludes.get(module, [])
        if module in accepted:
            kept[module], waiting = waiting, []
    return entries, {module: [before for before in shared[module] if before in accepted] for module in accepted}, \
        {module: cells for module, cells in kept.items() if cells}


def decode_modules(tree: Tree, modules: list[str], max_bytes: int) -> dict[str, Any]:
    """The ``modules`` part: ``{"form": "folder" | "notebook" | "archive", "modules": {name: {"source", "code"} or
    {"problem"}}, "shared": {name: [the modules before it whose names it sees]}, "preludes": {name: [the
    student's own cells before it]}}`` (``shared`` and ``preludes``: a notebook's only)."""
    located = locate(tree, modules, [*modules, ANSWERS_CELL])
    form = "archive" if tree.archive else "folder"
    if located.form == "notebook":
        found, shared, preludes = _notebook(tree, located.where, modules, max_bytes)
        return {"form": "notebook", "modules": found, "shared": shared, "preludes": preludes}
    entries: dict[str, Any] = {}
    for module in modules:
        if located.problem is not None:
            entries[module] = {"problem": located.problem}
        elif located.form == "file":
            entries[module] = {"problem": problem("intake.not_folder", path=text(tree.name))}
        elif located.form == "none" or tree.kind(f"{located.where}{module}.py") is None:
            entries[module] = {"problem": _missing(tree, module, located.where)}
        else:
            source = _file_source(tree, f"{located.where}{module}.py", module, max_bytes)
            entries[module] = {"problem": source} if isinstance(source, dict) else compiled(source, module,
                                                                                           max_bytes, form)
    return {"form": form, "modules": entries, "shared": {}, "preludes": {}}
