"""A deadline on the grader's own work: grading one submission ends in bounded time, whatever it holds.

Intake and the suites run in the trusted process, and every reader there bounds its own work (the README lists
each bound). This is the second line: a bug in one must cost seconds, not hours. Work that loops inside C (a
big-integer power, a regular expression) cannot be interrupted in the process that does it, so on Linux the
work runs in a child forked from this warm process, with two bounds: a CPU budget (``grading_cpu_seconds``,
enforced by the kernel: ``RLIMIT_CPU``), which catches a reader that computes without end within seconds, and a
wall-clock deadline (``grading_seconds``, from ``submission_seconds``), which catches everything else. Past
either, the child and every process it started are killed, and the caller gets a ``Stopped`` with a one-line
reason instead of the work's result; the submission then scores 0 with that reason (``stopped_run``). A child
that ends without a word (a crash) is a ``Stopped`` too; an exception the work raises is raised again in the
caller, as if the work had run there (a full disk stays the grader's error, not the student's 0). The result
crosses back pickled: the child is the grader's own process (student code runs only in the session's worker),
so its pickle is trusted.

Where ``fork`` is missing or unsafe (Windows; macOS, where a forked child may not use the system's frameworks),
and with the portable worker (made for those machines), the work runs here with a watchdog that interrupts it
at the wall-clock deadline, between two Python steps: there, the readers' own bounds are what stop work inside
C. That is a student's own machine checking their own work.
"""

from __future__ import annotations

import _thread
import contextlib
import ctypes
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..model.course import Limits, Unit
from ..model.messages import Text, t
from ..model.results import Kind, Run
from ..trust import processes
from ..trust.policy import SandboxMode
from .pipeline import run_suites

T = TypeVar("T")
A = TypeVar("A")
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Budget:
    """What the grader may spend on one submission: wall-clock seconds, and CPU seconds of its own."""

    seconds: float
    cpu_seconds: float

    @classmethod
    def of(cls, unit: Unit) -> Budget:
        return cls(grading_seconds(unit.limits, len(unit.modules)), unit.limits.grading_cpu_seconds)


DECODED_PARTS = 2  # the parts of a submission its worker decodes before grading: its modules, its answers


def grading_seconds(limits: Limits, modules: int) -> float:
    """The wall-clock deadline of grading one submission: what its workers may take in all (decoding each part
    of what it holds, every call within ``submission_seconds``, and an import of each module and of the unit's
    helpers, each within ``import_seconds``) and a margin for the grader's own work (which takes well under a
    second on a unit's suites): a quarter of that, at least 5 s."""
    return (limits.submission_seconds + limits.import_seconds * (modules + 1 + DECODED_PARTS)
            + max(5.0, limits.submission_seconds / 4))


@dataclass(frozen=True)
class Stopped:
    """Why work was stopped before it gave its result (a message for the student and the report)."""

    reason: Text


