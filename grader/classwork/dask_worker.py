"""What a Dask worker keeps to grade a class: the course, unpacked once, and a warm grading process.

``CourseOnWorker`` is a worker plugin, named by the course's fingerprint: registering it sends the course (its
grading files, packed) to every worker of the cluster, and to every worker that joins later. On a worker it
checks the worker's grader is the client's (another grader could grade otherwise: it refuses), unpacks the
course in the worker's own folder and starts ``grader.classwork.serve`` there, warm for every task after.
``grade_task`` is a task: it lands a carried submission (``grader.running.transport``) in the worker's folder,
hands it to that process and returns the report and the feedback page, which the client writes. Nothing is read
from the client's file system: a worker needs the grader installed, nothing else.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from ..model.messages import text_data
from ..running.transport import Carried, land
from .fingerprints import grader_digest
from .outputs import FEEDBACK, RESULTS, SOURCES

PREFIX = "grader-course-"
TRIES = 2  # times a submission is handed to a worker's grading process that ends under it, before it gives up


@dataclass(frozen=True)
class Graded:
    """What a worker says of one submission: its report (``results.json`` as written there), feedback page and
    graded sources (``sources.json``), or why it could not be graded."""

    report: str = ""
    page: str = ""
    failure: str | None = None
    sources: str | None = None  # sources.json as written there (None: none was)


class NotGraded(Exception):
    """A submission a worker could not grade; the message says why."""


MAX_LOG = 1 << 20
IDLE_SECONDS = 600  # a worker's grading process ends after this long without a submission (started again on demand)


def plugin_name(unit: str, fingerprint: str, sandbox_mode: str) -> str:
    """The plugin's name: the unit (a unit's id has no ``-``), the course's version, the sandbox's mode."""
    return f"{PREFIX}{unit}-{fingerprint[:24]}-{sandbox_mode}"


def course_plugins(dask_worker: Any) -> list[str]:
    """The courses a worker holds (run on it, by ``Client.run``)."""
    return [name for name in dask_worker.plugins if name.startswith(PREFIX)]


def unpack(packed: bytes, folder: Path) -> None:
    """The course's files, from the client's own archive (a name that would leave ``folder`` is refused)."""
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        for member in archive.infolist():
            parts = Path(member.filename).parts
            if Path(member.filename).is_absolute() or ".." in parts or not parts:
                raise ValueError(f"not a path in the course: {member.filename!r}")
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))


@dataclass
class _Waiter:
    generation: int
    done: threading.Event = field(default_factory=threading.Event)
    failure: str | None = None
    lost: bool = False  # the grading process ended before it answered


class Service:
    """The worker's warm grading process (``grader.classwork.serve``), started when first needed and again
    when it has ended; tasks hand it jobs from any thread."""

    def __init__(self, folder: Path, course: Path, unit: str, jobs: int, sandbox_mode: str,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.folder, self.course, self.unit, self.jobs, self.sandbox_mode = folder, course, unit, jobs, sandbox_mode
        self.out, self.inbox, self.log = folder / "out", folder / "inbox", folder / "serve.log"
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.generation = 0
        self.answered_through = 0  # the last generation whose answers have ended (its reader saw the end)
        self.waiting: dict[str, _Waiter] = {}
        self.closed = False
        self.idle_seconds, self.last_used = idle_seconds, time.monotonic()
        self.stopped = threading.Event()
        threading.Thread(target=self._watch, daemon=True, name="grader-serve-idle").start()

    def _watch(self) -> None:
        """End the grading process once it has had nothing to do for ``idle_seconds`` (it takes memory: NumPy,
        pytest, the collected suites, a zygote per slot); the next submission starts it again."""
        while not self.stopped.wait(min(10.0, self.idle_seconds / 4)):
            with self.lock:
                process = self.process
                idle = not self.waiting and time.monotonic() - self.last_used > self.idle_seconds
                if process is None or process.poll() is not None or not idle:
                    continue
                self.process = None
            _end(process)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "grader.classwork.serve", str(self.course), self.unit, "--out", str(self.out),
                "--jobs", str(self.jobs), "--sandbox", self.sandbox_mode]

    def _start(self) -> subprocess.Popen[bytes]:
        """The grading process, started if it is not running (under ``lock``)."""
        if self.closed:
            raise NotGraded("the worker is leaving")
        if self.process is not None and self.process.poll() is None and self.answered_through < self.generation:
            return self.process  # (a process whose answers have ended takes no job, even before it exits)
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        self.generation += 1
        with contextlib.suppress(OSError):
            if self.log.stat().st_size > MAX_LOG:  # a worker lives long: its log starts again past this
                self.log.unlink()
        with open(self.log, "ab") as log:
            process = subprocess.Popen(self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                       cwd=self.folder)
        assert process.stdout is not None
        threading.Thread(target=self._read, args=(process.stdout, self.generation), daemon=True,
                         name="grader-serve-reader").start()
        self.process = process
        return process

    def _read(self, answers: IO[bytes], generation: int) -> None:
        """Resolve each job the grading process says is done; when it ends, every job it held is lost."""
        for line in answers:
            try:
                said = json.loads(line)
                ident, failure = str(said["id"]), said["failure"]
            except (ValueError, KeyError, TypeError):
                continue
            with self.lock:
                waiter = self.waiting.pop(ident, None)
            if waiter is not None:
                waiter.failure = None if failure is None else str(failure)
                waiter.done.set()
        with self.lock:
            self.answered_through = max(self.answered_through, generation)
            for ident, waiter in list(self.waiting.items()):
                if waiter.generation == generation:
                    del self.waiting[ident]
                    waiter.lost = True
                    waiter.done.set()

    def grade(self, batch: list[tuple[dict[str, Any], Carried]]) -> list[Graded]:
        """Grade each carried submission of ``batch`` (all handed over at once: the process's slots never wait
        for the next); for each, its report and feedback page, or why it could not be graded."""
        places = {uuid.uuid4().hex: (request, carried) for request, carried in batch}
        try:
            results: dict[str, Graded] = {}
            paths: dict[str, Path] = {}
            refusals: dict[str, dict[str, Any]] = {}
            for ident, (_, carried) in places.items():
                (self.inbox / ident).mkdir(parents=True)
                if carried.refused is not None:  # graded as refused, unread, as it is on the client's machine
                    paths[ident] = self.inbox / ident / carried.name
                    refusals[ident] = {"refused": text_data(carried.refused)}
                    continue
                try:
                    paths[ident] = land(carried, self.inbox / ident)
                except (OSError, ValueError) as error:
                    results[ident] = Graded(failure=f"it could not be laid out on the worker ({error})")
            todo = [ident for ident in places if ident not in results]
            for _ in range(TRIES):
                if not todo:
                    break
                waiters = self._hand_over({ident: {**places[ident][0], "id": ident, "path": str(paths[ident]),
                                                   **refusals.get(ident, {})} for ident in todo})
                for ident, waiter in waiters.items():
                    waiter.done.wait()
                    if waiter.lost:
                        continue
                    results[ident] = Graded(failure=waiter.failure) if waiter.failure is not None else \
                        self._outputs(ident)
                todo = [ident for ident in todo if ident not in results]
            for ident in todo:
                results[ident] = Graded(failure=f"the worker's grading process ended while grading it, {TRIES} "
                                        f"times; the end of its log: {self.log_tail()}")
            return [results[ident] for ident in places]
        finally:
            for ident in places:
                shutil.rmtree(self.inbox / ident, ignore_errors=True)
                shutil.rmtree(self.out / ident, ignore_errors=True)

    def _hand_over(self, jobs: dict[str, dict[str, Any]]) -> dict[str, _Waiter]:
        """Give the grading process (started if it is not running) these jobs; a waiter for each."""
        with self.lock:
            process = self._start()
            self.last_used = time.monotonic()
            waiters = {ident: _Waiter(self.generation) for ident in jobs}
            self.waiting.update(waiters)
            try:
                assert process.stdin is not None
                process.stdin.write(b"".join(json.dumps(job).encode() + b"\n" for job in jobs.values()))
                process.stdin.flush()
            except OSError:
                pass  # it has ended: its reader says the jobs are lost
        return waiters

    def _outputs(self, ident: str) -> Graded:
        folder = self.out / ident
        try:
            sources = (folder / SOURCES).read_text(encoding="utf-8") if (folder / SOURCES).is_file() else None
            return Graded((folder / RESULTS).read_text(encoding="utf-8"),
                          (folder / FEEDBACK).read_text(encoding="utf-8"), sources=sources)
        except (OSError, ValueError) as error:
            return Graded(failure=f"its outputs could not be read on the worker ({error})")

    def log_tail(self, size: int = 600) -> str:
        try:
            with open(self.log, "rb") as log:
                log.seek(max(0, log.seek(0, 2) - size))
                return log.read().decode("utf-8", "replace").strip() or "(empty)"
        except OSError:
            return "(none)"

    def close(self) -> None:
        self.stopped.set()
        with self.lock:
            self.closed = True
            process, self.process = self.process, None
        if process is not None:
            _end(process)


def _end(process: subprocess.Popen[bytes]) -> None:
    """Let a grading process go: at the end of its input it stops what it grades and leaves."""
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class CourseOnWorker(WorkerPlugin):
    """The course on every worker (see the module's docstring)."""

    idempotent = True  # registered again (the class graded again): the worker keeps what it has

    def __init__(self, fingerprint: str, unit: str, packed: bytes, grader: str, sandbox_mode: str,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.fingerprint, self.unit, self.packed, self.grader = fingerprint, unit, packed, grader
        self.sandbox_mode, self.idle_seconds = sandbox_mode, idle_seconds
        self.refusal: str | None = None
        self.service: Service | None = None
        self.folder: Path | None = None

    def setup(self, worker: Any) -> None:
        if grader_digest() != self.grader:
            self.refusal = (f"the worker {worker.address} has another version of the grader than the client "
                            "(install the same one on both)")
            return
        self.folder = Path(worker.local_directory) / plugin_name(self.unit, self.fingerprint, self.sandbox_mode)
        try:
            shutil.rmtree(self.folder, ignore_errors=True)
            course = self.folder / "course"
            course.mkdir(parents=True)
            unpack(self.packed, course)
            self.service = Service(self.folder, course, self.unit, max(1, worker.state.nthreads),
                                   self.sandbox_mode, self.idle_seconds)
            with self.service.lock:
                self.service._start()  # warm before the first task comes
        except (OSError, ValueError, zipfile.BadZipFile) as error:  # a full disk, say: its tasks say so
            self.service = None
            self.refusal = f"the worker {worker.address} could not set the course up ({error})"
        self.packed = b""  # unpacked: the worker need not keep it in memory too

    def teardown(self, worker: Any) -> None:
        if self.service is not None:
            self.service.close()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def grade_task(name: str, batch: list[tuple[dict[str, Any], Carried]]) -> list[Graded]:
    """A Dask task: grade a few carried submissions with the course of the plugin ``name``; for each, its report
    and feedback page, or why it could not be graded (the whole task fails only when the worker cannot grade)."""
    plugin = get_worker().plugins.get(name)
    if not isinstance(plugin, CourseOnWorker):
        raise NotGraded("this worker has not the course (it should have come with the plugin); grade again")
    if plugin.refusal is not None or plugin.service is None:
        raise NotGraded(plugin.refusal or "this worker could not set the course up")
    return plugin.service.grade(batch)
