"""``grader grade-all``: a whole class, graded in parallel, resumable, into the instructors' tools.

The local executor collects the hidden suites once, in one pytest session,
then forks a child per slot from that warm process (NumPy, the grader and the
collected tests already loaded). A child grades the submissions it is handed,
one after another, each with the same sandboxed worker as ``grader grade``,
and writes each student's ``feedback.md`` and then ``results.json``
atomically; ``results.json`` is the commit mark. It records a fingerprint of everything the grade depends on
(the submission's files, the unit's course content, the seed, the grader), so a re-run
grades only what is missing or changed. A child that dies, hangs or is
attacked costs only the submission it was grading; a fresh child takes its
slot and the batch goes on.

Outputs in OUT: ``<student>/results.json`` (Gradescope schema),
``<student>/feedback.md``, ``grades.csv``, ``report.html`` and, on request,
an nbgrader gradebook (see ``grader.classwork.exports``).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import json
import os
import select
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

import pytest

from .. import __version__
from ..model.course import Unit
from ..model.files import write_atomically, write_json
from ..model.results import Outcome, Run
from ..rendering.feedback import Feedback, markdown
from ..rendering.inert import visible
from ..rendering.reports import gradescope
from ..rendering.scoring import score_run
from ..running.course_code import load_code
from ..running.deadline import Budget, Stopped, die_with_parent, limit_cpu, run_within, stopped_run, why_it_ended
from ..running.pipeline import (
    Collector,
    collect_run,
    forget_suites,
    pytest_args,
    seed_for,
)
from ..running.plugin import GradingContext, hand_over
from ..running.session import helpers_of, open_submission
from ..trust.child import WorkerFailure
from ..trust.policy import SandboxMode, zygotes_work
from ..trust.zygote import Zygote

RESULTS = "results.json"
FEEDBACK = "feedback.md"
# the files grade-all writes beside the students' folders in OUT: no submission may take one of their names
CLASS_FILES = ("grades.csv", "report.html", "similarity.csv", "canvas.csv", "moodle.csv")
HASHED_BYTES = 64 * 1024 * 1024  # a larger file of a submission is fingerprinted by its size and time, not read


class BadClass(ValueError):
    """A class folder that cannot be graded as it is (two submissions for one student, a name that cannot be
    written): the message says which entries and what to do."""


@dataclass(frozen=True)
class Entry:
    """One student's submission: ``student`` is the folder's name."""

    student: str
    path: Path


@dataclass
class Progress:
    """Counts and rate, drawn as a bar on a terminal and as plain lines elsewhere."""

    total: int
    stream: TextIO
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    failed: int = 0
    _last_line: float = 0.0
    _closed: bool = False  # the last plain line is out

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self.draw()

    def draw(self, final: bool = False) -> None:
        rate = self.rate
        left = (self.total - self.done) / rate if rate else 0.0
        text = f"graded {self.done}/{self.total}  {rate:.1f}/s  ~{left:.0f} s left"
        if self.failed:
            text += f"  ({self.failed} could not be graded)"
        if self.stream.isatty():
            width = 24
            filled = int(width * self.done / self.total) if self.total else width
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}\033[K" + ("\n" if final else ""))
            self.stream.flush()
        elif not self._closed and (final or time.monotonic() - self._last_line >= 2 or self.done == self.total):
            self._last_line = time.monotonic()
            self._closed = self.done == self.total
            self.stream.write(text + "\n")
            self.stream.flush()


@dataclass
class BatchResult:
    graded: list[str]  # students graded in this run
    skipped: list[str]  # up to date from an earlier run
    failed: dict[str, str]  # students that could not be graded, and why
    seconds: float


SUBMISSION_FILES = (".zip", ".ipynb")


def discover(folder: Path) -> list[Entry]:
    """The submissions in ``folder``, one per student, named by the student's id.

    A student's submission is a folder (``<id>/``), a zip archive (``<id>.zip``) or a notebook (``<id>.ipynb``).
    Every name a file system allows is kept exactly (commas, quotes, spaces, newlines, any script); a class is
    refused (``BadClass``) when two entries are one student (``alice/`` and ``alice.zip``), when a name is not
    text (bytes that are not UTF-8) or when it is the name of a file grade-all writes beside the students.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of submissions")
    entries: dict[str, Entry] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_symlink():
            continue
        if path.is_dir():
            entry = Entry(path.name, path)
        elif path.is_file() and path.suffix in SUBMISSION_FILES:
            entry = Entry(path.stem, path)
        else:
            continue
        try:
            entry.student.encode("utf-8")
        except UnicodeEncodeError:
            raise BadClass(f"{folder}: the name {os.fsencode(path.name)!r} is not UTF-8 text; rename it") from None
        if entry.student in CLASS_FILES:
            raise BadClass(f"{folder}: {path.name} has the name of a file grade-all writes in OUT; rename it")
        if entry.student in entries:
            other = entries[entry.student].path.name + ("/" if entries[entry.student].path.is_dir() else "")
            mine = path.name + ("/" if path.is_dir() else "")
            raise BadClass(f"{folder}: {other!r} and {mine!r} are both submissions of {entry.student!r}; "
                           "keep one")
        entries[entry.student] = entry
    return list(entries.values())


