"""Faults on a Dask cluster (``tests/dask_cluster.py``): a worker killed mid-class costs no submission; a
submission that brings down every worker it meets is reported after a bounded number of tries, and the class is
done; a class interrupted on the cluster resumes where it stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from dask_cluster import POISON_TEST, Cluster, cluster_fixture, grader, hidden_fixture, needs_cluster, rows, slow_class  # noqa: F401 - the fixtures, by their names

from grader.classwork.outputs import RESULTS

pytestmark = needs_cluster


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
