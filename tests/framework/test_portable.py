"""The portable worker (``--sandbox portable``): what ``grader check`` uses on Windows, macOS, or a Linux without
the sandbox. Run here with every POSIX-only facility made unavailable (``tests/interpreters/posixless.py``), it
must grade as the sandbox does, end endless loops, and leave no process behind."""

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from grader.cli import main as grader_main
from grader.model.course import load_course
from grader.trust import bubblewrap, policy, portable

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
HERE = Path(__file__).resolve().parents[1] / "interpreters"


def posixless(*args, timeout=600):
    return subprocess.run([sys.executable, str(HERE / "posixless.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def verdicts(*args):
    done = subprocess.run([sys.executable, str(HERE / "verdicts.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_without_posix_the_portable_worker_grades_as_the_sandbox_does():
    done = posixless("verdicts", "--course", MINI, "--sandbox", "portable")
    assert done.returncode == 0, done.stderr[-3000:]
    portable_verdicts = json.loads(done.stdout)["units"]
    sandboxed = verdicts("--course", MINI)["units"]
    # the solutions, the stubs, each style and each mistake of both units, public and hidden
    assert sum(len(submissions) for submissions in sandboxed.values()) >= 8
    assert portable_verdicts == sandboxed


def test_without_posix_the_other_workers_cannot_even_start():
    """The facilities are really gone: the Linux worker, which needs them, fails at once."""
    done = posixless("verdicts", "--course", MINI, "--unit", "mini", "--kind", "public", "--sandbox", "process")
    assert done.returncode != 0
    assert "PosixOnly" in done.stderr and "is POSIX-only" in done.stderr


def test_an_endless_loop_times_out_without_posix(tmp_path, variant):
    looping = variant("loop", ("arith", "    return 2 * x\n", "    while True:\n        pass\n"))
    report = tmp_path / "report.json"
    done = posixless("grader", "--course", MINI, "grade", looping, "--sandbox", "portable", "--json", report,
                     timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(report.read_text())
    assert data["extra_data"]["isolation_layers"] == portable.LAYERS
    doubles = [test for test in data["tests"] if "test_double" in test["name"]]
    assert doubles and all(test["status"] == "failed" and "timed out" in test["output"] for test in doubles)
    assert data["score"] > 0  # the other tests ran after the loop was ended


def test_the_processes_a_submission_starts_are_gone_after_its_time_limit(tmp_path, variant):
    mark = f"grader-portable-{uuid.uuid4().hex}"
    body = (
        "    import subprocess, sys\n"
        "    grandchild = 'import time; time.sleep(600)'\n"
        "    child = ('import subprocess, sys, time; '\n"
        f"             'subprocess.Popen([sys.executable, \"-c\", {{!r}}, \"{mark}\"]); time.sleep(600)')\n"
        f"    subprocess.Popen([sys.executable, '-c', child.format(grandchild), '{mark}'])\n"
        "    while True:\n"
        "        pass\n"
    )
    spawning = variant("spawning", ("arith", "    return 2 * x\n", body))
    done = posixless("grader", "--course", MINI, "grade", spawning, "--sandbox", "portable", timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "timed out" in done.stdout

    def marked():
        found = []
        for process in psutil.process_iter(["cmdline"]):
            if mark in (process.info["cmdline"] or []):
                found.append(process)
        return found
    leftovers = marked()
    for process in leftovers:  # never leave them to the next test, whatever this one says
        process.kill()
    assert not leftovers, [p.info["cmdline"] for p in leftovers]


def test_the_grandchildren_were_started_at_all(tmp_path):
    """The test above proves something only if a submission there does start processes: without the limit's
    kill, the marked processes are found running."""
    mark = f"grader-portable-{uuid.uuid4().hex}"
    started = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen("
                                f"[sys.executable, '-c', 'import time; time.sleep(600)', '{mark}']); time.sleep(600)",
                                mark])
    try:
        found = []
        for _ in range(100):
            found = [p for p in psutil.process_iter(["cmdline"]) if mark in (p.info["cmdline"] or [])]
            if len(found) == 2:
                break
            time.sleep(0.05)
        portable.kill_tree(started.pid)
        assert len(found) == 2
        assert not [p for p in psutil.process_iter(["cmdline"]) if mark in (p.info["cmdline"] or [])]
    finally:
        for process in [p for p in psutil.process_iter(["cmdline"]) if mark in (p.info["cmdline"] or [])]:
            process.kill()


def test_check_without_a_sandbox_says_so_once_and_runs_portably(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(portable, "portable_only", lambda: True)
    monkeypatch.setattr(policy, "portable_only", lambda: True)
    assert grader_main(["--course", str(MINI), "check", str(UNIT.source_dir)]) == 0
    out, err = capsys.readouterr()
    assert err.count("no sandbox is available here") == 1
    assert "All public checks pass" in out
    # hidden grading on such a system says which layers ran; the Linux workers are refused with a reason
    report = tmp_path / "report.json"
    assert grader_main(["--course", str(MINI), "grade", str(UNIT.source_dir), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["extra_data"]["isolation_layers"] == portable.LAYERS
    with pytest.raises(policy.WorkerFailure, match="needs Linux"):
        policy.plan(None, "submission", UNIT.limits, "process")
    capsys.readouterr()
    assert grader_main(["--course", str(MINI), "grade", str(UNIT.source_dir), "--sandbox", "bwrap"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "grader: the bwrap sandbox needs Linux; on this system use --sandbox portable (or auto)\n"


def test_check_with_the_sandbox_here_says_nothing_of_it(capsys):
    if not bubblewrap.bwrap_works():
        pytest.skip("no bubblewrap here: check runs portably")
    assert grader_main(["--course", str(MINI), "check", str(UNIT.source_dir)]) == 0
    assert "no sandbox" not in capsys.readouterr().err
