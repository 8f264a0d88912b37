"""The Dask executor: a class graded on a Dask distributed cluster's workers, each submission a task, the same
outputs written here as results arrive."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..rendering.feedback import Feedback
from ..running.deadline import run_within
from ..running.pipeline import seed_for
from ..trust.policy import SandboxMode
from .discovery import Entry
from .outputs import clean_partial, render_reports, write_student
from .progress import Progress

_on_worker = threading.Lock()  # pytest runs in-process and is not thread-safe: one grading at a time per process


def grade_on_worker(course_root: str, unit_id: str, path: str, seed: int | None, lang: str,
                    sandbox_mode: SandboxMode, fingerprint: str, student: str | None = None,
                    submitted_at: str | None = None) -> tuple[dict[str, Any], str]:
    """A Dask task: grade one submission (as ``grader grade`` does, within the unit's budget) and return its
    report and feedback page.

    Needs the grader installed on the worker and the course and the submission
    at the same paths as on the client (a shared file system).
    """
    from ..model.course import load_course

    unit = load_course(Path(course_root)).unit(unit_id)
    feedback = Feedback.for_unit(unit, lang)  # type: ignore[arg-type]
    with _on_worker:
        run = run_within(unit, Path(path), seed=seed_for(unit, student, seed), sandbox_mode=sandbox_mode,
                         student=student)
    return render_reports(unit, run, feedback, fingerprint,
                          datetime.fromisoformat(submitted_at) if submitted_at else None)


@dataclass
class DaskExecutor:
    """Grades on a Dask distributed cluster (``scheduler``: its address): every submission a task, each student's
    outputs written here as soon as that student's task ends (see ``batch.Executor``)."""

    scheduler: str
    unit: Unit
    out: Path
    seed: int | None
    feedback: Feedback
    sandbox_mode: SandboxMode = "auto"
    progress: Progress | None = None
    times: dict[str, datetime] = field(default_factory=dict)
    graded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def run(self, todo: list[tuple[Entry, str]]) -> None:
        from distributed import Client, as_completed  # only for this executor

        with Client(self.scheduler) as client:  # type: ignore[no-untyped-call]
            futures = {}
            for entry, fingerprint in todo:
                clean_partial(self.out / entry.student)
                moment = self.times.get(entry.student)
                future = client.submit(grade_on_worker, str(self.unit.root), self.unit.id, str(entry.path.resolve()),
                                       self.seed, self.feedback.lang, self.sandbox_mode, fingerprint, entry.student,
                                       moment.isoformat() if moment else None,
                                       key=f"grade-{entry.student}-{fingerprint[:12]}", pure=False)
                futures[future] = entry
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                entry = futures[future]
                try:
                    report, page = future.result()
                    write_student(self.out, entry.student, report, page)
                    self.graded.append(entry.student)
                except Exception as error:  # one student's failure never stops the class
                    self.failed[entry.student] = f"{type(error).__name__}: {error}"
                if self.progress:
                    self.progress.advance(entry.student in self.graded)
