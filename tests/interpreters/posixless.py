"""Run the grader as it would run on Windows: with every POSIX-only facility made unavailable, so that any use
of one raises. The portable worker (``grader --sandbox portable``) must not need any of them.

    python tests/interpreters/posixless.py verdicts [verdicts.py's options]
    python tests/interpreters/posixless.py grader [the grader's arguments]

Made unavailable, in the grader's process and in the worker's: for the grader's own code (its modules and the
worker's script), the modules ``resource``, ``fcntl`` and ``termios``; ``select.select``, ``poll`` and
``epoll``; ``os.fork``, ``killpg``, ``setsid``, ``setpgid``, ``getpgid``, ``pidfd_open``, ``geteuid`` and
``getuid``; and ``/proc`` and ``/sys``. For everyone: ``ctypes.CDLL`` (``prctl``) and ``subprocess.Popen`` with
``pass_fds``, ``start_new_session``, ``process_group`` or ``preexec_fn``. (Python's ``subprocess`` and psutil
keep their own POSIX insides: on Windows they have others.) Each use raises ``PosixOnly``, naming it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The same code runs first in the grader's process and, prepended to its source, in every worker.
POISON = r'''
import builtins as _builtins, os as _os, sys as _sys

class PosixOnly(AssertionError):
    pass

def _unavailable(name):
    def refuse(*args, **kwargs):
        raise PosixOnly(name + " is POSIX-only: the portable mode must not use it")
    return refuse

def _ours():
    """Whether the caller's caller is the grader's code (its modules, or the worker's script)."""
    name = _sys._getframe(2).f_globals.get("__name__", "")
    return name.startswith("grader") or name == "__main__"

class _guarded:
    """``function`` for everyone but the grader (a callable object, not a function: stored on a class, as
    ``selectors`` stores ``select.poll``, it must not become a method)."""

    def __init__(self, function, name):
        self.function, self.name = function, name

    def __call__(self, *args, **kwargs):
        if _ours():
            raise PosixOnly(self.name + " is POSIX-only: the portable mode must not use it")
        return self.function(*args, **kwargs)

_import = _builtins.__import__

def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    importer = (globals or {}).get("__name__", "")
    if name.partition(".")[0] in ("resource", "fcntl", "termios") and (importer.startswith("grader")
                                                                      or importer == "__main__"):
        raise PosixOnly("the module " + name + " is POSIX-only: the portable mode must not import it")
    return _import(name, globals, locals, fromlist, level)

_builtins.__import__ = _guarded_import
import select as _select  # Windows has it, for sockets only: the grader must not wait on pipes with it
for _name in ("select", "poll", "epoll"):
    if hasattr(_select, _name):
        setattr(_select, _name, _guarded(getattr(_select, _name), "select." + _name))
for _name in ("fork", "forkpty", "killpg", "setsid", "setpgid", "getpgid", "pidfd_open", "geteuid", "getuid"):
    if hasattr(_os, _name):
        setattr(_os, _name, _guarded(getattr(_os, _name), "os." + _name))

import ctypes as _ctypes
_ctypes.CDLL = _unavailable("ctypes.CDLL")

import subprocess as _subprocess
_Popen = _subprocess.Popen

class _PortablePopen(_Popen):
    def __init__(self, *args, **kwargs):
        for option in ("pass_fds", "start_new_session", "process_group", "preexec_fn"):
            if kwargs.get(option):
                raise PosixOnly("subprocess.Popen(" + option + "=...) is POSIX-only")
        super().__init__(*args, **kwargs)

_subprocess.Popen = _PortablePopen

_open = _builtins.open

def _guarded_open(file, *args, **kwargs):
    caller = _sys._getframe(1).f_globals.get("__name__", "")
    if (caller.startswith("grader") or caller == "__main__") and str(file).startswith(("/proc", "/sys")):
        raise PosixOnly("reading " + str(file) + " is Linux-only")
    return _open(file, *args, **kwargs)

_builtins.open = _guarded_open
'''


def main() -> int:
    exec(compile(POISON, "posixless", "exec"), {})
    sys.path.insert(0, str(ROOT))
    from grader.trust import policy

    original = policy.worker_source()
    policy.worker_source = lambda: POISON + "\n" + original  # every worker starts poisoned too
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "verdicts":
        sys.path.insert(0, str(ROOT / "tests" / "interpreters"))
        import verdicts

        return int(verdicts.main(rest))
    from grader.cli import main as grader

    return int(grader(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
