"""The course's files as a bundle carries them (a student bundle, an autograder, a Dask worker's copy): the
same paths from the course root, ``course.yaml`` cut down to what the bundle holds, never a compiled file."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .course import Unit


def unit_entry(unit: Unit, **changes: Any) -> dict[str, Any]:
    """The unit's entry of ``course.yaml``; ``changes`` replace its keys (None: the key goes)."""
    unit_data = unit.model.model_dump(mode="json", exclude_none=True)
    unit_data.pop("default", None)
    for key, value in changes.items():
        if value is None:
            unit_data.pop(key, None)
        else:
            unit_data[key] = value
    return unit_data


def course_yaml(unit: Unit, header: str, units: list[dict[str, Any]] | None = None, **changes: Any) -> str:
    """``course.yaml`` holding this unit only (or the entries ``units``), without the solutions; ``changes``
    replace the unit's keys."""
    data = unit.course.model.model_dump(mode="json", exclude_none=True)
    data.pop("source", None)
    data.pop("roster", None)  # the class list's columns: for the instructors' exports only
    data["units"] = units if units is not None else [unit_entry(unit, **changes)]
    return header + str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def tasks_of(unit: Unit, *leave_out: str) -> list[dict[str, Any]]:
    tasks = [task.model_dump(mode="json", exclude_none=True) for task in unit.tasks]
    for task in tasks:
        for key in leave_out:
            task.pop(key, None)
    return tasks


def relative(unit: Unit, path: Path) -> str:
    """``path`` from the course root, as a bundle lays it out (the same place as in the course)."""
    return path.relative_to(unit.root).as_posix()


def tree(folder: Path, prefix: str, keep: Callable[[Path], bool] | None = None) -> dict[str, bytes]:
    """Every file under ``folder`` but compiled ones (``__pycache__``, any ``.pyc``/``.pyo``: a compiled course
    module holds what its source holds), as ``prefix/...``; ``keep`` sees the relative path."""
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        compiled = "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo")
        if path.is_file() and not compiled and (keep is None or keep(relative)):
            files[str(Path(prefix) / relative)] = path.read_bytes()
    return files


def unit_files(unit: Unit, *keys: str) -> dict[str, bytes]:
    """The unit's content of these keys (``CONVENTIONS``) that it has, at the same places (``questions`` and
    ``generators`` are shipped: their answers are course code)."""
    files = {}
    for key in keys:
        path = unit.content(key)
        if path is not None:
            files[relative(unit, path)] = path.read_bytes()
    return files


def stub_files(unit: Unit) -> dict[str, bytes]:
    """The unit's modules of the student package (and its demo), with the package's ``__init__``."""
    names = ["__init__", *unit.modules, *([unit.model.demo] if unit.model.demo else [])]
    stubs, prefix = unit.stubs_dir, unit.course.model.stubs
    return {f"{prefix}/{name}.py": (stubs / f"{name}.py").read_bytes() for name in names
            if (stubs / f"{name}.py").is_file()}


def grading_files(unit: Unit, header: str = "# The course, as a grader elsewhere carries it: one unit, no "
                  "solutions.\n") -> dict[str, bytes | str]:
    """What grading ``unit`` needs besides the grader, from the course root: ``course.yaml`` with this unit only
    and no solutions, the stubs, both suites, the course code and the content the suites use (hints, helpers,
    data, questions). An autograder adds the grader and its scripts; a Dask worker gets exactly this."""
    files: dict[str, bytes | str] = {
        "course.yaml": course_yaml(unit, header, styles=None, mistakes=None, notebook=None, readme=None,
                                   tasks=tasks_of(unit, "notebook")),
    }
    files.update(stub_files(unit))
    for kind in ("hidden", "public"):
        folder = unit.content(kind)
        if folder is not None:
            files.update(tree(folder, relative(unit, folder)))
    files.update(unit_files(unit, "hints", "helpers", "data", "questions", "generators"))
    code = unit.content("code")
    if code is not None:
        files.update(tree(code, relative(unit, code)))
    return files


def zipped(files: dict[str, bytes | str], executable: tuple[str, ...] = ()) -> bytes:
    """``files`` (path in the archive -> bytes or text) as a zip archive; the names in ``executable`` may be run."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            bundle.writestr(info, data)
    return buffer.getvalue()
