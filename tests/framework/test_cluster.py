"""``grade-all --executor dask`` on a cluster that shares nothing with the client but the scheduler
(``tests/dask_cluster.py``): the grades are the local executor's; a cluster that cannot grade is one line; a new
version of the course replaces the old on the workers, and an idle worker's grading process ends."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dask_cluster import Cluster, cluster_fixture, grader, hidden_fixture, needs_cluster, rows  # noqa: F401

import grader as grader_package
from grader.classwork.outputs import FEEDBACK, RESULTS, SOURCES

pytestmark = needs_cluster


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
    # a late policy, and a student who submitted two days late: the time travels with the submission
    text = (course / "course.yaml").read_text()
    (course / "course.yaml").write_text(text.replace("    default: true\n", "    default: true\n    late: {due: "
                                                     "2026-12-01T23:59:00+08:00, penalty: {per: day, percent: 10}}\n"))
    times = tmp_path / "times.csv"
    times.write_text("student,submitted\nok0,2026-12-03T20:00:00+08:00\nok1,2026-12-01T10:00:00+08:00\n")
    late = ["--submitted-at", str(times)]
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert grader(course, "grade-all", str(students), "--out", str(local), "--no-similarity", *late).returncode == 0
    done = grader(course, "grade-all", str(students), "--out", str(remote), "--no-similarity", "--executor", "dask",
                  "--scheduler", running.address, *late)
    assert done.returncode == 0, done.stderr + running.log("worker0")[-3000:]
    assert "graded 6, up to date 0, could not grade 0" in done.stdout
    assert "graded 6/6" in done.stderr  # the same progress line as the local executor's
    assert f"on the Dask cluster at {running.address}: 2 workers, 2 threads" in done.stderr
    assert (remote / "grades.csv").read_text() == (local / "grades.csv").read_text()
    assert {row["student"]: row["penalty"] for row in rows(remote)}["ok0"] == "2"  # two days: 20% of 10
    for student in (p.name for p in students.iterdir()):
        mine, theirs = (json.loads((base / student / RESULTS).read_text()) for base in (local, remote))
        assert mine["tests"] == theirs["tests"] and mine["score"] == theirs["score"], student
        assert (local / student / FEEDBACK).read_text() == (remote / student / FEEDBACK).read_text()
        assert (local / student / SOURCES).read_text() == (remote / student / SOURCES).read_text()


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

        count = 0
        for child in psutil.Process().children():
            try:
                count += "grader.classwork.serve" in " ".join(child.cmdline())
            except psutil.Error:  # gone, or a zombie: not serving
                pass
        return count

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


def test_a_report_that_comes_back_with_another_submissions_fingerprint_is_not_written_as_the_students(tmp_path,
                                                                                                      mini):
    """Each report a worker sends back is written as the student whose task it was only once its fingerprint is
    the one sent with that submission: a report of another submission (a worker's mix-up, a stale result) leaves
    the student not graded, with the reason, and nothing of it in their folder. No cluster is needed: this is the
    client's side, as each result arrives."""
    from grader.classwork.cluster import DaskExecutor
    from grader.classwork.dask_worker import Graded
    from grader.classwork.discovery import Entry
    from grader.rendering.feedback import Feedback

    out = tmp_path / "out"
    out.mkdir()
    executor = DaskExecutor("tcp://127.0.0.1:1", mini, out, None, Feedback.for_unit(mini))

    def report(fingerprint: str) -> str:
        return json.dumps({"score": 10, "extra_data": {"fingerprint": fingerprint}})

    sent = {"ada": "f-ada", "bob": "f-bob", "cyd": "f-cyd"}
    back = {"ada": report("f-ada"), "bob": report("f-ada"), "cyd": json.dumps({"score": 10, "extra_data": {}})}
    for student, fingerprint in sent.items():
        executor._write(Entry(student, tmp_path / student), fingerprint, Graded(report=back[student], page="# page\n"))
    assert executor.graded == ["ada"]
    assert json.loads((out / "ada" / RESULTS).read_text())["extra_data"]["fingerprint"] == "f-ada"
    assert executor.failed == {"bob": "the worker's report is not this submission's",
                               "cyd": "the worker's report is not this submission's"}
    assert not (out / "bob").exists() and not (out / "cyd").exists()

