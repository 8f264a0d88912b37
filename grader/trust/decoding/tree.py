"""The submission as it was carried (``grader.running.transport``), or a zip archive's members seen the same way:
one tree of paths, so that a folder and the archive of that folder are read by the same rules."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from .plain import Problem

MAX_DEPTH = 2  # folders below the submission's top in which its modules, notebooks and answers are looked for


class Tree:
    """The submission: its name, and its records by path (``""`` for a submission that is one file). A record
    is ``{"path", "kind": "file" | "folder" | "link" | "other", "size", "data": base64 or null, "target": the
    kind a link points at, or null}``. ``reader``, for an archive's members: the bytes of a record's member, or
    the problem that keeps them out (a member compressed another way, a damaged one)."""

    def __init__(self, name: str, records: list[dict[str, Any]],
                 reader: Callable[[dict[str, Any]], bytes | Problem] | None = None) -> None:
        self.name = name
        self.archive = reader is not None  # the tree of a zip archive's members
        self.reader = reader
        self.records: dict[str, dict[str, Any]] = {}
        for record in records:
            self.records.setdefault(str(record.get("path", "")), record)

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

    def read(self, path: str) -> bytes | Problem | None:
        """A file's bytes; None when they were not carried (too large to be read); or, for an archive's member,
        the problem that keeps them out."""
        record = self.records.get(path)
        if record is None:
            return None
        if self.reader is not None and "member" in record:
            return self.reader(record)
        found = record.get("data")
        return base64.b64decode(found) if isinstance(found, str) else None

    def data(self, path: str) -> bytes | None:
        """A file's bytes, or None when they cannot be had."""
        found = self.read(path)
        return found if isinstance(found, bytes) else None

    def size(self, path: str) -> int:
        record = self.records.get(path)
        size = 0 if record is None else record.get("size", 0)
        return size if type(size) is int else 0

    def paths(self) -> list[str]:
        """Every path below the submission's top, shallowest first, then by name."""
        return sorted((path for path in self.records if path), key=lambda path: (path.count("/"), path))


def suffix(name: str) -> str:
    """The last part of a path's name from its last dot, as ``pathlib`` gives it ("" for ``.ipynb``, ``a.``)."""
    base = name.rpartition("/")[2]
    dot = base.rfind(".")
    return base[dot:] if 0 < dot < len(base) - 1 else ""


def stem(name: str) -> str:
    base = name.rpartition("/")[2]
    return base[: len(base) - len(suffix(base))]


def folder_of(path: str) -> str:
    """The folder a path is in, as a prefix (``""`` at the top, else ending in ``/``)."""
    folder = path.rpartition("/")[0]
    return f"{folder}/" if folder else ""


def depth(prefix: str) -> int:
    """How many folders below the top a prefix is."""
    return prefix.count("/")
