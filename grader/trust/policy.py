"""The isolation policy: how a worker is started here, with which layers, and what a mode may ask for.

Layers, strongest first (``layers`` on a plan lists the active ones):

- bubblewrap, when it works here (see ``grader.trust.bubblewrap``): the worker runs as an unprivileged user and
  sees only the system's ``/usr``, the interpreter, NumPy and PyYAML (read-only), with a private ``/tmp``; the
  submission reaches it as bytes over its pipe, decoded there (``grader.trust.decoding``).
  The course, the grader and every other file of this machine are simply not there. When the grader dies, so
  does the sandbox (``--die-with-parent``); killing it ends the whole PID namespace.
- a control group per worker, where the grader may make one (as root): it bounds the number of processes and the
  memory of everything the submission starts, and lets the grader find and kill all of it.
- always: a process of its own in a new session, ``python -I -S`` (no environment variables, no user site, no
  ``site`` module, so no ``.pth`` or ``sitecustomize``), a scrubbed environment, rlimits set before any student
  code runs (CPU, address space, file size, open files, core dumps, and the number of processes where that limit
  means something), a wall-clock limit on every request, output captured up to a cap, and on every kill a sweep
  of the process tree (see ``grader.trust.processes``) when there is no control group.

``portable`` (and ``auto`` where the system is not Linux) is the worker of ``grader.trust.portable`` instead.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..model.course import Limits
from . import bubblewrap as bubblewraps
from . import processes
from .bubblewrap import BWRAP_SETTING, SANDBOX_LIB, SANDBOX_ROOT, bubblewrap, bwrap_works, library_paths
from .child import WorkerFailure
from .decoding import MODULES as DECODING_MODULES
from .portable import LAYERS as PORTABLE_LAYERS
from .portable import environment as portable_environment
from .portable import portable_only

SandboxMode = Literal["auto", "bwrap", "process", "portable"]
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
    cwd: str | None = None  # where the worker starts outside bubblewrap: a private folder, never the grader's


def _module(name: str, path: Path, package: str | None = None) -> str:
    """Bootstrap lines that run the grader's module at ``path`` as the module ``name`` in the worker (which
    cannot read the grader's files), registered first: its dataclasses look their module up, and a module of a
    package finds its siblings there."""
    source = path.read_text(encoding="utf-8")
    parent = f"_m.__package__ = {package!r}\n" if package else ""
    attach = f"setattr(sys.modules[{package!r}], {name.rpartition('.')[2]!r}, _m)\n" if package else ""
    return (f"_m = sys.modules[{name!r}] = types.ModuleType({name!r})\n{parent}"
            f"exec(compile({source!r}, {'grader/' + path.name!r}, 'exec'), _m.__dict__)\n{attach}")


@functools.cache
def worker_source() -> str:
    """The worker's program, as the text of one ``python -c``: the wire (``_grader_wire``), the decoders
    (the package ``_grader_decoding``, each module after those it imports) and the worker's main."""
    here = Path(__file__).parent
    decoding = here / "decoding"
    package = "_grader_decoding"
    return (
        "import sys, types\n"
        "for _p in __import__('json').loads(sys.argv[1])['paths']:\n"
        "    sys.path.append(_p)\n"
        + _module("_grader_wire", here / "wire.py")
        + f"sys.modules[{package!r}] = types.ModuleType({package!r})\n"
        + f"sys.modules[{package!r}].__path__ = []\n"
        + "".join(_module(f"{package}.{name}", decoding / f"{name}.py", package) for name in DECODING_MODULES)
        + f"_p = sys.modules[{package!r}]\n_p.__package__ = {package!r}\n"
        + f"exec(compile({(decoding / '__init__.py').read_text(encoding='utf-8')!r}, 'grader/decoding', 'exec'), "
          "_p.__dict__)\n"
        + f"exec(compile({(here / 'worker_main.py').read_text(encoding='utf-8')!r}, 'grader-worker', 'exec'), "
          "{'__name__': '__main__'})\n"
    )


@functools.cache
def cgroups_work() -> bool:
    """Whether this process may make the control group of a worker here."""
    group = processes.Cgroup.create(16, 1 << 30)
    if group is None:
        return False
    group.remove()
    return True


def python() -> str:
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


def plan(bound: Path | None, package: str, limits: Limits, mode: SandboxMode = "auto",
         workdir: Path | None = None) -> Plan:
    """How to start a worker: the submission's modules reach it over its pipe, as the package ``package``.
    ``bound``: a folder it may read (a repository whose commit is read), bound read-only at ``SANDBOX_ROOT`` in
    bubblewrap and its working folder outside; else it starts in ``workdir`` (an empty private folder) outside
    bubblewrap.

    ``portable`` (and ``auto`` where the system is not Linux) is the worker of ``grader.trust.portable``;
    otherwise every layer Linux gives, as the module's docstring says."""
    start = bound if bound is not None else workdir
    if mode == "portable" or (mode == "auto" and portable_only()):
        root = str(bound) if bound is not None else SANDBOX_ROOT
        config = {"package": package, "root": root, "paths": library_paths(), "rlimits": {}}
        return Plan(argv=[python(), "-I", "-S", "-c", worker_source()], config=config,
                    env=portable_environment(), layers=list(PORTABLE_LAYERS), portable=True,
                    cwd=str(start) if start is not None else None)
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
        prefix = bubblewraps.prefix(bwrap.path, bound)
        layers += [bwrap.layer, "unprivileged user", "user namespace", "network namespace",
                   "mount namespace (course not visible)", "PID namespace"]
    else:
        root = str(bound) if bound is not None else SANDBOX_ROOT
        paths = library_paths()
        prefix = []
    config = {"package": package, "root": root, "paths": paths, "rlimits": rlimits}
    argv = [*prefix, python(), "-I", "-S", "-c", worker_source()]
    cwd = str(start) if bwrap is None and start is not None else None
    return Plan(argv=argv, config=config, env=env, layers=layers, cgroup=cgroup, cwd=cwd)


def zygotes_work(mode: SandboxMode) -> bool:
    """Whether workers can be forked from zygotes here: bubblewrap and control groups are both needed."""
    return mode not in ("process", "portable") and not portable_only() and bwrap_works() and cgroups_work()