def _submission_files(root: Path, limit: int) -> list[Path]:
    """The first ``limit`` files and folders under ``root``, in a fixed order, found without recursion (a
    folder nested thousands deep is no harder than a flat one) and without following links."""
    found: list[Path] = []
    pending = [root]
    while pending and len(found) < limit:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                names = sorted(entry.name for _, entry in zip(range(limit), listing))
        except OSError:
            continue
        children = [folder / name for name in names]
        found += children
        pending += reversed([child for child in children if child.is_dir() and not child.is_symlink()])
    return sorted(found[:limit])


def _file_digest(path: Path) -> bytes:
    """A file's bytes for the fingerprint: its content's hash, or its size and time when too large to read."""
    info = path.stat()
    if info.st_size > HASHED_BYTES:
        return f"S{info.st_size}:{info.st_mtime_ns}".encode()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return b"F" + digest.digest()


def course_fingerprint(unit: Unit) -> str:
    """What every grade depends on besides the submission: course.yaml, the unit's hidden suites and the
    course content they use (hints, code, helpers, data), and the grader itself."""
    digest = hashlib.sha256(__version__.encode())
    paths = [unit.root / "course.yaml", *sorted(unit.suite_dir("hidden").rglob("*.py"))]
    for key in ("hints", "helpers", "data", "questions", "generators"):
        found = unit.content(key)
        if found is not None:
            paths.append(found)
    code = unit.content("code")
    if code is not None:
        paths += sorted(code.rglob("*.py"))
    paths += sorted(Path(__file__).resolve().parents[1].rglob("*.py"))  # the whole grader
    for path in paths:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(course_print: str, entry: Entry, seed: int, submitted_at: datetime | None = None,
                limit: int = 2000) -> str:
    """The grade's inputs: the course, the seed, the submission's time (the late policy reads it), and every
    file of the submission (names and bytes)."""
    moment = submitted_at.isoformat() if submitted_at is not None else ""
    digest = hashlib.sha256(f"{course_print}\0{seed}\0{moment}".encode())
    paths = [entry.path] if entry.path.is_file() else _submission_files(entry.path, limit)
    for path in paths:
        digest.update(os.fsencode(path.relative_to(entry.path.parent)) + b"\0")
        try:
            if path.is_symlink():
                digest.update(b"L" + os.fsencode(os.readlink(path)))
            elif path.is_file():
                digest.update(_file_digest(path))
        except OSError as error:
            digest.update(f"E{error.errno}".encode())
    return digest.hexdigest()


