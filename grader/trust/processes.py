"""Finding and ending every process a submission started.

Killing the worker's process group is not enough: student code can call
``setsid`` or fork twice and leave a daemon behind. Two mechanisms find such
processes, whichever the machine offers:

- a **control group** per worker (cgroup v1 ``pids`` and ``memory``, or v2),
  joined before the worker program starts, so every descendant is a member
  whatever it does; it also bounds how many processes and how much memory the
  submission has in all, which ``RLIMIT_NPROC`` cannot do for root;
- otherwise the **process tree**: the grader makes itself a child subreaper,
  so orphans of the worker become its children instead of init's, and the
  sweep kills the worker's descendants and such orphans.

Inside a bubblewrap PID namespace neither is needed for killing (the namespace
dies with its first process), but the control group still counts and bounds.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PARENT = "convgrader"
_counter = itertools.count(1)


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text, encoding="ascii")
    except OSError:
        return False
    return True


def _read_pids(path: Path) -> set[int]:
    try:
        return {int(line) for line in path.read_text(encoding="ascii").split()}
    except (OSError, ValueError):
        return set()


@dataclass
class Cgroup:
    """One worker's control group(s): ``dirs`` maps each controller to its folder."""

    dirs: dict[str, Path]
    version: int
    oom_base: int = 0

    @classmethod
    def create(cls, processes: int, memory_bytes: int) -> Cgroup | None:
        """A fresh group limited to ``processes`` and ``memory_bytes``, or None where we may not make one."""
        name = f"w{os.getpid()}-{next(_counter)}"
        v2 = CGROUP_ROOT / "cgroup.controllers"
        if v2.is_file():
            return cls._create_v2(name, processes, memory_bytes)
        dirs: dict[str, Path] = {}
        for controller, setting, value in (("pids", "pids.max", processes),
                                           ("memory", "memory.limit_in_bytes", memory_bytes)):
            parent = CGROUP_ROOT / controller / GROUP_PARENT
            try:
                parent.mkdir(exist_ok=True)
                _remove_stale(parent)
                (parent / name).mkdir()
            except OSError:
                continue
            if _write(parent / name / setting, str(value)):
                dirs[controller] = parent / name
            else:
                _rmdir(parent / name)
        if "pids" not in dirs:
            for path in dirs.values():
                _rmdir(path)
            return None
        return cls(dirs, 1)

    @classmethod
    def _create_v2(cls, name: str, processes: int, memory_bytes: int) -> Cgroup | None:
        parent = CGROUP_ROOT / GROUP_PARENT
        try:
            parent.mkdir(exist_ok=True)
            _write(parent / "cgroup.subtree_control", "+pids +memory")
            _remove_stale(parent)
            (parent / name).mkdir()
        except OSError:
            return None
        group = cls({"pids": parent / name}, 2)
        if not _write(parent / name / "pids.max", str(processes)):
            group.remove()
            return None
        if _write(parent / name / "memory.max", str(memory_bytes)):
            group.dirs["memory"] = parent / name
        return group

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` preceded by a shell that joins the group, then becomes ``argv`` (same pid)."""
        procs = sorted({str(path / "cgroup.procs") for path in self.dirs.values()})
        joins = " && ".join(f'echo $$ > "${i}"' for i in range(1, len(procs) + 1))
        return ["/bin/sh", "-c", f'{joins} && shift {len(procs)} && exec "$@"', "sh", *procs, *argv]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.dirs.values():
            found |= _read_pids(path / "cgroup.procs")
        return found

    def kill_all(self, patience: float = 5.0, spare: frozenset[int] = frozenset()) -> bool:
        """SIGKILL every member but ``spare`` until none is left; False if some survive ``patience`` seconds."""
        if not spare and self.version == 2:
            _write(self.dirs["pids"] / "cgroup.kill", "1")
        deadline = time.monotonic() + patience
        pause = 0.0002  # a killed process is usually gone within a millisecond: look again soon, then less often
        while True:
            members = self.pids() - spare
            if not members:
                return True
            if time.monotonic() > deadline:
                return False
            for pid in members:
                _kill(pid)
            time.sleep(pause)
            pause = min(0.005, pause * 2)

    def _oom_kills(self) -> int:
        path = self.dirs.get("memory")
        if path is None:
            return 0
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            lines = (path / name).read_text(encoding="ascii").splitlines()
        except OSError:
            return 0
        counts = dict(line.split()[:2] for line in lines if len(line.split()) >= 2)
        return int(counts.get("oom_kill", "0"))

    def mark(self) -> None:
        """Start counting memory kills afresh (a group reused for another worker)."""
        self.oom_base = self._oom_kills()

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a member for going over the memory limit (since ``mark``)."""
        return self._oom_kills() > self.oom_base

    def remove(self) -> None:
        for path in self.dirs.values():
            _rmdir(path)


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def _remove_stale(parent: Path) -> None:
    """Remove empty groups left by graders that are no longer running."""
    for child in parent.glob("w*-*"):
        owner = child.name[1:].partition("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            _rmdir(child)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- the process tree, where there is no control group ----------------------

PR_SET_CHILD_SUBREAPER = 36
_subreaper = [False]


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children rather than init's (Linux)."""
    if not _subreaper[0]:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _subreaper[0] = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            return False
    return _subreaper[0]


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    session: int
    start: int  # clock ticks after boot
    zombie: bool
    stopped: bool = False


def process_info(pid: int) -> ProcessInfo | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stream:
            stat = stream.read().decode("ascii", "replace")
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return ProcessInfo(pid, int(fields[1]), int(fields[3]), int(fields[19]), fields[0] in ("Z", "X"),
                           fields[0] in ("T", "t"))
    except (IndexError, ValueError):
        return None


def process_table() -> dict[int, ProcessInfo]:
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            info = process_info(int(entry.name))
            if info is not None:
                table[info.pid] = info
    return table


def strays(root: int, since: int, spare: set[int]) -> set[int]:
    """Processes of the worker ``root``: its descendants, its session, and orphans handed to us.

    An orphan counts when it is our child, started no earlier than the worker
    (``since``), and is not one of the processes in ``spare`` (other workers).
    """
    table = process_table()
    me = os.getpid()
    found = {root} if root in table else set()
    found |= {p.pid for p in table.values() if p.session == root}
    found |= {p.pid for p in table.values() if p.ppid == me and p.start >= since and p.pid not in spare}
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found -= spare
    stack = list(found)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found and child not in spare:
                found.add(child)
                stack.append(child)
    found.discard(me)
    for pid in list(found):
        if table[pid].zombie:  # already dead; only its parent's wait is missing
            found.discard(pid)
            if table[pid].ppid == me and pid != root:
                _reap(pid)
    return found - spare


def sweep(root: int, since: int, spare: set[int], patience: float = 5.0) -> bool:
    """SIGKILL the worker's processes (see ``strays``) until a scan finds none; False on giving up."""
    deadline = time.monotonic() + patience
    first = True
    pause = 0.0002
    while True:
        found = strays(root, since, spare)
        # a process may fork between a scan and its kill: stop only after a scan that follows the kills
        if not first and not found - {root}:
            return True
        if time.monotonic() > deadline:
            return False
        for pid in found:
            _kill(pid)
        first = False
        time.sleep(pause)
        pause = min(0.002, pause * 2)


def _reap(pid: int) -> None:
    """Collect an orphan that became our child, so it does not stay a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
