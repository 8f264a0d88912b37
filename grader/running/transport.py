"""What grading reads of a submission, taken as bytes: to the sandbox that decodes it, or to another machine.

Grading reads little of a submission: of a folder, down to ``MAX_DEPTH`` folders below its top (hidden ones left
out; folders looked into shallowest first, by name, while the entries seen stay within ``MAX_SCANNED``), its
module files, its ``answers.yaml`` files (and, for
``grader check``, its ``practice.yaml``) and its notebooks (their bytes up to ``MAX_ARCHIVE`` in all); an archive or
a notebook whole. ``carry`` takes exactly that, each entry as it finds it (a file's bytes, or only its size when the
file is too large to be read; a link, with whether what it points at is a file, a folder or nothing; a folder;
anything else), without interpreting any of it: the bytes are decoded in the sandbox (``grader.running.intake``).
What is carried is bounded however large the student's folder is: a few files of at most ``carry_limit`` bytes each,
or one archive of at most ``MAX_ARCHIVE`` bytes; past those bounds the submission is refused, with the reason. Its
``digest`` is the fingerprint of what a grade depends on in it, no more: files beside the modules change nothing.
``land`` lays a carried submission out again in a folder of another machine (a Dask worker), where carrying it again
gives the same records (a property test holds them equal).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from ..model.messages import Text, t
from ..trust.decoding.notebooks import MAX_NOTEBOOK_BYTES
from ..trust.decoding.tree import MAX_DEPTH
from .answers import ANSWERS_FILE, PRACTICE_FILE
from .answers import MAX_BYTES as MAX_ANSWER_BYTES

MAX_ARCHIVE = 64 * 1024 * 1024  # a zip submission is carried whole, up to this size
MAX_SCANNED = 100_000  # entries of a submission's folders looked at in all: more at its top, and it is not carried
Kind = Literal["file", "folder", "link", "other"]


@dataclass(frozen=True)
class Record:
    """One entry of a carried submission: its path from the submission (``/``-separated, at most three parts), its
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
    ``""``, for a submission that is a file); or, for one past the bounds, no records and why it is refused."""

    name: str
    records: tuple[Record, ...]
    refused: Text | None = None

    @property
    def size(self) -> int:
        return sum(len(record.data or b"") for record in self.records)

    def digest(self) -> str | None:
        """The fingerprint of what was carried (every record's path, kind, size, bytes and target), the whole of
        what a grade depends on in the submission; None for a refused one, which is graded again every time."""
        if self.refused is not None:
            return None
        digest = hashlib.sha256(f"{len(self.records)}".encode())
        for record in self.records:
            digest.update(f"\0{record.path}\0{record.kind}\0{record.size}\0{record.target}\0".encode("utf-8",
                                                                                                      "surrogatepass"))
            digest.update(b"D" + hashlib.sha256(record.data).digest() if record.data is not None else b"N")
        return digest.hexdigest()


def carry_limit(modules: list[str], max_source_kb: int) -> int:
    """The largest module or answers file whose bytes intake may read: a module (``max_source_kb``, that much per
    module for a folder of them) or an answers file (``answers.MAX_BYTES``); a notebook is read up to
    ``MAX_NOTEBOOK_BYTES``, outputs and all. A larger file is carried by its size alone: intake refuses it
    without reading it."""
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
        data = _bounded_read(file, limit + 1)
    return Record(relative, "file", len(data), data) if len(data) <= limit else Record(relative, "file", len(data))


def _bounded_read(file: BinaryIO, most: int) -> bytes:
    """At most ``most`` bytes of ``file``, read a MiB at a time: ``read(most)`` would take the whole bound in
    memory first, whatever the file holds."""
    chunks: list[bytes] = []
    total = 0
    while total < most:
        chunk = file.read(min(1 << 20, most - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def carry(path: Path, modules: list[str], max_source_kb: int, practice: bool = False) -> Carried:
    """What grading reads of the submission at ``path`` (a folder, a ``.zip`` or an ``.ipynb``; with
    ``practice``, ``grader check``'s ``practice.yaml`` too); refused, with the reason, for an archive over
    ``MAX_ARCHIVE``, a folder of more than ``MAX_SCANNED`` entries, or a submission that cannot be listed."""
    try:
        return _carry(path, modules, max_source_kb, practice)
    except OSError as error:
        return Carried(path.name, (), t("intake.not_listed", path=path.name, reason=error.strerror or "error"))


def _listing(folder: Path, most: int) -> list[tuple[str, bool]] | None:
    """The names in ``folder``, sorted, each with whether it is a folder (not a link to one); None when it holds
    more than ``most``."""
    names = []
    with os.scandir(folder) as listing:
        for count, entry in enumerate(listing):
            if count >= most:
                return None
            try:
                inside = entry.is_dir(follow_symlinks=False)
            except OSError:
                inside = False
            names.append((entry.name, inside))
    return sorted(names)


def _carry(path: Path, modules: list[str], max_source_kb: int, practice: bool) -> Carried:
    limit = carry_limit(modules, max_source_kb)
    if not path.is_dir():
        archive = path.suffix.lower() == ".zip"
        notebook = path.suffix.lower() == ".ipynb"
        record = _record(path, "", MAX_ARCHIVE if archive else MAX_NOTEBOOK_BYTES if notebook else limit)
        if record is None:
            return Carried(path.name, (), t("intake.not_listed", path=path.name, reason="gone"))
        if archive and record.kind == "file" and record.data is None:
            return Carried(path.name, (), t("intake.archive_large", path=path.name, size=record.size >> 20,
                                            limit=MAX_ARCHIVE >> 20))
        return Carried(path.name, (record,))
    wanted = {f"{name}.py" for name in modules} | {ANSWERS_FILE} | ({PRACTICE_FILE} if practice else set())
    top = _listing(path, MAX_SCANNED)
    if top is None:
        return Carried(path.name, (), t("intake.folder_large", path=path.name, limit=MAX_SCANNED))
    records: list[Record] = []
    notebook_bytes = 0
    budget = MAX_SCANNED - len(top)  # entries that may still be looked at, in the folders below the top
    queue: list[tuple[str, Path, list[tuple[str, bool]]]] = [("", path, top)]
    while queue:
        prefix, folder, names = queue.pop(0)
        for name, inside in names:
            if name.startswith("."):
                continue  # hidden: Jupyter's checkpoints, a repository, an editor's files
            child, relative = folder / name, prefix + name
            if name in wanted:
                found = _record(child, relative, limit)
            elif Path(name).suffix.lower() == ".ipynb" and child.is_file() and not child.is_symlink():
                room = min(MAX_NOTEBOOK_BYTES, MAX_ARCHIVE - notebook_bytes)
                found = _record(child, relative, room, read=room > 0)
                notebook_bytes += len(found.data) if found is not None and found.data is not None else 0
            else:
                if inside and prefix.count("/") < MAX_DEPTH:
                    inner = _listing(child, budget)
                    if inner is not None:  # a folder past what may still be looked at is not looked into
                        budget -= len(inner)
                        queue.append((relative + "/", child, inner))
                continue
            if found is not None:
                records.append(found)
    above: set[str] = set()  # the folders on the way to what is carried
    for record in records:
        parts = record.path.split("/")
        above.update("/".join(parts[:end]) for end in range(1, len(parts)))
    records += [Record(place, "folder") for place in above]
    records.sort(key=lambda record: (record.path.count("/"), record.path))  # a folder before what it holds
    return Carried(path.name, tuple(records))


def _safe(relative: str) -> bool:
    parts = relative.split("/")
    return len(parts) <= MAX_DEPTH + 1 and all(part not in ("", ".", "..") and "\0" not in part for part in parts)


def land(carried: Carried, folder: Path) -> Path:
    """Lay ``carried`` out in the empty folder ``folder`` (on the machine that grades it); returns the
    submission's path there. What a link points at is made in ``folder/.targets``, outside the submission."""
    if not _safe(carried.name) or "/" in carried.name or carried.refused is not None:
        raise ValueError(f"not a submission that can be laid out: {carried.name!r}")
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