def forking() -> bool:
    """Whether work can run in a forked child here (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def die_with_parent() -> None:
    """Let the kernel end this process when its parent ends (Linux; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def limit_cpu(seconds: float) -> None:
    """Let this process use at most ``seconds`` more CPU time (then the kernel stops it with SIGXCPU), and write
    no core file if it is stopped so. Only soft limits are lowered: a later call may give more time."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(used + seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))


def why_it_ended(status: int, budget: Budget, overtime: bool) -> Text:
    """The reason a grading child gave no result: killed at the deadline, out of CPU time, or ended otherwise."""
    if overtime:
        return t("run.stopped.deadline", seconds=round(budget.seconds))
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return t("run.stopped.cpu", seconds=round(budget.cpu_seconds))
    code = os.waitstatus_to_exitcode(status)
    return t("run.stopped.ended", status=code if code >= 0 else signal.Signals(-code).name)


def within(budget: Budget, work: Callable[[], T], in_child: bool = True) -> T | Stopped:
    """``work()``'s result, or ``Stopped`` when it did not give one within ``budget`` (see the module's
    docstring): in a forked child where that can be (and ``in_child``), else here under a watchdog. Ctrl-C stops
    the work and is raised again here."""
    if not (in_child and forking()):
        return _watched(budget, work)
    processes.become_subreaper()  # what the child starts and leaves behind comes back to us, to be killed
    for stream in (sys.stdout, sys.stderr):  # the child leaves without flushing: nothing is written twice
        with contextlib.suppress(Exception):
            stream.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, send the result (or what it raised), leave without the parent's cleanup
        code = 1
        try:
            os.close(read)
            os.setpgid(0, 0)
            die_with_parent()
            limit_cpu(budget.cpu_seconds)
            try:
                reply: tuple[bool, object] = (True, work())
            except Exception as error:  # noqa: BLE001 - raised again in the parent, as if the work ran there
                reply = (False, error)
            try:
                data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # noqa: BLE001 - an exception that does not pickle is told by its text
                data = pickle.dumps((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]} ({error})")))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            code = 0
        except BaseException:  # noqa: B036 - said on stderr for the instructor; the parent says it ended
            with contextlib.suppress(BaseException):
                os.write(2, ("grader: " + traceback.format_exc()[-4000:]).encode("utf-8", "replace"))
        finally:
            os._exit(code)
    os.close(write)
    info = processes.process_info(pid)
    since = info.start if info is not None else 0
    chunks: list[bytes] = []
    overtime = False
    deadline = time.monotonic() + budget.seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], min(left, 1.0))[0]:
                if left <= 0:
                    overtime = True
                    break
                continue
            chunk = os.read(read, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException:  # Ctrl-C while waiting: the child goes too
        _end(pid, since)
        raise
    finally:
        os.close(read)
    if overtime:
        _end(pid, since)
    _, status = os.waitpid(pid, 0)
    if not overtime and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and chunks:
        ok, value = pickle.loads(b"".join(chunks))  # the grader's own child
        if not ok:
            raise value  # what the work raised, as if it had run here (a full disk is still the grader's error)
        return value  # type: ignore[no-any-return]
    return Stopped(why_it_ended(status, budget, overtime))


@dataclass
class _Server:
    """A forked child that does ``work`` on each item it is given, one at a time, and sends each result back."""

    pid: int
    to_child: int  # the pipe it reads item numbers from
    from_child: int  # the pipe its results come back on
    since: int  # its start, in clock ticks (to find what it left behind)
    current: int | None = None
    started: float = 0.0
    pending: bytearray = field(default_factory=bytearray)


_FRAME = struct.Struct("<Q")


def each_within(seconds: float, work: Callable[[A], T], items: Sequence[A], jobs: int) -> list[T | Stopped]:
    """``work(item)`` for every item, ``jobs`` at a time, each within ``seconds`` of its own: an item that
    outlives them (or ends its process, or raises) is a ``Stopped`` and costs no other item anything. On Linux
    the work runs in forked children that serve one item after another (a child that overran is killed and
    replaced); elsewhere one after another here, each watched as ``within`` watches."""
    results: list[T | Stopped | None] = [None] * len(items)
    if not forking():
        for index, item in enumerate(items):
            results[index] = _watched(Budget(seconds, seconds), lambda item=item: work(item))  # type: ignore[misc]
        return results  # type: ignore[return-value]
    processes.become_subreaper()
    queue = deque(range(len(items)))
    servers: dict[int, _Server] = {}
    try:
        while queue or any(server.current is not None for server in servers.values()):
            for slot in range(max(1, jobs)):
                if queue and (slot not in servers or servers[slot].current is None):
                    server = servers.get(slot) or servers.setdefault(slot, _serve(work, items, servers))
                    server.current, server.started = queue.popleft(), time.monotonic()
                    try:
                        os.write(server.to_child, _FRAME.pack(server.current))
                    except OSError:
                        pass  # it has ended: seen below
            busy = [server for server in servers.values() if server.current is not None]
            wait = max(0.0, min(server.started + seconds for server in busy) - time.monotonic()) if busy else 0.0
            ready = set(select.select([server.from_child for server in busy], [], [], min(wait, 1.0))[0])
            for slot, server in list(servers.items()):
                if server.current is None:
                    continue
                if server.from_child in ready and _receive(server, results):
                    continue
                ended = server.from_child in ready  # readable with nothing in it: the child is gone
                if ended or time.monotonic() - server.started > seconds:
                    reason = t("run.stopped.deadline", seconds=round(seconds)) if not ended else None
                    status = _retire(server, {s.pid for s in servers.values() if s is not server})
                    results[server.current] = Stopped(reason or why_it_ended(status, Budget(seconds, seconds), False))
                    del servers[slot]
    finally:
        for server in servers.values():
            _retire(server, {s.pid for s in servers.values() if s is not server})
    return results  # type: ignore[return-value]


def _serve(work: Callable[[A], T], items: Sequence[A], siblings: dict[int, _Server]) -> _Server:
    tasks_read, tasks_write = os.pipe()
    reports_read, reports_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setpgid(0, 0)
            die_with_parent()
            for fd in (tasks_write, reports_read, *(f for s in siblings.values() for f in (s.to_child, s.from_child))):
                os.close(fd)
            with os.fdopen(tasks_read, "rb") as asked, os.fdopen(reports_write, "wb") as answers:
                while number := asked.read(_FRAME.size):
                    (index,) = _FRAME.unpack(number)
                    try:
                        reply: object = (True, work(items[index]))
                    except Exception as error:  # noqa: BLE001 - one item's failure is that item's
                        reply = (False, f"{type(error).__name__}")
                    data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
                    answers.write(_FRAME.pack(len(data)) + data)
                    answers.flush()
            code = 0
        finally:
            os._exit(code)
    os.close(tasks_read)
    os.close(reports_write)
    info = processes.process_info(pid)
    return _Server(pid, tasks_write, reports_read, info.start if info is not None else 0)


def _receive(server: _Server, results: list[T | Stopped | None]) -> bool:
    """Read what the server sent; True when its current item's result is complete (and recorded)."""
    chunk = os.read(server.from_child, 1 << 20)
    if not chunk:
        return False
    server.pending += chunk
    if len(server.pending) < _FRAME.size:
        return True
    (size,) = _FRAME.unpack_from(server.pending)
    if len(server.pending) < _FRAME.size + size:
        return True  # more is on its way: still its current item
    ok, value = pickle.loads(bytes(server.pending[_FRAME.size:_FRAME.size + size]))  # the grader's own child
    del server.pending[:_FRAME.size + size]
    assert server.current is not None
    results[server.current] = value if ok else Stopped(t("run.stopped.error", error=value))
    server.current = None
    return True


