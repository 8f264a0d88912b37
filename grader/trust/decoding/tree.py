"""The submission as it was carried (``grader.running.transport``), and where its modules are in it."""

from __future__ import annotations

import base64
from typing import Any


class Tree:
    """The carried submission: its name, and its records by path (``""`` for a submission that is one file). A
    record is ``{"path", "kind": "file" | "folder" | "link" | "other", "size", "data": base64 or null,
    "target": the kind a link points at, or null}``."""

    def __init__(self, name: str, records: list[dict[str, Any]]) -> None:
        self.name = name
        self.records: dict[str, dict[str, Any]] = {}
        for record in records:
            self.records[str(record.get("path", ""))] = record

    @property
    def one_file(self) -> bool:
        return "" in self.records

    def get(self, path: str) -> dict[str, Any] | None:
        return self.records.get(path)

    def kind(self, path: str) -> str | None:
        record = self.records.get(path)
        return None if record is None else str(record.get("kind"))

    def exists(self, path: str) -> bool:
        """As ``Path.exists``: a link counts when what it points at exists."""
        record = self.records.get(path)
        return record is not None and (record.get("kind") != "link" or record.get("target") is not None)

    def data(self, path: str) -> bytes | None:
        record = self.records.get(path)
        found = None if record is None else record.get("data")
        return base64.b64decode(found) if isinstance(found, str) else None

    def size(self, path: str) -> int:
        record = self.records.get(path)
        size = 0 if record is None else record.get("size", 0)
        return size if type(size) is int else 0

    def top(self) -> list[str]:
        """The names directly in the submission's folder, sorted."""
        return sorted(path for path in self.records if path and "/" not in path)


def suffix(name: str) -> str:
    """The last part of a path's name from its last dot, as ``pathlib`` gives it ("" for ``.ipynb``, ``a.``)."""
    base = name.rpartition("/")[2]
    dot = base.rfind(".")
    return base[dot:] if 0 < dot < len(base) - 1 else ""


def stem(name: str) -> str:
    base = name.rpartition("/")[2]
    return base[: len(base) - len(suffix(base))]


def locate(tree: Tree, modules: list[str]) -> tuple[str, str]:
    """Where the modules are, and in what form: ``("", "folder")`` for the folder itself, ``(prefix,
    "folder")`` for a folder in it, ``(path, "notebook")``, ``("", "archive")``, or ``("", "file")`` for a
    submission that is a file of another kind. Students upload in many shapes (the files, the ``exercises``
    folder, a notebook); all are graded the same."""
    if tree.one_file:
        kind = {".zip": "archive", ".ipynb": "notebook"}.get(suffix(tree.name).lower(), "file")
        return "", kind if tree.kind("") == "file" else "file"
    if any(tree.exists(f"{name}.py") for name in modules):
        return "", "folder"
    notebooks = [name for name in tree.top() if suffix(name).lower() == ".ipynb" and tree.kind(name) == "file"]
    folders = [name for name in tree.top() if tree.kind(name) == "folder"
               and any(tree.exists(f"{name}/{module}.py") for module in modules)]
    if len(notebooks) == 1 and not folders:
        return notebooks[0], "notebook"
    if len(folders) == 1 and not notebooks:
        return folders[0] + "/", "folder"
    return "", "folder"
