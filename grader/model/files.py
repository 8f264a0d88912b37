"""The grader's own files, written completely or not at all; and CSV files read row by row, within bounds."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_CSV_FIELD = 128 << 10  # characters of one cell (Python's csv module refuses longer ones); no id or time is near it
_SURROGATE = re.compile("[\ud800-\udfff]")
# a number as a spreadsheet reads one (``float`` reads more: ``-inf``, ``nan``, ``-1_000``, which a spreadsheet
# would take for a formula)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode, which UTF-8 can always encode: a lone surrogate becomes U+FFFD, visibly."""
    return _SURROGATE.sub("\ufffd", text)


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` completely or not at all; any text, lone surrogates included
    (``valid_text``). A link at ``path`` is replaced by the file, never written through."""
    path = path.parent.resolve() / path.name
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(handle, 0o666 & ~mask)  # as an ordinary new file would be, not mkstemp's 0600
        data = valid_text(text).encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


# descriptors of folders (POSIX): os.replace takes them as src_dir_fd and dst_dir_fd wherever os.open takes dir_fd
_LINKLESS = hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd


def _folder_below(root: Path, folders: tuple[str, ...], make: bool = True) -> int:
    """An open descriptor of ``root`` (as given: the instructor's choice, made when missing) and then of each of
    ``folders`` below it, made when missing and opened without following a link: one that is a link is an
    ``OSError``."""
    if make:
        root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in folders:
            if name in ("", ".", "..") or "/" in name or "\0" in name:
                raise OSError(f"not a folder's name: {name!r}")
            if make:
                try:
                    os.mkdir(name, 0o777, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError as error:
                raise OSError(error.errno, f"{name} is a link or not a folder: nothing is written through it",
                              str(root.joinpath(*folders))) from None
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_below(root: Path, parts: tuple[str, ...], text: str | bytes, mode: int = 0o666) -> Path:
    """Write ``text`` to ``root/parts...`` completely or not at all, never through a link below ``root``: each
    folder on the way is made, or entered, without following a link, and the file is replaced by a new one (a
    link in its place is replaced, never followed). Where the system cannot say so (Windows), as
    ``write_atomically`` writes, once each folder on the way is seen not to be a link. ``mode``: the new file's
    permissions, less the umask."""
    path = root.joinpath(*parts)
    if not _LINKLESS:
        for depth in range(1, len(parts)):
            if root.joinpath(*parts[:depth]).is_symlink():
                raise OSError(f"{root.joinpath(*parts[:depth])} is a link: nothing is written through it")
        write_atomically(path, text)
        return path
    fd = _folder_below(root, parts[:-1])
    name = parts[-1]
    temporary = f".{name}.{os.urandom(6).hex()}"
    mask = os.umask(0)
    os.umask(mask)
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode & ~mask, dir_fd=fd)
        try:
            data = valid_text(text).encode("utf-8") if isinstance(text, str) else text
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            try:
                os.unlink(temporary, dir_fd=fd)
            except OSError:
                pass
            raise
    finally:
        os.close(fd)
    return path


def read_below(root: Path, parts: tuple[str, ...], limit: int | None = None) -> str | None:
    """The text of ``root/parts...`` (None when it is not there, is not a regular file, is not UTF-8 or is larger
    than ``limit`` bytes), read without following a link below ``root`` and without waiting on a pipe: what is
    read back of a graded class is what the grader wrote there, never a file a link points at."""
    if not _LINKLESS:
        path = root.joinpath(*parts)
        if any(root.joinpath(*parts[:depth]).is_symlink() for depth in range(1, len(parts) + 1)):
            return None
        try:
            if not path.is_file() or (limit is not None and path.stat().st_size > limit):
                return None
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    try:
        fd = _folder_below(root, parts[:-1], make=False)
    except OSError:
        return None
    try:
        handle = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        with os.fdopen(handle, "rb") as stream:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode) or (limit is not None and info.st_size > limit):
                return None
            data = stream.read() if limit is None else stream.read(limit + 1)
            return None if limit is not None and len(data) > limit else data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def folders_below(root: Path) -> list[str]:
    """The names of the folders directly in ``root`` (not links to folders), sorted; none when it cannot be
    listed."""
    try:
        with os.scandir(root) as listing:
            return sorted(entry.name for entry in listing if entry.is_dir(follow_symlinks=False))
    except OSError:
        return []


def open_below(root: Path, parts: tuple[str, ...]) -> int:
    """A descriptor of ``root/parts...``, opened for reading and writing (made when missing), never through a
    link below ``root``: a lock file's, say."""
    if not _LINKLESS:
        root.joinpath(*parts[:-1]).mkdir(parents=True, exist_ok=True)
        return os.open(root.joinpath(*parts), os.O_RDWR | os.O_CREAT, 0o600)
    fd = _folder_below(root, parts[:-1])
    try:
        return os.open(parts[-1], os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600, dir_fd=fd)
    finally:
        os.close(fd)


def remove_below(root: Path, parts: tuple[str, ...]) -> None:
    """Remove the file ``root/parts...`` if it is there (a link in its place is removed, never followed)."""
    if not _LINKLESS:
        path = root.joinpath(*parts)
        if path.is_symlink() or path.is_file():
            path.unlink()
        return
    try:
        fd = _folder_below(root, parts[:-1], make=False)
    except OSError:
        return
    try:
        os.unlink(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        pass
    finally:
        os.close(fd)


def clean_below(root: Path, folder: str) -> None:
    """Remove the temporary files (their names start with a dot) that an interrupted ``write_below`` left in
    ``root/folder``; a link in place of the folder is left alone."""
    if not _LINKLESS:
        place = root / folder
        if place.is_dir() and not place.is_symlink():
            for leftover in place.glob(".*"):
                try:
                    leftover.unlink()
                except OSError:
                    pass
        return
    try:
        fd = _folder_below(root, (folder,), make=False)
    except OSError:
        return
    try:
        for name in os.listdir(fd):
            if name.startswith("."):
                try:
                    os.unlink(name, dir_fd=fd)
                except OSError:
                    pass
    finally:
        os.close(fd)


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_STARTS = (*FORMULA_STARTS, "'")  # a text starting with the escape itself is escaped, to read back as it is


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as written: text that starts like a formula (``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return) gets a leading single quote, unless it is a plain number, and so does text that
    starts with a single quote (so that ``unescaped_cell`` gives every text back). Numbers stay numbers."""
    if isinstance(value, float):
        text = repr(round(value, 6))
        return text[:-2] if text.endswith(".0") else text
    if not isinstance(value, str) or not value.startswith(ESCAPED_STARTS):
        return value
    if value.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(value):
        return value
    return "'" + value


def unescaped_cell(cell: str) -> str:
    """A text cell as ``safe_cell`` was given it: the leading quote it added taken off."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(ESCAPED_STARTS) else cell


def csv_text(rows: list[list[Any]], exact: tuple[int, ...] = ()) -> str:
    """``rows`` as CSV text (``\\n`` line ends), every cell passed through ``safe_cell`` but the texts of the
    columns ``exact`` (by index), written as they are: the ids by which a program that imports the file (an
    LMS) finds each row, which a changed cell would not find."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([cell if index in exact and isinstance(cell, str) else safe_cell(cell)
                         for index, cell in enumerate(row)])
    return buffer.getvalue()


def csv_rows(text: str) -> Iterator[tuple[int, list[str] | None]]:
    """Each row of the CSV ``text`` with the number of the line it ends on; a row that cannot be read (a cell
    longer than ``MAX_CSV_FIELD``) comes as None, and reading goes on with the next line. Linear in the text."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield reader.line_num, None
            continue
        yield reader.line_num, row
