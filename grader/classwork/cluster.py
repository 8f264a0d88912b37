"""The Dask executor: a class graded on the workers of a Dask distributed cluster, the outputs written here as
results arrive. Nothing is shared with the workers but the scheduler.

The course goes to every worker once, as a plugin named by its fingerprint (``grader.classwork.dask_worker``),
and each worker keeps a warm grading process for it. Each submission travels with its task, carried as intake
will read it (``grader.running.transport``); the report and the feedback page travel back. A window of tasks is
kept in flight (not the whole class at once: the scheduler holds what it is given). When a worker dies, the
scheduler gives its tasks to others; a task that was on every worker that died (Dask's
``distributed.scheduler.allowed-failures``) is tried once more at the end, alone, so that it is blamed only for
what it does itself; if the workers die again, it is reported as not graded and the class is done.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.packing import grading_files
from ..rendering.feedback import Feedback
from ..running.transport import NotCarried, carry
from ..trust.policy import SandboxMode
from .discovery import Entry
from .fingerprints import course_fingerprint, grader_digest
from .outputs import clean_partial, write_student
from .progress import Progress


class ClusterError(RuntimeError):
    """The cluster cannot grade this class (a worker's grader differs, no worker at all); the message says why."""


@dataclass
class DaskExecutor:
    """Grades on a Dask distributed cluster (``scheduler``: its address); see the module's docstring and
    ``batch.Executor``."""

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
    window: int | None = None  # tasks in flight at once (default: four per worker thread, at least 16)

    def run(self, todo: list[tuple[Entry, str]]) -> None:
        from distributed import Client

        from .dask_worker import CourseOnWorker, pack, plugin_name

        if not todo:
            return
        course = course_fingerprint(self.unit)
        name = plugin_name(course, self.sandbox_mode)
        try:
            client = Client(self.scheduler)  # type: ignore[no-untyped-call]  # (Dask's connect timeout: 30 s)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler {self.scheduler}: {error}") from None
        with client:
            self._check_workers(client)
            plugin = CourseOnWorker(course, self.unit.id, pack(grading_files(self.unit)), grader_digest(),
                                    self.sandbox_mode)
            client.register_plugin(plugin, name=name)
            try:
                killers = self._grade(client, name, todo, self.window)
                for entry, fingerprint in killers:  # alone now: what ends its workers is its own doing
                    again = self._grade(client, name, [(entry, fingerprint)], 1)
                    if again:
                        self._done(entry, failure="every Dask worker that graded it ended while grading it, on two "
                                   "tries (a submission that brings its grader down: look at it, and at the "
                                   "workers' logs); the rest of the class was graded")
            finally:
                with contextlib.suppress(Exception):  # the course leaves the workers, with their grading processes
                    client.unregister_worker_plugin(name)  # type: ignore[no-untyped-call]

    def _check_workers(self, client: Any) -> None:
        """Every worker runs the client's grader (else it could grade otherwise), and there is one at least."""
        from .fingerprints import grader_digest as theirs

        digests = client.run(theirs)
        if not digests:
            raise ClusterError(f"the Dask scheduler {self.scheduler} has no worker: start some (dask worker "
                               f"{self.scheduler} --nthreads 1)")
        ours = grader_digest()
        others = sorted(address for address, digest in digests.items() if digest != ours)
        if others:
            raise ClusterError(f"{len(others)} of {len(digests)} Dask workers run another version of the grader than "
                               f"this machine ({', '.join(others[:3])}{' ...' if len(others) > 3 else ''}): install "
                               "the same one on every worker")

    def _grade(self, client: Any, name: str, todo: list[tuple[Entry, str]],
               window: int | None) -> list[tuple[Entry, str]]:
        """Grade ``todo``, ``window`` tasks in flight; returns those whose workers kept dying (Dask gave up)."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        from .dask_worker import grade_task

        if window is None:
            threads = sum(client.nthreads().values()) or 1
            window = max(16, 4 * threads)
        pending = list(reversed(todo))
        running: dict[Any, tuple[Entry, str]] = {}
        killers: list[tuple[Entry, str]] = []
        flow = as_completed()  # type: ignore[no-untyped-call]

        def submit() -> None:
            while pending and len(running) < window:
                entry, fingerprint = pending.pop()
                clean_partial(self.out / entry.student)
                moment = self.times.get(entry.student)
                try:
                    carried = carry(entry.path, list(self.unit.modules), self.unit.limits.source_kb)
                except (NotCarried, OSError) as error:
                    self._done(entry, failure=str(error))
                    continue
                request = {"student": entry.student, "fingerprint": fingerprint, "seed": self.seed,
                           "lang": self.feedback.lang, "submitted_at": moment.isoformat() if moment else None}
                future = client.submit(grade_task, name, request, carried, key=f"grade-{uuid.uuid4().hex}",
                                       pure=False)
                running[future] = (entry, fingerprint)
                flow.add(future)  # type: ignore[no-untyped-call]

        submit()
        for future in flow:
            entry, fingerprint = running.pop(future)
            try:
                report, page = future.result()
            except KilledWorker:
                killers.append((entry, fingerprint))
            except Exception as error:  # one student's failure never stops the class
                self._done(entry, failure=str(error) or type(error).__name__)
            else:
                try:
                    write_student(self.out, entry.student, report, page)
                    self._done(entry)
                except OSError as error:
                    self._done(entry, failure=f"its outputs could not be written ({error.strerror})")
            future.release()
            submit()
        return killers

    def _done(self, entry: Entry, failure: str | None = None) -> None:
        if failure is None:
            self.graded.append(entry.student)
        else:
            self.failed[entry.student] = failure
        if self.progress:
            self.progress.advance(failure is None)
