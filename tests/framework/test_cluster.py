"""``grade-all --executor dask`` on a cluster that shares nothing with the client but the scheduler: a scheduler
and two workers, each a process of its own, the workers in folders of their own where the class and the course
do not exist (a mount namespace lays an empty file system over them). The grades are the local executor's; a
worker killed mid-class costs nothing; a submission that brings down every worker it meets is reported, after a
bounded number of tries, and the class is done."""

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

import grader as grader_package
from grader.classwork.outputs import FEEDBACK, RESULTS
from grader.trust.bubblewrap import bubblewrap

if not os.environ.get("CI"):  # in CI (the test extra installs it) a missing Dask fails instead
    pytest.importorskip("distributed", reason="dask is not installed (pip install -e '.[batch]')")
BWRAP = bubblewrap()
pytestmark = pytest.mark.skipif(BWRAP is None and not os.environ.get("CI"),
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
        self._until(self.file.exists, "the scheduler did not start")
        self.address = json.loads(self.file.read_text())["address"]

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


@pytest.fixture
def hidden(tmp_path, make_class, mini):
    """A folder the workers cannot see, holding a copy of the mini course and a class of it."""
    folder = tmp_path / "hidden"
    folder.mkdir()
    course = Path(shutil.copytree(mini.root, folder / "mini", ignore=shutil.ignore_patterns("__pycache__")))
    make_class(folder / "class")
    return folder, course


@pytest.fixture
def cluster(tmp_path, hidden):
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


def test_workers_that_share_nothing_but_the_scheduler_grade_as_the_local_executor(tmp_path, hidden, cluster):
    folder, course = hidden
    students = folder / "class"
    running = cluster()
    with running.client() as client:  # where the workers are, neither the class nor the course exists
        seen = client.run(lambda: [os.path.exists(path) for path in (students, course, course / "course.yaml")])
        places = client.run(os.getcwd)
    assert len(seen) == 2 and all(found == [False, False, False] for found in seen.values()), seen
    assert sorted(Path(place).name for place in places.values()) == ["worker0", "worker1"]
    assert students.is_dir() and (course / "course.yaml").is_file()  # here, they do
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert grader(course, "grade-all", str(students), "--out", str(local), "--no-similarity").returncode == 0
    done = grader(course, "grade-all", str(students), "--out", str(remote), "--no-similarity", "--executor", "dask",
                  "--scheduler", running.address)
    assert done.returncode == 0, done.stderr + running.log("worker0")[-3000:]
    assert "graded 6, up to date 0, could not grade 0" in done.stdout
    assert "graded 6/6" in done.stderr  # the same progress line as the local executor's
    assert (remote / "grades.csv").read_text() == (local / "grades.csv").read_text()
    for student in (p.name for p in students.iterdir()):
        mine, theirs = (json.loads((base / student / RESULTS).read_text()) for base in (local, remote))
        assert mine["tests"] == theirs["tests"] and mine["score"] == theirs["score"], student
        assert (local / student / FEEDBACK).read_text() == (remote / student / FEEDBACK).read_text()
    # graded again: every grade is up to date; forced, the same grades once more (the workers kept the course)
    again = grader(course, "grade-all", str(students), "--out", str(remote), "--no-similarity", "--executor", "dask",
                   "--scheduler", running.address)
    assert again.returncode == 0 and "graded 0, up to date 6" in again.stdout
    forced = grader(course, "grade-all", str(students), "--out", str(remote), "--no-similarity", "--executor",
                    "dask", "--scheduler", running.address, "--force", "--lang", "en")
    assert forced.returncode == 0 and "graded 6, up to date 0" in forced.stdout, forced.stderr
    assert (remote / "grades.csv").read_text() == (local / "grades.csv").read_text()


def slow_class(folder: Path, mini, size: int, seconds: float) -> list[str]:
    """``size`` correct submissions, each taking about ``seconds`` to import (a class that lasts)."""
    folder.mkdir()
    for index in range(size):
        student = Path(shutil.copytree(mini.source_dir, folder / f"s{index:02}"))
        arith = student / "arith.py"
        arith.write_text(arith.read_text() + f"\n\nimport time\ntime.sleep({seconds})\n")
    return sorted(p.name for p in folder.iterdir())


def test_a_worker_killed_mid_class_costs_no_submission(tmp_path, hidden, cluster, mini):
    folder, course = hidden
    students = slow_class(folder / "slow", mini, 30, 0.25)
    running = cluster()
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "--course", str(course), "grade-all",
                                str(folder / "slow"), "--out", str(out), "--no-similarity", "--executor", "dask",
                                "--scheduler", running.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    Cluster._until(lambda: len(list(out.glob(f"*/{RESULTS}"))) >= 4, "no results came")
    running.kill("worker1")
    at_the_kill = len(list(out.glob(f"*/{RESULTS}")))
    stdout, stderr = process.communicate(timeout=600)
    assert at_the_kill < len(students), "the class was over before the kill: nothing was proved"
    assert process.returncode == 0, stderr
    assert f"graded {len(students)}, up to date 0, could not grade 0" in stdout
    graded = rows(out)
    assert sorted(row["student"] for row in graded) == students  # each once
    assert {row["status"] for row in graded} == {"graded"} and {row["score"] for row in graded} == {"10"}


def test_a_submission_that_ends_every_worker_it_meets_is_reported_and_the_class_finishes(tmp_path, hidden, cluster,
                                                                                          mini):
    folder, course = hidden
    (course / "tests" / "units" / "mini" / "hidden" / "test_arith.py").open("a").write(POISON_TEST)
    poison = folder / "class" / "poison"
    shutil.copytree(mini.source_dir, poison)
    (poison / "arith.py").write_text((poison / "arith.py").read_text() + "\n\ndef double(x):\n    return -x\n")
    # each worker has a nanny, which starts it again when it dies; Dask gives a task up after two deaths
    running = cluster(nanny=True, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    out = tmp_path / "out"
    done = grader(course, "grade-all", str(folder / "class"), "--out", str(out), "--no-similarity", "--executor",
                  "dask", "--scheduler", running.address)
    assert done.returncode == 1, done.stderr
    assert "graded 6, up to date 0, could not grade 1" in done.stdout
    assert "poison: every Dask worker that graded it ended while grading it, on two tries" in done.stdout
    graded = {row["student"]: row["status"] for row in rows(out)}
    assert graded.pop("poison") == "not graded" and set(graded.values()) == {"graded"} and len(graded) == 6
    # Dask's two tries, then two alone: never more
    assert sum(running.log(f"worker{index}").count("was killed by signal") for index in range(2)) == 4


def test_the_cluster_must_be_named_and_reachable_and_its_workers_must_run_this_grader(tmp_path, hidden, cluster,
                                                                                     monkeypatch):
    folder, course = hidden
    students, out = str(folder / "class"), str(tmp_path / "out")
    unnamed = grader(course, "grade-all", students, "--out", out, "--executor", "dask")
    assert unnamed.returncode == 2 and "--executor dask needs --scheduler ADDRESS" in unnamed.stderr
    nobody = grader(course, "grade-all", students, "--out", out, "--executor", "dask", "--scheduler",
                    "tcp://127.0.0.1:9", "--no-similarity",
                    env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert nobody.returncode == 2 and "cannot reach the Dask scheduler tcp://127.0.0.1:9" in nobody.stderr
    assert "Traceback" not in nobody.stderr
    empty = cluster(workers=0)
    nobody_works = grader(course, "grade-all", students, "--out", out, "--executor", "dask", "--scheduler",
                          empty.address, "--no-similarity")
    assert nobody_works.returncode == 2 and f"the Dask scheduler {empty.address} has no worker" in nobody_works.stderr
    empty.close()
    # a worker whose grader is not this one would grade otherwise: the class is refused, naming it
    other = tmp_path / "other"
    shutil.copytree(Path(grader_package.__file__).parent, other / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "grader" / "__init__.py", "a") as changed:
        changed.write("# another version\n")
    running = cluster(workers=1, PYTHONPATH=os.pathsep.join(filter(None, [str(other), os.environ.get("PYTHONPATH")])))
    refused = grader(course, "grade-all", students, "--out", out, "--executor", "dask", "--scheduler",
                     running.address, "--no-similarity")
    assert refused.returncode == 2, refused.stderr
    assert "1 of 1 Dask workers run another version of the grader than this machine" in refused.stderr
    assert not list((tmp_path / "out").glob(f"*/{RESULTS}"))


def test_a_class_interrupted_on_the_cluster_resumes_where_it_stopped(tmp_path, hidden, cluster, mini):
    folder, course = hidden
    students = slow_class(folder / "slow", mini, 24, 0.25)
    running = cluster()
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "--course", str(course), "grade-all", str(folder / "slow"), "--out",
               str(out), "--no-similarity", "--executor", "dask", "--scheduler", running.address]
    # started with Ctrl-C ignored, as a shell starts a background job (and as a test process may have left it):
    # grade-all stops on it all the same, as the local executor does
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    Cluster._until(lambda: len(list(out.glob(f"*/{RESULTS}"))) >= 3, "no results came")
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted;" in stderr and "Traceback" not in stderr
    done = {p.parent.name for p in out.glob(f"*/{RESULTS}")}
    assert 3 <= len(done) < len(students)
    assert {row["student"] for row in rows(out) if row["status"] == "graded"} == done
    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"graded {len(students) - len(done)}, up to date {len(done)}, could not grade 0" in again.stdout
    assert sorted(row["student"] for row in rows(out) if row["status"] == "graded") == students


def test_a_new_version_of_the_course_replaces_the_old_on_the_workers_and_an_idle_process_ends(tmp_path, hidden,
                                                                                              cluster):
    from grader.classwork.cluster import DaskExecutor
    from grader.classwork.dask_worker import course_plugins
    from grader.classwork.discovery import discover
    from grader.classwork.fingerprints import to_grade
    from grader.model.course import load_course
    from grader.rendering.feedback import Feedback

    def serving() -> int:
        """How many warm grading processes the worker it runs on keeps (defined here: sent by value)."""
        import psutil

        return sum("grader.classwork.serve" in " ".join(child.cmdline()) for child in psutil.Process().children())

    folder, course = hidden
    students = folder / "class"
    running = cluster()
    first = grader(course, "grade-all", str(students), "--out", str(tmp_path / "v1"), "--no-similarity",
                   "--executor", "dask", "--scheduler", running.address)
    assert first.returncode == 0, first.stderr
    with running.client() as client:
        before = client.run(course_plugins)
        assert all(len(names) == 1 for names in before.values()) and len(set(map(tuple, before.values()))) == 1
        assert set(client.run(serving).values()) == {1}  # warm, after the class: ready for the next
    # the course changes (a test of the first task weighs more): the workers must grade with the new version
    suite = course / "tests" / "units" / "mini" / "hidden" / "test_arith.py"
    suite.write_text(suite.read_text().replace("def test_", "@pytest.mark.weight(3)\ndef test_", 1))
    assert "import pytest" in suite.read_text()
    local = grader(course, "grade-all", str(students), "--out", str(tmp_path / "local"), "--no-similarity")
    second = grader(course, "grade-all", str(students), "--out", str(tmp_path / "v2"), "--no-similarity",
                    "--executor", "dask", "--scheduler", running.address)
    assert local.returncode == 0 and second.returncode == 0, second.stderr
    assert (tmp_path / "v2" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    assert (tmp_path / "v2" / "grades.csv").read_text() != (tmp_path / "v1" / "grades.csv").read_text()
    with running.client() as client:
        after = client.run(course_plugins)
        assert all(len(names) == 1 for names in after.values()) and set(map(tuple, after.values())) != set(
            map(tuple, before.values()))
        assert set(client.run(serving).values()) == {1}  # the old version's process is gone with it
    # a worker's process ends when it has been idle long enough, and comes back for the next submission (another
    # sandbox mode: a course of its own on the workers, set to wait one second)
    unit = load_course(course).unit()
    executor = DaskExecutor(running.address, unit, tmp_path / "v3", None, Feedback.for_unit(unit), "process",
                            idle_seconds=1)
    executor.run(to_grade(unit, discover(students), tmp_path / "v3", None, True)[0])
    assert len(executor.graded) == 6 and not executor.failed
    with running.client() as client:
        Cluster._until(lambda: set(client.run(serving).values()) == {0}, "the idle processes did not end", 30)
    executor.run(to_grade(unit, discover(students), tmp_path / "v3", None, True)[0])
    assert len(executor.graded) == 12 and not executor.failed
