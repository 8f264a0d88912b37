"""The modules of a submission: from its folder, a folder in it, a notebook's answer cells or a zip archive,
each checked (a regular file, not too large, UTF-8, valid Python) and compiled, or the problem that keeps it out."""

from __future__ import annotations

import base64
import marshal
import warnings
import zipfile
from typing import Any

from .archives import BROKEN, broken, listed, open_archive, read_member
from .notebooks import MAX_NOTEBOOK_BYTES, notebook_modules
from .plain import Problem, Refused, detail, problem, text
from .tree import Tree, locate, suffix


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
    data = tree.data(path)
    if data is None:
        return problem("intake.unreadable", module=name, reason="not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return problem("intake.not_utf8", module=name, offset=error.start)


def _member_source(archive: zipfile.ZipFile, member: zipfile.ZipInfo, module: str, name: str,
                   max_bytes: int) -> str | Problem:
    """A module member's text, or why it cannot be one: that module's problem only, as in a folder."""
    if member.file_size > max_bytes:
        return problem("intake.too_large", module=module, size=member.file_size // 1024, limit=max_bytes // 1024)
    try:
        data = read_member(archive, member, name)
    except Refused as refused:
        return refused.problem
    except BROKEN as error:
        return problem("intake.archive_member", path=name, member=text(member.filename)[:200],
                       error=broken(error))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return problem("intake.not_utf8", module=module, offset=error.start)


def archive_modules(data: bytes, name: str, modules: list[str], max_bytes: int) -> tuple[
        dict[str, str | Problem], dict[str, list[str]], dict[str, list[str]], str, Problem | None]:
    """The modules of a zip archive, read in memory: for each, the shallowest member named ``<module>.py``, or
    else its one notebook's answer cells (with what they share and the cells before them); and the form they
    came in. A member that cannot be read (too large, compressed another way, damaged, not UTF-8) is that
    module's problem, as in a folder; an archive that cannot be opened is every module's."""
    try:
        with open_archive(data, name) as archive:
            members = listed(archive)
            found: dict[str, zipfile.ZipInfo] = {}
            for member in sorted(members, key=lambda m: m.filename.count("/")):
                base = member.filename.rpartition("/")[2]
                if base.endswith(".py") and base[:-3] in modules and base[:-3] not in found:
                    found[base[:-3]] = member
            notebooks = [m for m in members if suffix(m.filename).lower() == ".ipynb"]
            if not found and len(notebooks) == 1:
                notebook = notebooks[0]
                if notebook.file_size > MAX_NOTEBOOK_BYTES:
                    return {}, {}, {}, "notebook", problem("intake.notebook_large", path=text(notebook.filename),
                                                           size=notebook.file_size >> 20,
                                                           limit=MAX_NOTEBOOK_BYTES >> 20)
                sources, shared, preludes, trouble = notebook_modules(read_member(archive, notebook, name),
                                                                      text(notebook.filename), modules, max_bytes)
                return dict(sources), shared, preludes, "notebook", trouble
            read = {module: _member_source(archive, member, module, name, max_bytes)
                    for module, member in found.items()}
    except Refused as refused:
        return {}, {}, {}, "archive", refused.problem
    except BROKEN as error:
        return {}, {}, {}, "archive", problem("intake.archive", path=name, error=broken(error))
    return read, {}, {}, "archive", None


def decode_modules(tree: Tree, modules: list[str], max_bytes: int) -> dict[str, Any]:
    """The ``modules`` part: ``{"form": "folder" | "notebook" | "archive", "modules": {name: {"source", "code"} or
    {"problem"}}, "shared": {name: [the modules before it whose names it sees]}, "preludes": {name: [the
    student's own cells before it]}}`` (``shared`` and ``preludes``: a notebook's only)."""
    where, form = locate(tree, modules)
    entries: dict[str, Any] = {}
    shared: dict[str, list[str]] = {}
    if form == "file":
        for module in modules:
            entries[module] = {"problem": problem("intake.not_folder", path=text(tree.name))}
        return {"form": "folder", "modules": entries, "shared": {}}
    if form == "folder":
        for module in modules:
            source = _file_source(tree, f"{where}{module}.py", module, max_bytes)
            entries[module] = {"problem": source} if isinstance(source, dict) else compiled(source, module,
                                                                                           max_bytes, form)
        return {"form": form, "modules": entries, "shared": {}}
    name = text(tree.name if not where else where)
    trouble: Problem | None = None
    sources: dict[str, str | Problem] = {}
    preludes: dict[str, list[str]] = {}
    if form == "archive":
        sources, shared, preludes, form, trouble = archive_modules(tree.data(where) or b"", name, modules,
                                                                   max_bytes)
    else:
        size = tree.size(where)
        data = tree.data(where)
        if size > MAX_NOTEBOOK_BYTES or data is None:
            trouble = problem("intake.notebook_large", path=name, size=size >> 20, limit=MAX_NOTEBOOK_BYTES >> 20)
        else:
            notebook, shared, preludes, trouble = notebook_modules(data, name, modules, max_bytes)
            sources = dict(notebook)
    for module in modules:
        found = sources.get(module)
        if trouble is not None:
            entries[module] = {"problem": trouble}
        elif isinstance(found, dict):
            entries[module] = {"problem": found}
        elif found is None and form == "archive":
            entries[module] = {"problem": problem("intake.missing", module=module)}
        elif found is None:
            entries[module] = {"problem": problem("intake.notebook_missing", module=module, path=name)}
        else:
            entries[module] = compiled(found, module, max_bytes, form)
    shared = {module: list(before) for module, before in shared.items() if "source" in entries.get(module, {})}
    preludes = {module: list(cells) for module, cells in preludes.items() if "source" in entries.get(module, {})}
    return {"form": form, "modules": entries, "shared": shared, "preludes": preludes}
