"""``grader grade-all``: a whole class, graded in parallel, resumable, into the instructors' tools.

The class is discovered (``grader.classwork.discovery``), the submissions whose fingerprint changed are picked
(``grader.classwork.fingerprints``), and an executor grades them: on this machine (``grader.classwork.local``)
or on a Dask cluster (``grader.classwork.cluster``), each behind the same interface (``Executor``), each writing
every student's outputs as soon as that student is done (``grader.classwork.outputs``). A re-run grades only
what is missing or changed.

Outputs in OUT: ``<student>/results.json`` (Gradescope schema),
``<student>/feedback.md``, ``grades.csv``, ``report.html`` and, on request,
an nbgrader gradebook (see ``grader.classwork.exports``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from ..model.course import Unit
from ..rendering.feedback import Feedback
from ..trust.policy import SandboxMode
from .cluster import DaskExecutor
from .discovery import Entry, discover
from .fingerprints import to_grade
from .local import LocalExecutor
from .progress import Progress


class Executor(Protocol):
    """What grades a class's submissions: each is a student's entry and its fingerprint. Afterwards ``graded``
    names those graded (their outputs written) and ``failed`` those that could not be, with the reason."""

    graded: list[str]
    failed: dict[str, str]

    def run(self, todo: list[tuple[Entry, str]]) -> None: ...


@dataclass
class BatchResult:
    graded: list[str]  # students graded in this run
    skipped: list[str]  # up to date from an earlier run
    failed: dict[str, str]  # students that could not be graded, and why
    seconds: float


def grade_all(unit: Unit, folder: Path, out: Path, *, seed: int | None, jobs: int | None = None, force: bool = False,
              feedback: Feedback | None = None, sandbox_mode: SandboxMode = "auto",
              progress_stream: TextIO | None = None, scheduler: str | None = None,
              times: dict[str, datetime] | None = None) -> BatchResult:
    """Grade every submission in ``folder`` into ``out``; see the module's docstring.

    With ``scheduler`` (a Dask distributed scheduler's address) the submissions
    are graded on that cluster's workers instead of here; the outputs are the same.
    ``times`` (student -> when they submitted) lets the unit's late policy apply.
    """
    times = times or {}
    started = time.monotonic()
    feedback = feedback or Feedback.for_unit(unit)
    entries = discover(folder)
    out.mkdir(parents=True, exist_ok=True)
    todo, skipped = to_grade(unit, entries, out, seed, force, times, feedback.lang)
    progress = Progress(len(todo), progress_stream) if progress_stream is not None else None
    executor: Executor
    if scheduler is not None:
        executor = DaskExecutor(scheduler, unit, out, seed, feedback, sandbox_mode, progress, times)
    else:
        executor = LocalExecutor(unit, out, seed, max(1, jobs or os.cpu_count() or 1), feedback, sandbox_mode,
                                 progress, times=times)
    executor.run(todo)
    if progress and todo:
        progress.draw(final=True)
    return BatchResult(executor.graded, skipped, executor.failed, time.monotonic() - started)
