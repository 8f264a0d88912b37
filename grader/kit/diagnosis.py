"""What went wrong in a failed test, as data: a finding, and the known mistake it matches.

A check that fails compares the student's answer with what each *suspect*
(a known mistake of the lesson, computed by the unit's predictions on the same
input) would have produced. The first suspect that matches names the mistake;
its hint comes from the course's hints catalogue. All of this happens in the
trusted process, on plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..model.results import Finding

# A suspect is the value a mistake would give, or a test of the answer.
Suspect = Any | Callable[[Any], bool]


class Mismatch(AssertionError):
    """A check failed; carries the finding so that reports can render it in any language."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding.text))
        self.finding = finding


def same(got: Any, value: Any) -> bool:
    """Whether ``got`` is (numerically) the value ``value``."""
    if isinstance(value, np.ndarray):
        if type(got) is not np.ndarray or got.shape != value.shape or got.dtype.kind not in "biuf":
            return False
        return bool(np.allclose(got.astype(np.float64), value.astype(np.float64), rtol=1e-6, atol=1e-6))
    if isinstance(got, np.ndarray) or isinstance(got, bool) != isinstance(value, bool):
        return False
    try:
        return bool(np.isclose(float(got), float(value), rtol=1e-9, atol=1e-12))
    except (TypeError, ValueError):
        return False


def matching_mistake(got: Any, suspects: Mapping[str, Suspect] | Iterable[tuple[str, Suspect]] | None) -> str | None:
    """The known mistake whose result is ``got``; None if none matches, or if several different ones do.

    When two mistakes would give the same answer on this input, the answer does
    not tell them apart, and a hint naming either could be wrong: say nothing.
    """
    pairs = suspects.items() if isinstance(suspects, Mapping) else (suspects or [])
    found = set()
    for mistake, suspect in pairs:
        try:
            if callable(suspect) and not isinstance(suspect, np.ndarray):
                matches = bool(suspect(got))
            else:
                matches = same(got, suspect)
        except Exception:  # a suspect that cannot judge this answer does not match it
            matches = False
        if matches:
            found.add(mistake)
    return found.pop() if len(found) == 1 else None


