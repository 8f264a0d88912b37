"""Long checks that run beside the rest of the suite.

A check that is mostly one long subprocess (every other Python's verdicts, ``grader validate``) is a *job*: a
function registered with ``@job("name")``. In one pytest process it runs in a thread as soon as collection ends
(``tests/course/conftest.py``) when a collected test is marked ``@pytest.mark.background("name")``, and the tests
that wait for it run last, so the job uses the core the rest leaves idle. Under pytest-xdist (the suite's
configuration) a job starts when its test runs, and those tests run first, beside the other workers. A job not
needed (deselected) never starts.

Every process a job starts goes through ``run`` and is recorded: a test that looks for processes left behind
by the code it grades leaves the jobs' processes and their descendants out (``started_by_jobs``). At the end
of the session, whatever a job still runs is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

JOBS: dict[str, Callable[[], Any]] = {}
_pool: ThreadPoolExecutor | None = None
_futures: dict[str, Future[Any]] = {}
_pids: set[int] = set()
_lock = threading.Lock()


def job(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(function: Callable[[], Any]) -> Callable[[], Any]:
        JOBS[name] = function
        return function
    return register


def start(names: set[str]) -> None:
    global _pool
    wanted = sorted(name for name in names if name in JOBS and name not in _futures)
    if not wanted:
        return
    if _pool is None:
        # one job at a time: the suite's own tests keep the other core
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="background-job")
    for name in wanted:
        _futures[name] = _pool.submit(JOBS[name])


def result(name: str, timeout: float = 3600) -> Any:
    """The job's result (started now if it was not); its exception, raised here, if it failed."""
    start({name})
    return _futures[name].result(timeout=timeout)


def run(args: list[str], timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` for jobs: text output captured, the process recorded while it runs."""
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True, **kwargs) as process:
        with _lock:
            _pids.add(process.pid)
        try:
            out, err = process.communicate(timeout=timeout)
        except BaseException:
            _kill_group(process.pid)
            process.communicate()
            raise
        finally:
            with _lock:
                _pids.discard(process.pid)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def started_by_jobs() -> set[int]:
    """The processes jobs run now (each the leader of its own session: look for their descendants too)."""
    with _lock:
        return set(_pids)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop() -> None:
    """End every job: their processes killed, their threads left to finish."""
    for pid in started_by_jobs():
        _kill_group(pid)
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
