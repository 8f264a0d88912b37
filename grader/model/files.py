"""The grader's own files, written completely or not at all; and CSV files read row by row, within bounds."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_CSV_FIELD = 128 << 10  # characters of one cell (Python's csv module refuses longer ones); no id or time is near it
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode, which UTF-8 can always encode: a lone surrogate becomes U+FFFD, visibly."""
    return _SURROGATE.sub("\ufffd", text)


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` completely or not at all; any text, lone surrogates included
    (``valid_text``)."""
    path = path.resolve()
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


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as written: text that starts like a formula (``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return) gets a leading single quote, unless it is a plain number. Numbers stay numbers."""
    if isinstance(value, float):
        text = repr(round(value, 6))
        return text[:-2] if text.endswith(".0") else text
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def csv_text(rows: list[list[Any]]) -> str:
    """``rows`` as CSV text (``\\n`` line ends), every cell passed through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
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
