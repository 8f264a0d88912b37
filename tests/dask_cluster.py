"""A Dask cluster for the tests of ``grade-all --executor dask``, sharing nothing with the client but the
scheduler: a scheduler and workers, each a process of its own, the workers in folders of their own where the class
and the course do not exist (a mount namespace lays an empty file system over them). Test modules import the
fixtures (``cluster_fixture``, ``hidden_fixture``) and mark themselves with ``needs_cluster``."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.trust.bubblewrap import bubblewrap

if not os.environ.get("CI"):  # in CI (the test extra installs it) a missing Dask fails instead
    pytest.importorskip("distributed", reason="dask is not installed (pip install -e '.[batch]')")
BWRAP = bubblewrap()
needs_cluster = pytest.mark.skipif(BWRAP is None and not os.environ.get("CI"),
                                   reason="no working bwrap to hide the class from the workers")

# A hidden test of the course copy used below: a submission whose double(21) is -21 ends the Dask worker grading
# it (the test runs in a child of the worker's grading process, whose parent is the worker): what a submission
# that brings down its grader does, without a way out of the sandbox.
POISON_TEST = '''
import os
import signal


def test_that_ends_the_worker(submission):
    if submission.arith.double(21) == -21:
        service = os.getppid()
        with open(f"/proc/{service}/stat") as stat:
            worker = int(stat.read().rpartition(")")[2].split()[1])
        os.kill(worker, signal.SIGKILL)
'''


def grader(course: Path, *args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "--course", str(course), *args], capture_output=True,
                          text=True, timeout=600, **options)


def rows(out: Path) -> list[dict[str, str]]:
    with (out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Cluster:
    """A scheduler and workers, each a process (group) of its own; the workers cannot see ``hidden``."""

    def __init__(self, base: Path, hidden: Path, environment: dict[str, str] | None = None) -> None:
        self.base, self.hidden = base, hidden
        self.environment = {**os.environ, **(environment or {})}
        self.file = base / "scheduler.json"
        self.processes: dict[str, subprocess.Popen] = {}
        self._start("scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", "0", "--no-dashboard", "--scheduler-file", str(self.file)])
        # the scheduler writes its file in more than one step: wait until it reads whole
        self._until(lambda: self._written_address() is not None, "the scheduler did not start")
        self.address = str(self._written_address())

    def _written_address(self) -> str | None:
        try:
            return str(json.loads(self.file.read_text())["address"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _start(self, name: str, command: list[str], cwd: Path | None = None) -> None:
        folder = cwd or self.base / name
        folder.mkdir(exist_ok=True)
        log = open(self.base / f"{name}.log", "wb")  # noqa: SIM115 - kept open by the process
        self.processes[name] = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                                env=self.environment, start_new_session=True)
        log.close()

    def worker(self, name: str, nanny: bool = False) -> None:
        """A worker of one thread in a folder of its own, in a mount namespace where ``hidden`` is empty."""
        assert BWRAP is not None
        folder = self.base / name
        folder.mkdir()
        self._start(name, [BWRAP.path, "--dev-bind", "/", "/", "--tmpfs", str(self.hidden), "--chdir", str(folder),
                           "--die-with-parent", "--", sys.executable, "-m", "distributed.cli.dask_worker",
                           "--scheduler-file", str(self.file), "--nthreads", "1", "--name", name,
                           "--local-directory", str(folder), "--no-dashboard",
                           "--nanny" if nanny else "--no-nanny"], folder)

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=30)

    def wait_for(self, workers: int) -> None:
        with self.client() as client:
            client.wait_for_workers(workers, timeout=120)

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait(timeout=30)

    def close(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)

    def log(self, name: str) -> str:
        return (self.base / f"{name}.log").read_text(errors="replace")

    @staticmethod
    def _until(condition, why: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(why)
            time.sleep(0.05)


@pytest.fixture(name="hidden")
def hidden_fixture(tmp_path, make_class, mini):
    """A folder the workers cannot see, holding a copy of the mini course and a class of it."""
    folder = tmp_path / "hidden"
    folder.mkdir()
    course = Path(shutil.copytree(mini.root, folder / "mini", ignore=shutil.ignore_patterns("__pycache__")))
    make_class(folder / "class")
    return folder, course


@pytest.fixture(name="cluster")
def cluster_fixture(tmp_path, hidden):
    made = []

    def start(workers: int = 2, nanny: bool = False, **environment: str) -> Cluster:
        base = tmp_path / f"cluster{len(made)}"
        base.mkdir()
        cluster = Cluster(base, hidden[0], environment)
        made.append(cluster)
        for index in range(workers):
            cluster.worker(f"worker{index}", nanny)
        if workers:
            cluster.wait_for(workers)
        return cluster

    yield start
    for cluster in made:
        cluster.close()


def slow_class(folder: Path, mini, size: int, seconds: float) -> list[str]:
    """``size`` correct submissions, each taking about ``seconds`` to import (a class that lasts)."""
    folder.mkdir()
    for index in range(size):
        student = Path(shutil.copytree(mini.source_dir, folder / f"s{index:02}"))
        arith = student / "arith.py"
        arith.write_text(arith.read_text() + f"\n\nimport time\ntime.sleep({seconds})\n")
    return sorted(p.name for p in folder.iterdir())
