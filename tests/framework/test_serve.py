"""The warm grading process a Dask worker keeps (``python -m grader.classwork.serve``): jobs arrive on its input
while it runs, each graded as the local executor grades it, each answered on its output; it ends with its input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.classwork.outputs import FEEDBACK, RESULTS
from grader.classwork.serve import claim_cores

MINI = Path(__file__).parent / "fixtures" / "mini"


def request(ident: str, path: Path, student: str = "alice", **more) -> bytes:
    job = {"id": ident, "student": student, "path": str(path), "fingerprint": f"fp-{ident}", "submitted_at": None,
           "seed": None, "lang": None, **more}
    return json.dumps(job).encode() + b"\n"


def test_jobs_arrive_while_it_runs_and_each_is_answered_as_the_local_executor_grades_it(tmp_path, mini):
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader.classwork.serve", str(MINI), "mini", "--out", str(out),
                                "--jobs", "2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=tmp_path)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(request("one", mini.source_dir) + b"not json\n" + request("two", mini.stubs_dir, "bob")
                        + request("../three", mini.source_dir) + request("four", mini.source_dir, lang="zh"))
    process.stdin.flush()
    answers = [json.loads(process.stdout.readline()) for _ in range(3)]
    time.sleep(0.5)  # nothing more is said of the two requests it could not read
    process.stdin.write(request("five", tmp_path / "nothing here"))  # it is still there, and warm
    process.stdin.flush()
    answers.append(json.loads(process.stdout.readline()))
    process.stdin.close()  # the end of its input: it leaves
    assert process.wait(timeout=60) == 0
    errors = process.stderr.read().decode()
    assert {answer["id"] for answer in answers} == {"one", "two", "four", "five"}
    assert all(answer["failure"] is None for answer in answers)
    assert errors.count("a request was not understood") == 2, errors
    reports = {ident: json.loads((out / ident / RESULTS).read_text()) for ident in ("one", "two", "four", "five")}
    assert reports["one"]["score"] == mini.max_score and reports["two"]["score"] == 0
    assert reports["five"]["score"] == 0
    assert reports["two"]["extra_data"]["fingerprint"] == "fp-two"
    assert "得分" in (out / "four" / FEEDBACK).read_text() and "Score" in (out / "one" / FEEDBACK).read_text()
    assert not (tmp_path / "three").exists() and sorted(p.name for p in out.iterdir()) == ["five", "four", "one",
                                                                                            "two"]


def test_a_course_whose_suites_cannot_be_collected_ends_it_with_the_reason(tmp_path, mini_copy):
    (mini_copy / "tests" / "units" / "mini" / "hidden" / "test_arith.py").write_text("def broken(:\n")
    done = subprocess.run([sys.executable, "-m", "grader.classwork.serve", str(mini_copy), "mini", "--out",
                           str(tmp_path / "out")], input=request("one", mini_copy / "solutions"), capture_output=True,
                          timeout=120)
    assert done.returncode == 2 and b"the hidden suites cannot be collected" in done.stderr
    assert done.stdout == b""


def test_grading_processes_on_one_machine_claim_cores_no_other_holds(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the lock files of this test only
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    usable = sorted(os.sched_getaffinity(0))
    first, held = claim_cores(1)
    assert first == usable[:1] and len(held) == 1
    claim = "from grader.classwork.serve import claim_cores; print(claim_cores(1)[0])"
    other = subprocess.run([sys.executable, "-c", claim], capture_output=True, text=True, env={**os.environ},
                           timeout=60)
    assert other.stdout.strip() == (str(usable[1:2]) if len(usable) > 1 else "None"), other.stderr
    assert claim_cores(len(usable)) == (None, [])  # not that many free: no pinning at all, nothing kept
    for fd in held:
        os.close(fd)  # its lock goes with it
    again = subprocess.run([sys.executable, "-c", claim], capture_output=True, text=True, timeout=60)
    assert again.stdout.strip() == str(usable[:1])


# A stand-in for the grading process: the first one takes a job and stops answering, but lives on a while (its
# answers have ended before it has); the next one answers every job.
STAND_IN = r'''
import json, os, pathlib, sys, time
first = pathlib.Path(sys.argv[1])
if not first.exists():
    first.touch()
    sys.stdin.readline()
    os.close(1)
    time.sleep(5)
    sys.exit(0)
for line in sys.stdin:
    job = json.loads(line)
    out = pathlib.Path(sys.argv[2]) / job["id"]
    out.mkdir(parents=True)
    (out / "results.json").write_text(json.dumps({"extra_data": {"fingerprint": job["fingerprint"]}}))
    (out / "feedback.md").write_text("the page")
    print(json.dumps({"id": job["id"], "failure": None}), flush=True)
'''


def test_a_job_lost_with_a_process_that_stopped_answering_goes_to_a_new_one(tmp_path):
    import threading

    if not os.environ.get("CI"):  # in CI (the test extra installs it) a missing Dask fails instead
        pytest.importorskip("distributed", reason="dask is not installed (pip install -e '.[batch]')")

    from grader.classwork.dask_worker import Service
    from grader.running.transport import carry

    class StandIn(Service):
        def command(self) -> list[str]:
            return [sys.executable, "-c", STAND_IN, str(tmp_path / "first"), str(self.out)]

    service = StandIn(tmp_path / "service", tmp_path / "course", "mini", 1, "process")
    service.folder.mkdir()
    student = tmp_path / "alice"
    student.mkdir()
    (student / "arith.py").write_text("x = 1\n")
    said = []
    grading = threading.Thread(target=lambda: said.extend(service.grade(
        [({"student": "alice", "fingerprint": "fp"}, carry(student, ["arith"], 64))])), daemon=True)
    grading.start()
    grading.join(timeout=30)
    service.close()
    assert not grading.is_alive(), "the job went to the process that no longer answers"
    assert [(graded.report, graded.page, graded.failure) for graded in said] == [
        ('{"extra_data": {"fingerprint": "fp"}}', "the page", None)]
    assert service.generation == 2


def test_it_goes_on_quietly_when_no_one_reads_its_answers_and_ends_with_its_requests(tmp_path, mini):
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader.classwork.serve", str(MINI), "mini", "--out", str(out)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert process.stdin is not None and process.stdout is not None
    process.stdout.close()  # whoever asked is going
    process.stdin.write(request("one", mini.source_dir))
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while not (out / "one" / RESULTS).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # its answer has been written to no one; it goes on until its requests end
    process.stdin.write(request("two", mini.source_dir))
    process.stdin.flush()
    deadline = time.monotonic() + 60
    while not (out / "two" / RESULTS).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (out / "two" / RESULTS).exists()
    process.stdin.close()
    assert process.wait(timeout=60) == 0
    assert b"Traceback" not in process.stderr.read()
