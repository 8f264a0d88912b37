"""A sandboxed worker: started as a policy's plan says (or forked by a zygote), asked one request at a time over
its pipes, and killed with everything it started."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
import weakref
from typing import TYPE_CHECKING, Any

from ..model.messages import Text, t
from . import processes, wire
from .child import OutputDrain, Spawned, WorkerFailure
from .policy import Plan
from .portable import PortableWorker

if TYPE_CHECKING:
    from .zygote import Zygote

_live_workers: weakref.WeakSet[Worker] = weakref.WeakSet()


class Forked:
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

    process: Spawned | Forked

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
        self.process = Spawned(popen)
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
        self.process = Forked(zygote, serial, pid)
        self._since = 0
        self._start(open(output_read, "rb"), output_cap)
        return self

    def _start(self, stream: Any, output_cap: int) -> None:
        os.set_blocking(self._cmd_write, False)
        self._pending = bytearray()
        _live_workers.add(self)
        self._drain = OutputDrain(stream, output_cap)
        self._drain.start()
        self.dead = False

    @property
    def captured(self) -> tuple[bytes, int]:
        """What the worker printed, as far as it is kept, and how many bytes more were dropped."""
        return bytes(self._drain.kept), self._drain.dropped

    def request(self, message: dict[str, Any], timeout: float, doing: Text | str) -> dict[str, Any]:
        if self.dead:
            raise WorkerFailure(t("worker.gone"))
        deadline = time.monotonic() + timeout
        try:
            data = memoryview(wire.frame(message))  # sent through a view: a slice of it copies nothing
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
        if not wire.is_reply(reply):
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
