"""The worker on a student's own machine: any system Python runs on (Windows, macOS, Linux without the sandbox).

``grader check`` runs the public checks, on the student's own code, on the
student's own machine: there is nothing there to protect from that code, but
the checks must still end (an endless loop is a timeout, not a hang) and leave
nothing running. This worker is built only on what every platform has:

- a child process (``subprocess.Popen``, no ``fork``, no ``pass_fds``, no new
  session), ``python -I -S`` with a small environment;
- requests on its stdin, replies on its stdout, the student's prints moved to
  its stderr (the worker does this itself first, with ``os.dup``/``os.dup2``);
- pipes read by threads (no ``select`` on pipes): replies into a queue, waited
  on with a timeout; the output drained up to a cap; a request written by a
  thread, so a worker that stops reading cannot stall the grader;
- on a timeout or at the end, the process and every process it started killed
  with psutil: the worker is suspended first, so it can start nothing new,
  then its descendants, found again until none is new, then all are killed.
  A process that left the tree before (a daemon re-parented elsewhere) is out
  of reach: on a student's own machine, their own business.

No ``resource`` limits, ``killpg``, ``/proc``, ``prctl``, control groups or
namespaces: the layers it reports say exactly that. Hidden grading never comes
here by itself on Linux (see ``grader.trust.policy.plan``).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from typing import Any

from ..model.messages import Text, t
from . import wire
from .child import OutputDrain, Spawned, WorkerFailure

LAYERS = ["separate process", "python -I -S", "small environment", "wall-clock limit", "output cap",
          "kill: process tree (psutil)"]
# what a Python needs to start on each platform; nothing else of the student's environment is passed on
KEPT_ENV = ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP", "PATH", "LANG", "HOME", "USERPROFILE")


def environment() -> dict[str, str]:
    env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
    env.update({"PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "OPENBLAS_NUM_THREADS": "1",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    return env


class _Closed:
    """The reply stream ended (the worker exited)."""


class _TooLarge:
    """The worker announced a reply larger than any the grader accepts."""


class PortableWorker:
    """One worker process and its pipes, as ``grader.trust.worker.Worker`` is, on portable calls only."""

    def __init__(self, argv: list[str], config: dict[str, Any], env: dict[str, str], output_cap: int,
                 cwd: str | None = None) -> None:
        self.started = time.monotonic()
        popen = subprocess.Popen([*argv, json.dumps({**config, "portable": True})], env=env, cwd=cwd,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.process = Spawned(popen)
        self._popen = popen
        self._replies: queue.Queue[bytes | _Closed | _TooLarge] = queue.Queue()
        self._reader = threading.Thread(target=self._read_replies, daemon=True)
        self._reader.start()
        self._drain = OutputDrain(popen.stderr, output_cap)
        self._drain.start()
        self.dead = False

    def _read_replies(self) -> None:
        stream = self._popen.stdout
        assert stream is not None
        try:
            while True:
                header = stream.read(wire.HEADER.size)
                if len(header) < wire.HEADER.size:
                    break
                (size,) = wire.HEADER.unpack(header)
                if size > wire.MAX_MESSAGE:
                    self._replies.put(_TooLarge())
                    return
                body = stream.read(size)
                if len(body) < size:
                    break
                self._replies.put(body)
        except (OSError, ValueError):
            pass
        self._replies.put(_Closed())

    @property
    def captured(self) -> tuple[bytes, int]:
        """What the worker printed, as far as it is kept, and how many bytes more were dropped."""
        return bytes(self._drain.kept), self._drain.dropped

    def _write(self, data: bytes, timeout: float) -> None:
        """Send ``data`` on the worker's stdin, from a thread: a worker that stops reading cannot stall us."""
        failed: list[BaseException] = []

        def write() -> None:
            try:
                stdin = self._popen.stdin
                assert stdin is not None
                stdin.write(data)
                stdin.flush()
            except (OSError, ValueError) as error:
                failed.append(error)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(timeout)
        if writer.is_alive():
            raise TimeoutError
        if failed:
            raise BrokenPipeError

    def request(self, message: dict[str, Any], timeout: float, doing: Text | str) -> dict[str, Any]:
        if self.dead:
            raise WorkerFailure(t("worker.gone"))
        deadline = time.monotonic() + timeout
        try:
            self._write(wire.frame(message), timeout)
            answer = self._replies.get(timeout=max(deadline - time.monotonic(), 0))
        except (TimeoutError, queue.Empty):
            self.kill()
            raise WorkerFailure(t("worker.timeout", seconds=timeout, doing=doing)) from None
        except BrokenPipeError:
            answer = _Closed()
        if isinstance(answer, _TooLarge):
            self.kill()
            raise WorkerFailure(t("worker.too_large", doing=doing))
        if isinstance(answer, _Closed):
            code, params = self._death()
            raise WorkerFailure(t(code, doing=doing, **params))
        try:
            reply = wire.parse(answer)
        except (ValueError, UnicodeDecodeError):
            reply = None
        if not wire.is_reply(reply):
            self.kill()
            raise WorkerFailure(t("worker.garbled", doing=doing))
        return reply

    def _death(self) -> tuple[str, dict[str, Any]]:
        try:
            code = self._popen.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return "worker.silent", {}
        self.kill()
        if code < 0:
            return "worker.crashed", {"signal": f"signal {-code}"}
        return "worker.exited", {"status": code}

    def kill(self) -> None:
        """End the worker and everything it started (see the module's docstring); nothing of it survives."""
        if self.dead:
            return
        self.dead = True
        kill_tree(self._popen.pid)
        try:
            self._popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self._popen.stdin, self._popen.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self._drain.join(timeout=2)


def kill_tree(pid: int, rounds: int = 20) -> None:
    """Kill the process ``pid`` and its descendants: each suspended as it is found (so none starts another),
    the tree searched again until no new process appears, then every one killed and waited for."""
    import psutil  # here, not at the top: grading in the sandbox never needs it, and it costs 20 ms to import

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    found = {pid: root}
    for _ in range(rounds):
        for process in list(found.values()):
            try:
                process.suspend()
            except psutil.Error:
                pass
        new = {}
        for process in list(found.values()):
            try:
                new.update({child.pid: child for child in process.children(recursive=True) if child.pid not in found})
            except psutil.Error:
                pass
        if not new:
            break
        found.update(new)
    for process in found.values():
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(list(found.values()), timeout=5)


def portable_only() -> bool:
    """Whether this system lacks what the sandboxed worker needs (a Linux kernel's process tools)."""
    return not sys.platform.startswith("linux")
