"""The Dask executor: a class graded on the workers of a Dask distributed cluster, the outputs written here as
results arrive. Nothing is shared with the workers but the scheduler.

The course reaches every worker once, as a plugin named by the unit and the course's fingerprint
(``grader.classwork.dask_worker``), and stays: each worker keeps a warm grading process for it, so a class
graded again finds the workers ready; another version of the unit's course replaces it. Each submission travels
with its task, carried as intake will read it (``grader.running.transport``), a few to a task (``batch_size``);
the reports and feedback pages travel back and are written here. A window of tasks is kept in flight, not the
whole class at once (the scheduler holds what it is given). When a worker dies, the scheduler gives its tasks to
the others; a task Dask gives up on (it was on workers that died, ``distributed.scheduler.allowed-failures``
times) is tried once more at the end, alone, so that only what it does itself counts; if the workers die again,
each of its submissions is reported as not graded, and the class is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.course import Unit
from ..model.packing import grading_files, zipped
from ..rendering.feedback import Feedback
from ..running.transport import Carried, carry
from ..trust.policy import SandboxMode
from .discovery import Entry
from .fingerprints import course_fingerprint, grader_digest
from .outputs import clean_partial, write_student
from .progress import Progress

if TYPE_CHECKING:
    from .dask_worker import Graded


def batch_size(submissions: int, threads: int) -> int:
    """How many submissions a task grades: a few, so that what a task costs the client, the scheduler and the
    worker is shared (it is about what grading one costs), but never so many that the class ends with one
    worker busy and the others idle: at most 8, and at least four tasks per worker thread."""
    return max(1, min(8, submissions // (4 * threads)))


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the class as they do locally (``KeyboardInterrupt``: what is written is kept),
    even where this process was started with them ignored (a background job's Ctrl-C is ignored by default)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(number: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


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
    batch: int | None = None  # submissions a task grades (default: see ``batch_size``)
    idle_seconds: float = 600  # a worker's warm process ends after this long without work (see dask_worker)

    def run(self, todo: list[tuple[Entry, str]]) -> None:
        from distributed import Client

        from .dask_worker import PREFIX, CourseOnWorker, course_plugins, plugin_name

        if not todo:
            return
        course = course_fingerprint(self.unit)
        name = plugin_name(self.unit.id, course, self.sandbox_mode)
        try:
            client = Client(self.scheduler)  # type: ignore[no-untyped-call]  # (Dask's connect timeout: 30 s)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler {self.scheduler}: {error}") from None
        with client, _stopping_on_signals():
            self._check_workers(client)
            if self.progress is not None:
                threads = client.nthreads()  # type: ignore[no-untyped-call]
                self.progress.stream.write(f"on the Dask cluster at {self.scheduler}: {len(threads)} workers, "
                                           f"{sum(threads.values())} threads\n")
            held = {held for names in client.run(course_plugins).values() for held in names}
            for old in sorted(held):  # another version of this unit's course leaves the workers, with its process
                if old.startswith(f"{PREFIX}{self.unit.id}-") and old != name:
                    client.unregister_worker_plugin(old)  # type: ignore[no-untyped-call]
            # registered once: a worker that has it keeps it (and its warm process), one that joins later gets it
            client.register_plugin(CourseOnWorker(course, self.unit.id, zipped(grading_files(self.unit)),
                                                  grader_digest(), self.sandbox_mode, self.idle_seconds), name=name)
            killers = self._grade(client, name, todo)
            for entry, fingerprint in killers:  # alone now: what ends its workers is its own doing
                again = self._grade(client, name, [(entry, fingerprint)], alone=True)
                if again:
                    self._done(entry, failure="every Dask worker that graded it ended while grading it, on two "
                               "tries (a submission that brings its grader down: look at it, and at the workers' "
                               "logs); the rest of the class was graded")

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

    def _grade(self, client: Any, name: str, todo: list[tuple[Entry, str]], alone: bool = False) -> list[tuple[Entry,
                                                                                                         str]]:
        """Grade ``todo`` in batches, a few batches per worker thread in flight (one at a time when ``alone``);
        returns the submissions whose workers kept dying (Dask gave their task up)."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        from .dask_worker import Graded, grade_task

        threads = sum(client.nthreads().values()) or 1
        size, window = (1, 1) if alone else (self.batch or batch_size(len(todo), threads), 2 * threads + 2)
        pending = list(reversed(todo))
        running: dict[Any, list[tuple[Entry, str]]] = {}
        killers: list[tuple[Entry, str]] = []
        flow = as_completed()  # type: ignore[no-untyped-call]

        def submit() -> None:
            while pending and len(running) < window:
                entries: list[tuple[Entry, str]] = []
                batch: list[tuple[dict[str, Any], Carried]] = []
                while pending and len(batch) < size:
                    entry, fingerprint = pending.pop()
                    clean_partial(self.out, entry.student)
                    carried = carry(entry.path, list(self.unit.modules), self.unit.limits.source_kb)
                    moment = self.times.get(entry.student)
                    batch.append(({"student": entry.student, "fingerprint": fingerprint, "seed": self.seed,
                                   "lang": self.feedback.lang, "submitted_at": moment.isoformat() if moment else None},
                                  carried))
                    entries.append((entry, fingerprint))
                if batch:
                    future = client.submit(grade_task, name, batch, key=f"grade-{uuid.uuid4().hex}", pure=False)
                    running[future] = entries
                    flow.add(future)  # type: ignore[no-untyped-call]

        submit()
        for future in flow:
            entries = running.pop(future)
            try:
                graded = list(future.result())
            except KilledWorker:
                killers += entries
                graded = None
            except (Exception, asyncio.CancelledError) as error:  # the worker could not grade: nor each of them
                graded = [Graded(failure=str(error) or type(error).__name__)] * len(entries)
            if graded is not None:
                graded += [Graded(failure="the worker said nothing of it")] * (len(entries) - len(graded))
                for (entry, fingerprint), result in zip(entries, graded):
                    self._write(entry, fingerprint, result)
            future.release()
            submit()
        return killers

    def _write(self, entry: Entry, fingerprint: str, graded: Graded) -> None:
        """The student's outputs as the worker wrote them (its report's text, not encoded again here), once the
        report is seen to be this submission's."""
        if graded.failure is not None:
            self._done(entry, failure=graded.failure)
            return
        try:
            said = json.loads(graded.report)["extra_data"]["fingerprint"]
        except (ValueError, KeyError, TypeError):
            said = None
        if said != fingerprint:
            self._done(entry, failure="the worker's report is not this submission's")
            return
        try:
            write_student(self.out, entry.student, graded.report, graded.page, graded.sources)
            self._done(entry)
        except OSError as error:
            self._done(entry, failure=f"its outputs could not be written ({error.strerror})")

    def _done(self, entry: Entry, failure: str | None = None) -> None:
        if failure is None:
            self.graded.append(entry.student)
        else:
            self.failed[entry.student] = failure
        if self.progress:
            self.progress.advance(failure is None)