def up_to_date(folder: Path, expected: str) -> bool:
    try:
        data = json.loads((folder / RESULTS).read_text(encoding="utf-8"))
        return bool(data["extra_data"]["fingerprint"] == expected)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _clean_partial(folder: Path) -> None:
    """Remove temporary files of a write that was interrupted (they start with a dot)."""
    if folder.is_dir():
        for leftover in folder.glob(".*"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def write_student(out: Path, student: str, report: dict[str, Any], page: str) -> None:
    """The student's outputs: feedback first, then results.json, the mark that the student is done."""
    folder = out / student
    write_atomically(folder / FEEDBACK, page)
    write_json(folder / RESULTS, report)


def grade_run(unit: Unit, run: Run, feedback: Feedback, print_: str,
              submitted_at: datetime | None = None) -> tuple[dict[str, Any], str]:
    """The Gradescope report (with the fingerprint) and the feedback page of one graded run."""
    score = score_run(unit, run, submitted_at)
    report = gradescope(score, run, feedback)
    report["extra_data"]["fingerprint"] = print_
    return report, markdown(unit, score, run, feedback)


# --- the local executor: fork from a warm, collected pytest session -----------------------


class _WarmLoop:
    """A pytest plugin that replaces the test loop: collected once, run once per submission in a forked child."""

    def __init__(self, batch: LocalBatch, collector: Collector) -> None:
        self.batch, self.collector = batch, collector
        self.template: dict[str, Outcome] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        self.template = {k: Outcome(o.nodeid, o.file, o.name, o.weight) for k, o in self.collector.outcomes.items()}
        if self.collector.collection_errors:
            self.batch.collection_errors = dict(self.collector.collection_errors)
            return True
        self.batch.loop(lambda entry, print_, zygote: self._child(session, entry, print_, zygote))
        return True

    def _child(self, session: pytest.Session, entry: Entry, print_: str, zygote: Zygote | None) -> int:
        """In a forked child: grade ``entry`` with the collected items, write its outputs."""
        batch = self.batch
        started = time.monotonic()
        self.collector.outcomes = {k: Outcome(o.nodeid, o.file, o.name, o.weight) for k, o in self.template.items()}
        with open_submission(batch.unit, entry.path, batch.sandbox_mode, zygote, batch.helpers) as student:
            seed = seed_for(batch.unit, entry.student, batch.seed)
            context = GradingContext(batch.unit, student, seed, batch.code, student=entry.student)
            hand_over(session.config, context)
            try:  # the last item's teardown (no next item) ends every fixture: the next submission starts afresh
                items = session.items
                for index, item in enumerate(items):
                    following = items[index + 1] if index + 1 < len(items) else None
                    item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            finally:
                hand_over(session.config, None)
        run = collect_run(self.collector, student, seed, started, batch.unit, entry.student)
        report, page = grade_run(batch.unit, run, batch.feedback, print_, batch.times.get(entry.student))
        write_student(batch.out, entry.student, report, page)
        return 0


def slot_cores(jobs: int) -> list[int] | None:
    """The core of each of ``jobs`` slots, or None to let the system place them: where it cannot pin (not
    Linux), or where there are fewer usable cores than slots.

    A grading child and its worker hand every request back and forth, a few hundred times a submission. On
    one core a hand-over is a switch from one process to the other; on two it wakes the other core, and on a
    virtual machine each wake costs the host's work too. Pinned, a class of 400 with two jobs took about 10%
    less time (and about 4% less CPU) on a two-core virtual machine. The price is that the system cannot move
    a slot away from a core that something else keeps busy.
    """
    try:
        usable = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    return usable[:jobs] if jobs <= len(usable) else None


@dataclass
class LocalBatch:
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
    todo: list[tuple[Entry, str]] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    graded: list[str] = field(default_factory=list)
    collection_errors: dict[str, str] = field(default_factory=dict)
    interrupted: bool = False
    recycle_after: int = 200  # submissions a child grades before a fresh one takes its place: bounds what it keeps
    patience: float | None = None  # seconds a submission may take in all (None: the unit's budget)
    pin: bool = True  # each slot's child and zygote on a core of their own, when there are cores enough

    @property
    def budget(self) -> Budget:
        """What grading one submission may take: the unit's budget, or ``patience`` seconds when given."""
        budget = Budget.of(self.unit)
        return Budget(self.patience, budget.cpu_seconds) if self.patience else budget

    def run(self, todo: list[tuple[Entry, str]]) -> None:
        self.todo = todo
        if not todo:
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

    def loop(self, grade: Callable[[Entry, str, Zygote | None], int]) -> None:
        """Grade every submission of ``todo``, ``jobs`` at a time; a child's death costs only its submission.

        Each slot has a child forked from this warm process, which grades one
        submission after another as this process hands them to it (a fork, and
        the copying of every page it touches, paid once per slot rather than per
        submission). A child leaves after ``recycle_after`` submissions, after a
        failure, or when its slot's zygote is gone; a fresh one takes its place.
        Each slot has a zygote (where the machine allows them) that only its
        child uses: its workers start warm. With ``pin`` and at least as many
        usable cores as slots, a slot's child, zygote and workers all run on
        one core (see ``slot_cores``).
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
        cores = slot_cores(self.jobs) if self.pin else None
        # Ctrl-C and SIGTERM only set a flag here, checked between steps: never half a fork's bookkeeping.
        stop: list[int] = []
        handlers = {sig: signal.signal(sig, lambda number, _: stop.append(number))
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while queue or any(child.current is not None for child in children.values()):
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
                        _clean_partial(self.out / self.todo[index][0].student)
                        child.give(index)
                self._wait(children, patience)
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

    def _fork(self, grade: Callable[[Entry, str, Zygote | None], int], zygote: Zygote | None,
              siblings: dict[int, _Child], signals: list[signal.Signals], core: int | None = None) -> _Child:
        """A child for a slot: it grades what it is given through its pipe, one submission at a time (on
        ``core`` alone, if given, with the workers it starts cold)."""
        given_read, given_write = os.pipe()
        told_read, told_write = os.pipe()
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
                os.close(given_write)
                os.close(told_read)
                for sibling in siblings.values():  # a sibling must see its pipe closed when the parent closes it
                    sibling.close_fds()
                self._serve(grade, zygote, given_read, told_write)
                code = 0
            except BaseException as error:  # noqa: B036 - report anything, then leave
                with contextlib.suppress(BaseException):
                    os.write(2, f"grader: {type(error).__name__}: {visible(str(error)[:500])}\n".encode())
            finally:
                os._exit(code)
        os.close(given_read)
        os.close(told_write)
        return _Child(pid, given_write, told_read)

    def _serve(self, grade: Callable[[Entry, str, Zygote | None], int], zygote: Zygote | None, given: int,
               told: int) -> None:
        """In a child: grade each submission the parent names, and say how it went (the index, the status, and
        whether this child leaves now)."""
        # a buffered pipe gives each line as soon as the parent has written it; the loop ends when the parent
        # closes its end
        for count, line in enumerate(os.fdopen(given, "rb"), start=1):
            index = int(line)
            entry, print_ = self.todo[index]
            code = 1
            try:
                limit_cpu(self.budget.cpu_seconds)  # this submission's own: the kernel stops the child past it
                code = grade(entry, print_, zygote)
            except BaseException as error:  # noqa: B036 - report anything, then leave
                with contextlib.suppress(BaseException):
                    os.write(2, f"grader: {visible(entry.student)}: {type(error).__name__}: "
                                f"{visible(str(error)[:500])}\n".encode())
            # Garbage in cycles (a failed test's traceback holds its frames and their arrays) is freed here, once
            # per submission: the automatic collector is off, and only what this child made since is looked at.
            gc.collect()
            leaving = code != 0 or count >= self.recycle_after or (zygote is not None and not zygote.alive())
            os.write(told, f"{index} {code} {int(leaving)}\n".encode())
            if leaving:
                return

    def _zygote(self) -> Zygote | None:
        try:
            return Zygote(self.unit.limits, self.sandbox_mode, helpers=self.helpers)
        except (WorkerFailure, OSError):
            return None  # the workers of this slot start cold, as `grader grade` does

    def _wait(self, children: dict[int, _Child], patience: float) -> None:
        """Wait until a child says it is done with a submission or ends (killing any child whose submission
        outlived ``patience``), and account for it."""
        pidfds = {os.pidfd_open(child.pid): slot for slot, child in children.items()}
        try:
            busy = [child.since for child in children.values() if child.current is not None]
            wait = max(0.0, min(1.0, min(busy) + patience - time.monotonic())) if busy else 1.0
            readable = [child.told for child in children.values()]
            ready = set(select.select([*readable, *pidfds], [], [], wait)[0])
        finally:
            for fd in pidfds:
                os.close(fd)
        for child in children.values():
            if child.told in ready:
                self._hear(child)
        for fd, slot in pidfds.items():
            if fd in ready:
                child = children.pop(slot)
                _, status = os.waitpid(child.pid, 0)
                self._hear(child)  # what it said just before it ended
                if child.current is not None:  # it ended without a word on this one
                    self._ended(child, status)
                child.close_fds()
        now = time.monotonic()
        for child in children.values():
            if child.current is not None and now - child.since > patience:
                child.overtime = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)

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
        entry, print_ = self.todo[index]
        seed = seed_for(self.unit, entry.student, self.seed)
        run = stopped_run(self.unit, stopped, seed, entry.student, seconds)
        report, page = grade_run(self.unit, run, self.feedback, print_, self.times.get(entry.student))
        try:
            write_student(self.out, entry.student, report, page)
        except OSError:
            return False
        return True

    def _hear(self, child: _Child) -> None:
        """Account for every submission ``child`` said it finished."""
        for index, code, leaving in child.reports():
            self._account(index, code)
            child.leaving = child.leaving or leaving

    def _account(self, index: int, code: int, reported: bool = True) -> None:
        entry = self.todo[index][0]
        ok = reported and code == 0 and (self.out / entry.student / RESULTS).is_file()
        if ok:
            self.graded.append(entry.student)
        else:
            self.failed[entry.student] = f"the grading process ended with status {code}"
        if self.progress:
            self.progress.advance(ok)


@dataclass
class _Child:
    """A grading child as its parent sees it: the pipe that gives it submissions, the pipe it reports on, and
    the submission it is grading (an index into the batch's ``todo``)."""

    pid: int
    given: int
    told: int
    current: int | None = None
    since: float = 0.0
    leaving: bool = False  # it said it ends after its current submission
    overtime: bool = False  # it was killed: its submission outlived its deadline
    pending: bytes = b""

    def give(self, index: int) -> None:
        self.current, self.since = index, time.monotonic()
        try:
            os.write(self.given, f"{index}\n".encode())
        except OSError:
            pass  # it has ended: its end is accounted for when it is reaped

    def reports(self) -> list[tuple[int, int, bool]]:
        """What it said since last asked: (index, status, leaving) for each submission it finished."""
        with contextlib.suppress(OSError):
            while select.select([self.told], [], [], 0)[0]:
                chunk = os.read(self.told, 4096)
                if not chunk:
                    break
                self.pending += chunk
        said = []
        while b"\n" in self.pending:
            line, _, self.pending = self.pending.partition(b"\n")
            index, code, leaving = (int(part) for part in line.split())
            if index == self.current:
                self.current = None
            said.append((index, code, bool(leaving)))
        return said

    def close_fds(self) -> None:
        for fd in (self.given, self.told):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.given = self.told = -1

    def finish(self) -> None:
        """Let it go (it reads the end of its pipe and leaves), and reap it."""
        if self.given >= 0:
            with contextlib.suppress(OSError):
                os.close(self.given)
            self.given = -1
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.close_fds()


# --- the whole job --------------------------------------------------------------------


def plan(unit: Unit, entries: list[Entry], out: Path, seed: int | None, force: bool,
         times: dict[str, datetime] | None = None, lang: str = "") -> tuple[list[tuple[Entry, str]], list[str]]:
    """Which submissions need grading (with their fingerprints), and which are up to date. The feedback's
    language is part of the fingerprint: a class graded again with another ``--lang`` gets its feedback in it."""
    course_print = course_fingerprint(unit) + (f"\0lang={lang}" if lang else "")
    todo, skipped = [], []
    for entry in entries:
        print_ = fingerprint(course_print, entry, seed_for(unit, entry.student, seed), (times or {}).get(entry.student))
        if not force and up_to_date(out / entry.student, print_):
            skipped.append(entry.student)
        else:
            todo.append((entry, print_))
    return todo, skipped


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
    todo, skipped = plan(unit, entries, out, seed, force, times, feedback.lang)
    progress = Progress(len(todo), progress_stream) if progress_stream is not None else None
    if scheduler is not None:
        graded, failed = _grade_on_dask(scheduler, unit, todo, out, seed, feedback.lang, sandbox_mode, progress, times)
    else:
        batch = LocalBatch(unit, out, seed, max(1, jobs or os.cpu_count() or 1), feedback, sandbox_mode, progress,
                           times=times)
        batch.run(todo)
        graded, failed = batch.graded, batch.failed
    if progress and todo:
        progress.draw(final=True)
    return BatchResult(graded, skipped, failed, time.monotonic() - started)


# --- beyond one machine: Dask distributed ----------------------------------------------------


_on_worker = threading.Lock()  # pytest runs in-process and is not thread-safe: one grading at a time per process


def grade_on_worker(course_root: str, unit_id: str, path: str, seed: int | None, lang: str,
                    sandbox_mode: SandboxMode, print_: str, student: str | None = None,
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
    return grade_run(unit, run, feedback, print_, datetime.fromisoformat(submitted_at) if submitted_at else None)


def _grade_on_dask(scheduler: str, unit: Unit, todo: list[tuple[Entry, str]], out: Path, seed: int | None, lang: str,
                   sandbox_mode: SandboxMode, progress: Progress | None,
                   times: dict[str, datetime]) -> tuple[list[str], dict[str, str]]:
    """Submit every grading to the cluster; write each student's outputs here as soon as they arrive."""
    from distributed import Client, as_completed  # only for this executor

    graded: list[str] = []
    failed: dict[str, str] = {}
    with Client(scheduler) as client:  # type: ignore[no-untyped-call]
        futures = {}
        for entry, print_ in todo:
            _clean_partial(out / entry.student)
            moment = times.get(entry.student)
            future = client.submit(grade_on_worker, str(unit.root), unit.id, str(entry.path.resolve()), seed, lang,
                                   sandbox_mode, print_, entry.student, moment.isoformat() if moment else None,
                                   key=f"grade-{entry.student}-{print_[:12]}", pure=False)
            futures[future] = entry
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            entry = futures[future]
            try:
                report, page = future.result()
                write_student(out, entry.student, report, page)
                graded.append(entry.student)
            except Exception as error:  # one student's failure never stops the batch
                failed[entry.student] = f"{type(error).__name__}: {error}"
            if progress:
                progress.advance(entry.student in graded)
    return graded, failed


def results(out: Path, students: list[str]) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Each student's report in ``out`` (None where there is none)."""
    for student in students:
        try:
            yield student, json.loads((out / student / RESULTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            yield student, None
