"""Loaded by every Python a framework test starts (its folder is put first on ``PYTHONPATH``): records each file
or folder of the real course that the process opens or lists, so the test that started it can fail
(``tests/framework/conftest.py``). It does nothing unless ``GRADER_TEST_COURSE_AUDIT`` names a log."""

import os
import sys

_LOG = os.environ.get("GRADER_TEST_COURSE_AUDIT")
_FORBIDDEN = tuple(path for path in os.environ.get("GRADER_TEST_COURSE_PATHS", "").split(os.pathsep) if path)


def _seen(event, args):
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    path = args[0]
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return
    path = os.path.normpath(path if os.path.isabs(path) else os.path.join(os.getcwd(), path))
    if not any(path == forbidden or path.startswith(forbidden + os.sep) for forbidden in _FORBIDDEN):
        return
    try:  # os.open is audited too, as "open": written with the flags below, it is never a course path
        descriptor = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, f"{os.getpid()} {event} {path}\n".encode("utf-8", "replace"))
        finally:
            os.close(descriptor)
    except OSError:
        pass


if _LOG and _FORBIDDEN:
    sys.addaudithook(_seen)
