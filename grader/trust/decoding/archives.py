"""Zip archives, read in memory with bounded work: their end records checked before a count is trusted, a
bounded directory, members stored or deflated only and inflated no further than they declare."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from .plain import Problem, Refused, problem, text
from .tree import Tree

MAX_ARCHIVE_MEMBERS = 5000
MAX_ARCHIVE_DIRECTORY = 2 * 1024 * 1024  # bytes of the archive's central directory, read whole by zipfile
READ_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "deflate64", 93: "Zstandard"}
# what reading a damaged archive raises (zlib.error: a deflate stream that does not inflate)
BROKEN = (OSError, zipfile.BadZipFile, UnicodeDecodeError, RuntimeError, ValueError, EOFError, NotImplementedError,
          zlib.error)


def broken(error: BaseException) -> str:
    """How a problem names what a damaged archive raised: its type (``zlib.error`` said in full)."""
    return "zlib.error" if isinstance(error, zlib.error) else type(error).__name__


_END = struct.Struct("<4s4H2LH")  # the end of central directory record
_LOCATOR = struct.Struct("<4sLQL")  # the zip64 end record's locator, just before the end record
_END64 = struct.Struct("<4sQ2H2L4Q")  # the zip64 end record (without extensible data), just before its locator


def _inconsistent(name: str, why: str, **params: Any) -> Refused:
    return Refused(problem("intake.archive_inconsistent", path=name, why=problem(why, **params)))


def end_record(handle: io.BytesIO, name: str) -> tuple[int, int]:
    """(members, bytes of the central directory) that the archive declares, found where ``zipfile`` finds them
    and cross-checked before they are trusted: the end record at the very end, or the last one whose comment
    ends exactly where the archive does; a zip64 record (just before its locator, which must point at it) that
    agrees with the plain record; one archive, on one disk. Raises ``Refused``, or ``zipfile.BadZipFile`` when
    there is no end record."""
    size = handle.seek(0, os.SEEK_END)
    start = max(0, size - _END.size - 65535)  # the end record, then a comment of up to 64 KiB
    handle.seek(start)
    tail = handle.read()
    if len(tail) >= _END.size and tail[-_END.size:-_END.size + 4] == b"PK\x05\x06" and tail[-2:] == b"\0\0":
        at = len(tail) - _END.size
    else:
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            raise zipfile.BadZipFile("no end of central directory record")
    _, disk, first_disk, here, members, directory, _, comment = _END.unpack_from(tail, at)
    if at + _END.size + comment != len(tail):
        raise _inconsistent(name, "archive.end_misplaced")
    record_at = start + at
    if record_at >= _LOCATOR.size:
        handle.seek(record_at - _LOCATOR.size)
        locator = handle.read(_LOCATOR.size)
        if locator[:4] == b"PK\x06\x07":
            wide_at = record_at - _LOCATOR.size - _END64.size
            if wide_at < 0 or _LOCATOR.unpack(locator)[2] != wide_at:
                raise _inconsistent(name, "archive.locator")
            handle.seek(wide_at)
            (signature, _, _, _, disk64, first64, here64, members64, directory64,
             _) = _END64.unpack(handle.read(_END64.size))
            pairs = ((disk, 0xFFFF, disk64), (first_disk, 0xFFFF, first64), (here, 0xFFFF, here64),
                     (members, 0xFFFF, members64), (directory, 0xFFFFFFFF, directory64))
            if signature != b"PK\x06\x06" or not all(plain in (mark, wide) for plain, mark, wide in pairs):
                raise _inconsistent(name, "archive.zip64")
            disk, first_disk, here, members, directory = disk64, first64, here64, members64, directory64
    if disk or first_disk or here != members:
        raise _inconsistent(name, "archive.disks")
    return members, directory


def open_archive(data: bytes, name: str) -> zipfile.ZipFile:
    """The zip archive ``data``, opened once its end records show a directory of bounded size (``zipfile``
    reads the whole directory into objects when it opens an archive), and kept only when the directory holds
    as many members as the records declare."""
    handle = io.BytesIO(data)
    members, directory = end_record(handle, name)
    finder = getattr(zipfile, "_EndRecData", None)  # where zipfile's own reading can be asked, it must agree
    if finder is not None:
        theirs = finder(handle)
        if theirs is None or (theirs[4], theirs[5]) != (members, directory):
            raise _inconsistent(name, "archive.two_ways")
    if members > MAX_ARCHIVE_MEMBERS or directory > MAX_ARCHIVE_DIRECTORY:
        raise Refused(problem("intake.archive_members", path=name, limit=MAX_ARCHIVE_MEMBERS))
    archive = zipfile.ZipFile(handle)
    found = len(archive.infolist())
    if found != members:
        archive.close()
        raise _inconsistent(name, "archive.count", found=found, declared=members)
    return archive


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> bytes:
    """The bytes of ``member``, stored or deflated only (a bzip2 or LZMA stream is inflated a whole block at a
    time, whatever is asked of it: a few hundred bytes become gigabytes), inflated no further than the size it
    declares. One that inflates to more, or to other bytes, fails its CRC check."""
    if member.compress_type not in READ_METHODS:
        method = METHODS.get(member.compress_type, f"method {member.compress_type}")
        raise Refused(problem("intake.archive_method", path=name, member=text(member.filename)[:200],
                              method=method))
    with archive.open(member) as handle:
        data = handle.read(member.file_size + 1)
        if len(data) > member.file_size or handle.read(1):
            raise zipfile.BadZipFile(f"{member.filename} holds more than it declares")
    return data


def _normal(filename: str) -> str | None:
    """A member's path as a folder's would be: ``/``-separated (some tools write ``\\``), without a leading ``/``
    or ``.`` parts; None for one no folder could hold (a ``..`` part) or one the student never saw: a hidden one,
    or in a hidden folder (Jupyter's ``.ipynb_checkpoints``, the ``__MACOSX/._name`` beside each file of an
    archive made on macOS)."""
    parts = [part for part in filename.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or any(part == ".." or part.startswith(".") for part in parts):
        return None
    return "/".join(parts)


def listed(archive: zipfile.ZipFile) -> list[tuple[str, zipfile.ZipInfo]]:
    """The archive's files (not its folders, not hidden ones) by their paths (at most ``MAX_ARCHIVE_MEMBERS``: an
    archive of more is refused when it is opened); of two members with one path, the last, which is what
    unpacking the archive leaves."""
    found: dict[str, zipfile.ZipInfo] = {}
    for member in archive.infolist():
        path = _normal(member.filename)
        if path is not None and not member.is_dir():
            found[path] = member
    return list(found.items())


@contextlib.contextmanager
def archive_tree(data: bytes, name: str) -> Iterator[Tree]:
    """The zip archive ``data`` as a tree of its members, as the folder it unpacks to would be carried: each
    member a file (a link, for one a Unix tool stored as a link), each folder on their paths, and a member's
    bytes read when they are asked for (``Tree.read``: a member compressed another way, or damaged, is that
    member's problem). Raises ``Refused``, or one of ``BROKEN``, for an archive that cannot be opened."""
    with open_archive(data, name) as archive:
        records: list[dict[str, Any]] = []
        folders: set[str] = set()
        members: dict[str, zipfile.ZipInfo] = {}
        for path, member in listed(archive):
            parts = path.split("/")
            for end in range(1, len(parts)):
                folder = "/".join(parts[:end])
                if folder not in folders:
                    folders.add(folder)
                    records.append({"path": folder, "kind": "folder"})
            link = member.create_system == 3 and stat.S_ISLNK(member.external_attr >> 16)
            records.append({"path": path, "kind": "link" if link else "file", "size": member.file_size,
                            "target": None, "member": path})
            members[path] = member

        def reader(record: dict[str, Any]) -> bytes | Problem:
            member = members[record["member"]]
            try:
                return read_member(archive, member, name)
            except Refused as refused:
                return refused.problem
            except BROKEN as error:
                return problem("intake.archive_member", path=name, member=text(member.filename)[:200],
                               error=broken(error))

        yield Tree(name, [record for record in records if record["path"] not in folders or
                          record["kind"] == "folder"], reader)
