"""Writing the grader's own files: completely or not at all."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` completely or not at all."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(handle, 0o666 & ~mask)  # as an ordinary new file would be, not mkstemp's 0600
        data = text.encode("utf-8") if isinstance(text, str) else text
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


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as written: text that starts like a formula (``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return) gets a leading single quote, unless it is a plain number. Numbers stay numbers."""
    if isinstance(value, float):
        text = repr(round(value, 6))
        return text[:-2] if text.endswith(".0") else text
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
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
