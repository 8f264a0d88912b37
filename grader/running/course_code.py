"""A unit's course code (``reference``, ``predictions``, ``answers``), imported from the unit's ``code`` package.

It is trusted code of the course, run in the grader's own process, never in
the sandbox and never shipped to students. Each unit's package is imported
under a name of its own (derived from its path), so two units, or two courses
in one process, never share a module by accident.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ..model.course import CourseError, Unit


def load_code(unit: Unit) -> ModuleType | None:
    """The unit's course-code package with its submodules imported, or None when it has none."""
    folder = unit.content("code")
    if folder is None:
        return None
    init = folder / "__init__.py"
    name = f"_grader_unit_{unit.id}_{hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]}"
    package = _import_once(name, init, f"unit {unit.id}: code {unit.shown(folder)!r} cannot be imported",
                           [str(folder)])
    for module in ("reference", "predictions", "answers"):
        if (folder / f"{module}.py").is_file() and not hasattr(package, module):
            setattr(package, module, importlib.import_module(f"{name}.{module}"))
    return package


def load_file(unit: Unit, path: Path | None, role: str) -> ModuleType | None:
    """A single module of the unit's course content (its question generators, say); None without one."""
    if path is None:
        return None
    name = f"_grader_unit_{unit.id}_{role}_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]}"
    return _import_once(name, path, f"unit {unit.id}: {unit.shown(path)!r} cannot be imported")


def _import_once(name: str, path: Path, failure: str, search: list[str] | None = None) -> ModuleType:
    """The module ``name`` from the file ``path`` (a package when ``search`` gives its folder), imported on first
    need and kept in ``sys.modules``; a failed import leaves nothing behind."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=search)
    if spec is None or spec.loader is None:
        raise CourseError([failure])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
