"""The local executor: a class graded on this machine, ``jobs`` submissions at a time.

It collects the hidden suites once, in one pytest session, then forks a child per slot from that warm process
(NumPy, the grader and the collected tests already loaded). A child grades the submissions it is handed, one
after another, each with the same sandboxed worker as ``grader grade``, within the unit's budget, and writes
each student's outputs (``grader.classwork.outputs``). A child that dies, hangs or is attacked costs only the
submission it was grading; a fresh child takes its slot and the class goes on.

The same machinery serves a Dask worker (``grader.classwork.serve``): there the submissions are not known at the
start but arrive one by one on a feed, each with the folder its outputs go to.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import select
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import pytest

from ..model.course import Unit
from ..model.messages import Text, text_data, text_of_data
from ..model.results import Outcome
from ..rendering.feedback import Feedback
from ..rendering.inert import visible
from ..running.course_code import load_code
from ..running.deadline import Budget, Stopped, die_with_parent, limit_cpu, stopped_run, why_it_ended
from ..running.pipeline import Collector, collect_run, forget_suites, pytest_args, seed_for
from ..running.plugin import GradingContext, hand_over
from ..running.session import helpers_of, open_submission
from ..running.transport import Carried
from ..trust.child import WorkerFailure
from ..trust.policy import SandboxMode, zygotes_work
from ..trust.zygote import Zygote
from .discovery import Entry
from .outputs import RESULTS, clean_partial, render_reports, sources_text, write_student
from .progress import Progress


@dataclass(frozen=True)
class Job:
    """One submission to grade: whose it is, where it is, its fingerprint, where its outputs go, when it was
    submitted (the late policy), the seed forced on it (None: the student's own), the feedback's language, and
    why it is refused unread when it was found past the bounds of what grading reads before it got here (a
    Dask worker's: it is graded as refused, as it would be here)."""

    student: str
    path: Path
    fingerprint: str
    folder: Path
    submitted_at: datetime | None = None
    seed: int | None = None
    lang: str | None = None
    refused: Text | None = None

    def line(self) -> bytes:
        """The job as one line of JSON: how a grading child is handed it (it may be forked before the job exists)."""
        return json.dumps({"student": self.student, "path": str(self.path), "fingerprint": self.fingerprint,
                           "folder": str(self.folder), "seed": self.seed, "lang": self.lang,
                           "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
                           "refused": text_data(self.refused) if self.refused is not None else None}).encode()

    @classmethod
    def of_line(cls, line: bytes) -> Job:
        data: dict[str, Any] = json.loads(line)
        moment, refused = data["submitted_at"], data.get("refused")
        return cls(data["student"], Path(data["path"]), data["fingerprint"], Path(data["folder"]),
                   datetime.fromisoformat(moment) if moment else None, data["seed"], data["lang"],
                   text_of_data(refused) if refused is not None else None)

    @property
    def submission(self) -> Path | Carried:
        """What to grade: the submission's path, or, refused before it got here, its refusal."""
        return self.path if self.refused is None else Carried(self.path.name, (), self.refused)


class Feed(Protocol):
    """Where jobs arrive while a class is being graded (a Dask worker's requests): ``fd`` is readable when
    ``take`` has something to say; ``take`` gives the jobs that arrived, or None once the feed has ended."""

    fd: int

    def take(self) -> list[Job] | None: ...


class _WarmLoop:
    """A pytest plugin that replaces the test loop: collected once, run once per submission in a forked child."""

    def __init__(self, executor: LocalExecutor, collector: Collector) -> None:
        self.executor, self.collector = executor, collector
        self.template: dict[str, Outcome] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.template = {k: Outcome(o.nodeid, o.file, o.name, o.weight) for k, o in self.collector.outcomes.items()}
        if self.collector.collection_errors:
            self.executor.collection_errors = dict(self.collector.collection_errors)
            return True
        self.executor.loop(lambda job, zygote: self._child(session, job, zygote))
        return True

    def _child(self, session: pytest.Session, job: Job, zygote: Zygote | None) -> int:
        """In a forked child: grade ``job`` with the collected items, write its outputs."""
        executor = self.executor
        started = time.monotonic()
        self.collector.outcomes = {k: Outcome(o.nodeid, o.file, o.name, o.weight) for k, o in self.template.items()}
        with open_submission(executor.unit, job.submission, executor.sandbox_mode, zygote, executor.helpers) as student:
            seed = seed_for(executor.unit, job.student, job.seed)
            context = GradingContext(executor.unit, student, seed, executor.code, student=job.student)
            hand_over(session.config, context)
            try:  # the last item's teardown (no next item) ends every fixture: the next submission starts afresh
                items = session.items
                for index, item in enumerate(items):
                    following = items[index + 1] if index + 1 < len(items) else None
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            finally:
                hand_over(session.config, None)
        run = collect_run(self.collector, student, seed, started, executor.unit, job.student)
        report, page = render_reports(executor.unit, run, executor.feedback_in(job.lang), job.fingerprint,
                                      job.submitted_at)
        write_student(job.folder.parent, job.folder.name, report, page,
                      sources_text(student.intake.written(), job.fingerprint))
        return 0


def slot_cores(jobs: int) -> list[int] | None:
    """The core of each of ``jobs`` slots, or None to let the system place them: where it cannot pin (not
    Linux), or where there are fewer usable cores than slots.

    A grading child and its worker hand every request back and forth, a few hundred times a submission. On
    one core a hand-over is a switch from one process to the other; on two it wakes the other core, and on a
    virtual machine each wake costs the host's work too (docs/performance.md has what pinning gave). The
    price is that the system cannot move a slot away from a core that something else keeps busy.
    """
    try:
        usable = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    return usable[:jobs] if jobs <= len(usable) else None


@dataclass
class LocalExecutor:
    """Grades submissions on this machine, ``jobs`` at a time, each in a child forked from a warm parent."""

    unit: Unit
    out: Path
    seed: int | None  # forced for every student; None: each student's own (see seed_for)
    jobs: int
    feedback: Feedback
    sandbox_mode: SandboxMode = "auto"
    progress: Progress | None = None
    code: ModuleType | None = None  # the unit's course code, loaded once here: every child starts warm
    helpers: str | None = None
    times: dict[str, datetime] = field(default_factory=dict)  # when each student submitted (the late policy)
    todo: list[Job] = field(default_factory=list)
    feed: Feed | None = None  # where more jobs arrive while grading (a Dask worker's); None: ``todo`` is all
    failed: dict[str, str] = field(default_factory=dict)
    graded: list[str] = field(default_factory=list)
    collection_errors: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False
    recycle_after: int = 200  # submissions a child grades before a fresh one takes its place: bounds what it keeps
    patience: float | None = None  # seconds a submission may take in all (None: the unit's budget)
    pin: bool = True  # each slot's child and zygote on a core of their own, when there are cores enough
    cores: list[int] | None = None  # the cores to pin the slots to (default: see ``slot_cores``)
    private_fds: list[int] = field(default_factory=list)  # this process's own, closed in every child it forks
    _feedbacks: dict[str, Feedback] = field(default_factory=dict)

    def feedback_in(self, lang: str | None) -> Feedback:
        """The feedback in ``lang`` (None: the executor's own)."""
        if lang is None or lang == self.feedback.lang:
            return self.feedback
        if lang not in self._feedbacks:
            self._feedbacks[lang] = Feedback.for_unit(self.unit, lang)  # type: ignore[arg-type]
        return self._feedbacks[lang]

    def job(self, entry: Entry, fingerprint: str) -> Job:
        """The job of grading ``entry`` into this executor's OUT."""
        return Job(entry.student, entry.path, fingerprint, self.out / entry.student, self.times.get(entry.student),
                   self.seed, self.feedback.lang)

    @property
    def budget(self) -> Budget:
        """What grading one submission may take: the unit's budget, or ``patience`` seconds when given."""
        budget = Budget.of(self.unit)
        return Budget(self.patience, budget.cpu_seconds) if self.patience else budget

    def run(self, todo: list[tuple[Entry, str]]) -> None:
        self.todo = [self.job(entry, fingerprint) for entry, fingerprint in todo]
        self.serve()

    def serve(self) -> None:
        """Grade ``todo``, and what the ``feed`` brings until it ends: the hidden suites collected once, each
        submission in a child forked from here."""
        if not self.todo and self.feed is None:
            return
        collector = Collector()
        files = [str(self.unit.suite_file(t, "hidden")) for t in self.unit.tasks]
        self.code, self.helpers = load_code(self.unit), helpers_of(self.unit)
        forget_suites(self.unit, files)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pytest.main(pytest_args(self.unit, files), plugins=[collector, _WarmLoop(self, collector)])
        if self.interrupted:  # pytest swallows Ctrl-C inside its loop: pass it on
            raise KeyboardInterrupt
        if self.collection_errors:
            problems = "; ".join(f"{name}: {message}" for name, message in self.collection_errors.items())
            raise RuntimeError(f"the hidden suites cannot be collected: {problems}")

    def loop(self, grade: Callable[[Job, Zygote | None], int]) -> None:
        """Grade every submission of ``todo``, ``jobs`` at a time; a child's death costs only its submission.

        Each slot has a child forked from this warm process, which grades one
        submission after another as this process hands them to it (a fork, and
        the copying of every page it touches, paid once per slot rather than per
        submission). A child leaves after ``recycle_after`` submissions, after a
        failure, or when its slot's zygote is gone; a fresh one takes its place.
        Each slot has a zygote (where the machine allows them) that only its
        child uses: its workers start warm. With ``pin`` and at least as many
        usable cores as slots, a slot's child, zygote and workers all run on
        one core (see ``slot_cores``). With a ``feed``, it goes on until the feed
        ends, and then stops at once: whoever asked is gone.
        """
        patience = self.patience or self.budget.seconds
        queue = deque(range(len(self.todo)))
        children: dict[int, _Child] = {}  # by slot
        use_zygotes = zygotes_work(self.sandbox_mode)
        # Keep the warm parent's objects out of the children's garbage collections: a collection would
        # touch (and so copy) every page the child shares with the parent.
        gc.collect()
        gc.freeze()
        zygotes: dict[int, Zygote | None] = {slot: None for slot in range(self.jobs)}
        cores = (self.cores or slot_cores(self.jobs)) if self.pin else None
        # Ctrl-C and SIGTERM only set a flag here, checked between steps: never half a fork's bookkeeping.
        stop: list[int] = []
        handlers = {sig: signal.signal(sig, lambda number, _: stop.append(number))
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while queue or self.feed is not None or any(child.current is not None for child in children.values()):
                if stop:
                    raise KeyboardInterrupt
                for slot in range(self.jobs):
                    if not queue or stop:
                        break
                    child = children.get(slot)
                    if child is None:
                        zygote = zygotes[slot]
                        if use_zygotes and (zygote is None or not zygote.alive()):
                            if zygote is not None:
                                zygote.close()
                            zygote = zygotes[slot] = self._zygote()
                            if zygote is not None and cores is not None:
                                zygote.pin(cores[slot])
                        child = children[slot] = self._fork(grade, zygote, children, list(handlers),
                                                            cores[slot] if cores is not None else None)
                    if child.current is None and not child.leaving:
                        index = queue.popleft()
                        clean_partial(self.todo[index].folder.parent, self.todo[index].folder.name)
                        child.give(index, self.todo[index])
                if not self._wait(children, patience, queue):
                    for child in children.values():  # the feed has ended: no one waits for what they grade
                        with contextlib.suppress(ProcessLookupError):
                            os.killpg(child.pid, signal.SIGKILL)
                    break
        except BaseException as error:
            self.interrupted = isinstance(error, KeyboardInterrupt)
            for child in children.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
            raise
        finally:
            for child in children.values():
                child.finish()
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            for zygote in zygotes.values():
                if zygote is not None:
                    zygote.close()

    def _fork(self, grade: Callable[[Job, Zygote | None], int], zygote: Zygote | None,
              siblings: dict[int, _Child], signals: list[signal.Signals], core: int | None = None) -> _Child:
        """A child for a slot: it grades what it is given through its pipe, one submission at a time (on
        ``core`` alone, if given, with the workers it starts cold)."""
        tasks_read, tasks_write = os.pipe()
        reports_read, reports_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: grade, write, leave without running the parent's cleanup
            code = 1
            try:
                for sig in signals:  # the parent decides when to stop
                    signal.signal(sig, signal.SIG_IGN)
                os.setpgid(0, 0)
                if core is not None:
                    with contextlib.suppress(OSError):
                        os.sched_setaffinity(0, {core})
                gc.disable()  # collected between submissions instead (see _serve)
                die_with_parent()
                os.close(tasks_write)
                os.close(reports_read)
                for sibling in siblings.values():  # a sibling must see its pipe closed when the parent closes it
                    sibling.close_fds()
                for fd in self.private_fds:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                self._serve(grade, zygote, tasks_read, reports_write)
                code = 0
            except BaseException as error:  # noqa: B036 - report anything, then leave
                with contextlib.suppress(BaseException):
                    os.write(2, f"grader: {type(error).__name__}: {visible(str(error)[:500])}\n".encode())
            finally:
                os._exit(code)
        os.close(tasks_read)
        os.close(reports_write)
        return _Child(pid, tasks_write, reports_read)

    def _serve(self, grade: Callable[[Job, Zygote | None], int], zygote: Zygote | None, tasks: int,
               reports: int) -> None:
        """In a child: grade each submission the parent hands it, and say how it went (the index, the status,
        and whether this child leaves now)."""
        # a buffered pipe gives each line as soon as the parent has written it; the loop ends when the parent
        # closes its end
        for count, line in enumerate(os.fdopen(tasks, "rb"), start=1):
            index, _, described = line.partition(b" ")
            job = Job.of_line(described)
            code, why = 1, ""
            try:
                limit_cpu(self.budget.cpu_seconds)  # this submission's own: the kernel stops the child past it
                code = grade(job, zygote)
            except BaseException as error:  # noqa: B036 - report anything, then leave
                why = (f"its outputs cannot be written: {error.strerror}" if isinstance(error, OSError)
                       and error.strerror else f"{type(error).__name__}: {str(error)[:300]}")
                with contextlib.suppress(BaseException):
                    os.write(2, f"grader: {visible(job.student)}: {visible(why)}\n".encode())
            # Garbage in cycles (a failed test's traceback holds its frames and their arrays) is freed here, once
            # per submission: the automatic collector is off, and only what this child made since is looked at.
            gc.collect()
            leaving = code != 0 or count >= self.recycle_after or (zygote is not None and not zygote.alive())
            os.write(reports, f"{int(index)} {code} {int(leaving)} {json.dumps(why)}\n".encode())
            if leaving:
                return

    def _zygote(self) -> Zygote | None:
        try:
            return Zygote(self.unit.limits, self.sandbox_mode, helpers=self.helpers)
        except (WorkerFailure, OSError):
            return None  # the workers of this slot start cold, as `grader grade` does

    def _wait(self, children: dict[int, _Child], patience: float, queue: deque[int]) -> bool:
        """Wait until a child says it is done with a submission or ends (killing any child whose submission
        outlived ``patience``), or the feed brings jobs (queued), and account for it. False once the feed has
        ended."""
        pidfds = {os.pidfd_open(child.pid): slot for slot, child in children.items()}
        try:
            busy = [child.since for child in children.values() if child.current is not None]
            wait = max(0.0, min(1.0, min(busy) + patience - time.monotonic())) if busy else 1.0
            readable = [child.from_child for child in children.values()]
            feeds = [self.feed.fd] if self.feed is not None else []
            ready = set(select.select([*readable, *pidfds, *feeds], [], [], wait)[0])
        finally:
            for fd in pidfds:
                os.close(fd)
        if feeds and feeds[0] in ready:
            assert self.feed is not None
            arrived = self.feed.take()
            if arrived is None:
                return False
            for job in arrived:
                queue.append(len(self.todo))
                self.todo.append(job)
        for child in children.values():
            if child.from_child in ready:
                self._take_reports(child)
        for fd, slot in pidfds.items():
            if fd in ready:
                child = children.pop(slot)
                _, status = os.waitpid(child.pid, 0)
                self._take_reports(child)  # what it said just before it ended
                if child.current is not None:  # it ended without a word on this one
                    self._ended(child, status)
                child.close_fds()
        now = time.monotonic()
        for child in children.values():
            if child.current is not None and now - child.since > patience:
                child.overtime = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
        return True

    def _ended(self, child: _Child, status: int) -> None:
        """A child ended while grading a submission: past its deadline or its CPU budget, the submission is
        stopped (its report says why, and it scores 0); any other end fails it, to be graded again next run."""
        assert child.current is not None
        overtime = child.overtime
        if overtime or os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
            written = self._stop(child.current, Stopped(why_it_ended(status, self.budget, overtime)),
                                 time.monotonic() - child.since)
            self._account(child.current, 0 if written else 1, reported=written)
        else:
            self._account(child.current, os.waitstatus_to_exitcode(status), reported=False)

    def _stop(self, index: int, stopped: Stopped, seconds: float) -> bool:
        """Write the report of a submission whose grading was stopped (0, and why); False if it cannot be."""
        job = self.todo[index]
        seed = seed_for(self.unit, job.student, job.seed)
        run = stopped_run(self.unit, stopped, seed, job.student, seconds)
        report, page = render_reports(self.unit, run, self.feedback_in(job.lang), job.fingerprint, job.submitted_at)
        try:
            write_student(job.folder.parent, job.folder.name, report, page)
        except OSError:
            return False
        return True

    def _take_reports(self, child: _Child) -> None:
        """Account for every submission ``child`` said it finished."""
        for index, code, leaving, why in child.reports():
            self._account(index, code, why=why)
            child.leaving = child.leaving or leaving

    def _account(self, index: int, code: int, reported: bool = True, why: str = "") -> None:
        job = self.todo[index]
        ok = reported and code == 0 and (job.folder / RESULTS).is_file()
        self.finished(index, None if ok else why or f"the grading process ended with status {code}")

    def finished(self, index: int, failure: str | None) -> None:
        """``todo[index]`` is done: its outputs are written (``failure`` None), or it could not be graded."""
        student = self.todo[index].student
        if failure is None:
            self.graded.append(student)
        else:
            self.failed[student] = failure
        if self.progress:
            self.progress.advance(failure is None)


@dataclass
class _Child:
    """A grading child as its parent sees it: the pipe that gives it submissions, the pipe it reports on, and
    the submission it is grading (an index into the batch's ``todo``)."""

    pid: int
    to_child: int  # the pipe it is given submissions on (an index into ``todo`` and the job, a line each)
    from_child: int  # the pipe it reports on (index, status, leaving, a line each)
    current: int | None = None
    since: float = 0.0
    leaving: bool = False  # it said it ends after its current submission
    overtime: bool = False  # it was killed: its submission outlived its deadline
    pending: bytes = b""

    def give(self, index: int, job: Job) -> None:
        self.current, self.since = index, time.monotonic()
        try:
            os.write(self.to_child, f"{index} ".encode() + job.line() + b"\n")
        except OSError:
            pass  # it has ended: its end is accounted for when it is reaped

    def reports(self) -> list[tuple[int, int, bool, str]]:
        """What it said since last asked: (index, status, leaving, why it failed) for each submission it
        finished."""
        with contextlib.suppress(OSError):
            while select.select([self.from_child], [], [], 0)[0]:
                chunk = os.read(self.from_child, 4096)
                if not chunk:
                    break
                self.pending += chunk
        said = []
        while b"\n" in self.pending:
            line, _, self.pending = self.pending.partition(b"\n")
            index, code, leaving, why = line.split(b" ", 3)
            if int(index) == self.current:
                self.current = None
            said.append((int(index), int(code), bool(int(leaving)), str(json.loads(why))))
        return said

    def close_fds(self) -> None:
        for fd in (self.to_child, self.from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.to_child = self.from_child = -1

    def finish(self) -> None:
        """Let it go (it reads the end of its pipe and leaves), and reap it."""
        if self.to_child >= 0:
            with contextlib.suppress(OSError):
                os.close(self.to_child)
            self.to_child = -1
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.close_fds()
