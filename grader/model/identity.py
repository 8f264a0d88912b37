"""A student's id, made canonical in one place and meaning one student everywhere.

An id comes from a submission's name (a folder, ``<id>.zip``, ``<id>.ipynb``), a times file's or a roster's
cell, Gradescope's metadata or ``--student``. Each is read the same way (``canonical``): Unicode NFC, so that
the same name typed on macOS (decomposed) and elsewhere (composed) is one id; and from a cell, without the white
space around it. What cannot be an id is refused with the reason (``refusal``): nothing, a lone surrogate (bytes
that are not UTF-8), white space at either end, a control character, a line or paragraph separator, a mark
that reorders the text around it, or another invisible format character (one could make an id look like
another). Two ids that are the same once
canonical and compared without case (``key``) are one student: a class that holds both is refused, naming both,
before anything is graded; a times file or a roster finds each student by the same key.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 200  # characters of an id: a folder name on most file systems is at most 255 bytes
# C0 and C1 controls, line and paragraph separators, and the marks that reorder text (embeddings, overrides,
# isolates, the directional marks); zero-width joiners stay: some scripts write names with them
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
# and every other format character (Unicode's Cf: a zero-width space, a soft hyphen, a word joiner, tags): each
# is invisible, so ``bob`` with one in it would look like ``bob``; but the zero-width non-joiner and joiner
_JOINERS = "\u200c\u200d"


def canonical(name: str) -> str:
    """``name`` as an id: in Unicode NFC (a lone surrogate stays as it is, for ``refusal``)."""
    return unicodedata.normalize("NFC", name)


def cell_id(cell: str) -> str:
    """An id written in a CSV cell (a times file, a roster): canonical, without the white space around it."""
    return canonical(cell.strip())


def refusal(name: str) -> str | None:
    """Why ``name`` cannot be a student's id (one phrase), or None when it can."""
    if not name:
        return "it is empty"
    if len(name) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters"
    found = _REFUSED.search(name)
    char = found.group() if found is not None else next(
        (char for char in name if unicodedata.category(char) == "Cf" and char not in _JOINERS), None)
    if char is not None:
        if "\ud800" <= char <= "\udfff":
            return "it is not UTF-8 text"
        return f"it holds the invisible character U+{ord(char):04X}"
    if name != name.strip():  # strip takes what isspace calls white space, of every script
        return "it begins or ends with white space"
    return None


def key(name: str) -> str:
    """What two ids are compared by: canonical, without case (``Alice`` and ``alice`` are one student, as they
    are to GitHub and to most learning management systems, and on a file system that ignores case)."""
    return canonical(name).casefold()
