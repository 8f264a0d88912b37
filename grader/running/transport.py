"""A submission carried to a grader on another machine (a Dask worker), as intake will see it there.

Intake reads little of a submission (``grader.running.intake``): a folder's module files, its ``answers.yaml``,
its notebooks and the folders one level down that hold modules; an archive or a notebook whole. ``carry`` takes
exactly that, each entry as intake would find it (a file's bytes, or only its size when intake would refuse it
unread; a link, with whether what it points at is a file, a folder or nothing; a folder; anything else), and
``land`` lays it out again in a folder of the other machine. Intake's verdict on the landed copy is the verdict
on the original (a property test holds them equal), and what is carried is bounded however large the student's
folder is: a few files of at most ``carry_limit`` bytes each, or one archive of at most ``MAX_ARCHIVE`` bytes.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .answers import ANSWERS_FILE
from .answers import MAX_BYTES as MAX_ANSWER_BYTES

MAX_ARCHIVE = 64 * 1024 * 1024  # a zip submission is carried whole, up to this size
MAX_SCANNED = 100_000  # entries of a submission's folder looked at: more, and it is not carried
KEPT_OF_A_KIND = 2  # intake asks whether there is one notebook (or one folder of modules), or more
Kind = Literal["file", "folder", "link", "other"]


class NotCarried(ValueError):
    """A submission too large to send to another machine; the message says why (and what to do)."""


@dataclass(frozen=True)
class Record:
    """One entry of a carried submission: its path from the submission (``/``-separated, at most two parts), its
    kind, and for a file its size and bytes (None: too large for intake to read; only its size matters); for a
    link, the kind of what it points at (None: nothing)."""

    path: str
    kind: Kind
    size: int = 0
    data: bytes | None = None
    target: Kind | None = None


@dataclass(frozen=True)
class Carried:
    """A submission as it travels: its entry's name (``alice``, ``alice.zip``) and its records (one, named
    ``""``, for a submission that is a file)."""

    name: str
    records: tuple[Record, ...]

    @property
    def size(self) -> int:
        return sum(len(record.data or b"") for record in self.records)


def carry_limit(modules: list[str], max_source_kb: int) -> int:
    """The largest file whose bytes intake may read: a module (``max_source_kb``), a notebook (that much per
    module) or an answers file (``answers.MAX_BYTES``, in a notebook 64 times that). A larger file is carried
    by its size alone: intake refuses it without reading it."""
    return max(max_source_kb * 1024 * max(1, len(modules)), 64 * MAX_ANSWER_BYTES)


def _target(path: Path) -> Kind | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return "folder" if stat.S_ISDIR(info.st_mode) else "file" if stat.S_ISREG(info.st_mode) else "other"


def _record(path: Path, relative: str, limit: int, read: bool = True) -> Record | None:
    """The entry at ``path`` as intake would find it (None: it is gone). A file is opened without following a
    link and without waiting on a pipe, and read only when it is a regular file within ``limit``."""
    try:
        info = os.lstat(path)
    except (OSError, ValueError):
        return None
    if stat.S_ISLNK(info.st_mode):
        return Record(relative, "link", target=_target(path))
    if stat.S_ISDIR(info.st_mode):
        return Record(relative, "folder")
    if not stat.S_ISREG(info.st_mode):
        return Record(relative, "other")
    if not read or info.st_size > limit:
        return Record(relative, "file", info.st_size)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return Record(relative, "other")  # changed under us, or not readable: intake would say it cannot read it
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return Record(relative, "other")
        data = file.read(limit + 1)
    return Record(relative, "file", len(data), data) if len(data) <= limit else Record(relative, "file", len(data))


def carry(path: Path, modules: list[str], max_source_kb: int) -> Carried:
    """What of the submission at ``path`` (a folder, a ``.zip`` or an ``.ipynb``) intake may read; raises
    ``NotCarried`` for an archive over ``MAX_ARCHIVE`` or a folder of more than ``MAX_SCANNED`` entries."""
    limit = carry_limit(modules, max_source_kb)
    if not path.is_dir():
        archive = path.suffix == ".zip"
        record = _record(path, "", MAX_ARCHIVE if archive else limit)
        if record is None:
            raise NotCarried(f"{path.name} is gone")
        if archive and record.kind == "file" and record.data is None:
            raise NotCarried(f"{path.name} is {record.size / 2**20:.0f} MiB, more than the "
                             f"{MAX_ARCHIVE // 2**20} MiB a task carries to a worker: grade it with --executor local")
        return Carried(path.name, (record,))
    wanted = {f"{name}.py" for name in modules} | {ANSWERS_FILE}
    records: list[Record] = []
    notebooks = folders = 0
    with os.scandir(path) as listing:
        names = []
        for count, entry in enumerate(listing):
            if count >= MAX_SCANNED:
                raise NotCarried(f"{path.name} holds more than {MAX_SCANNED} entries: grade it with --executor "
                                 "local")
            names.append(entry.name)
    for name in sorted(names):
        child = path / name
        if folders < KEPT_OF_A_KIND and child.is_dir() and not child.is_symlink() and \
                any((child / module).exists() for module in sorted(wanted - {ANSWERS_FILE})):
            found: Record | None = Record(name, "folder")  # a folder of modules: intake may take them from it
            folders += 1
            records += [inner for module in sorted(wanted)
                        if (inner := _record(child / module, f"{name}/{module}", limit)) is not None]
        elif name in wanted:
            found = _record(child, name, limit)
        elif Path(name).suffix == ".ipynb" and notebooks < KEPT_OF_A_KIND and child.is_file() and \
                not child.is_symlink():
            found = _record(child, name, limit)
            notebooks += 1
        else:
            continue  # nothing intake reads
        if found is not None:
            records.append(found)
    records.sort(key=lambda record: record.path.count("/"))  # a folder before what it holds
    return Carried(path.name, tuple(records))


def _safe(relative: str) -> bool:
    parts = relative.split("/")
    return len(parts) <= 2 and all(part not in ("", ".", "..") and "\0" not in part for part in parts)


def land(carried: Carried, folder: Path) -> Path:
    """Lay ``carried`` out in the empty folder ``folder`` (on the machine that grades it); returns the
    submission's path there. What a link points at is made in ``folder/.targets``, outside the submission."""
    if not _safe(carried.name) or "/" in carried.name:
        raise ValueError(f"not a submission's name: {carried.name!r}")
    root = folder / carried.name
    targets = folder / ".targets"
    made = 0
    for record in carried.records:
        if record.path and not _safe(record.path):
            raise ValueError(f"not a path of a submission: {record.path!r}")
        place = root / record.path if record.path else root
        if record.path:
            root.mkdir(exist_ok=True)
        if record.kind == "folder":
            place.mkdir(exist_ok=True)
        elif record.kind == "file":
            with open(place, "xb") as file:
                if record.data is not None:
                    file.write(record.data)
                else:
                    file.truncate(record.size)  # intake reads only its size: a sparse file of that size
        elif record.kind == "other":
            os.mkfifo(place)
        else:
            pointed = targets / str(made)
            made += 1
            targets.mkdir(exist_ok=True)
            if record.target == "folder":
                pointed.mkdir()
            elif record.target == "file":
                pointed.touch()
            elif record.target == "other":
                os.mkfifo(pointed)
            with contextlib.suppress(FileExistsError):
                os.symlink(pointed, place)
    if not carried.records or carried.records[0].path:
        root.mkdir(exist_ok=True)
    return root