def _retire(server: _Server, others: set[int]) -> int:
    """End a server (and whatever it started, sparing the ``others`` servers); its wait status."""
    _end(server.pid, server.since, others)
    for fd in (server.to_child, server.from_child):
        with contextlib.suppress(OSError):
            os.close(fd)
    _, status = os.waitpid(server.pid, 0)
    return status


def _end(pid: int, since: int, spare: set[int] | None = None) -> None:
    """Kill the child ``pid`` and every process it started (its group, its descendants, the orphans handed to
    us since it started), sparing ``spare`` (other children of ours and theirs)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    processes.sweep(pid, since, spare or set())


def _watched(budget: Budget, work: Callable[[], T]) -> T | Stopped:
    """``work()`` in this process, interrupted (as by Ctrl-C) at the wall-clock deadline."""
    fired = threading.Event()

    def fire() -> None:
        fired.set()
        _thread.interrupt_main()

    timer = threading.Timer(budget.seconds, fire)
    timer.daemon = True
    done: list[T] = []
    # interrupt_main does nothing where SIGINT is ignored (a command a shell starts with &) or left to the
    # system: Python's own handler stands in while the work runs, and what was there before comes back after
    found = signal.getsignal(signal.SIGINT)
    handled = threading.current_thread() is threading.main_thread() and found in (signal.SIG_IGN, signal.SIG_DFL)
    if handled:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        try:
            try:
                timer.start()
                done.append(work())
            finally:
                timer.cancel()
                timer.join()
            if fired.is_set():  # it fired as the work ended: its interrupt is on its way; let it arrive here
                time.sleep(0.5)
        except KeyboardInterrupt:
            if not fired.is_set():
                raise
    finally:
        if handled:
            signal.signal(signal.SIGINT, found)
    if done:
        return done[0]
    return Stopped(t("run.stopped.deadline", seconds=round(budget.seconds)))


def stopped_run(unit: Unit, stopped: Stopped, seed: int, student: str | None, duration: float = 0.0) -> Run:
    """The run of a submission whose grading was stopped: no test ran, every task scores 0 with the reason."""
    return Run(outcomes={}, collection_errors={}, seed=seed, layers=[], output="", intake_problems={},
               duration=duration, unit=unit.id, student=student, stopped=stopped.reason)


def run_within(unit: Unit, submission: Path, kind: Kind = "hidden", *, seed: int, sandbox_mode: SandboxMode = "auto",
               student: str | None = None, practice: bool = False) -> Run:
    """``run_suites`` within the unit's budget (``Budget.of``): its run, or a stopped run saying why. With the
    portable worker (a student's own machine, which may have no ``fork`` and no POSIX facilities) the work runs
    here, under the watchdog."""
    started = time.monotonic()
    result = within(Budget.of(unit), lambda: run_suites(unit, submission, kind, seed=seed, sandbox_mode=sandbox_mode,
                                                        student=student, practice=practice),
                    in_child=sandbox_mode != "portable")
    if isinstance(result, Stopped):
        return stopped_run(unit, result, seed, student, time.monotonic() - started)
    return result
