"""A zygote: a sandboxed process with NumPy (and the unit's helpers) loaded, which forks warm workers, one
submission at a time."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import time
from typing import Any

from ..model.course import Limits
from ..model.messages import t
from . import processes
from .child import WorkerFailure
from .policy import SandboxMode, plan

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
                raise WorkerFailure(t("worker.silent", doing=t("doing.starting")))
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
            raise WorkerFailure(t("worker.garbled", doing=t("doing.starting")))
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
