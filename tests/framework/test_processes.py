"""Ending every process a submission started, and surviving the worker's death."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from grader.model.course import load_course
from grader.running.pipeline import run_suites
from grader.running.session import StudentError, open_submission
from grader.trust import policy, processes
from grader.trust.child import OutputDrain
from grader.trust.policy import cgroups_work

MINI = load_course(Path(__file__).parent / "fixtures" / "mini").unit()

# A parent that leaves a daemon behind: fork, setsid, fork again; the daemon prints its pid and sleeps.
DAEMON_MAKER = """
import os, sys, time
read, write = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(write, str(os.getpid()).encode() + b"\\n")
        time.sleep(120)
    os._exit(0)
os.close(write)
print(os.read(read, 100).decode().strip(), flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    info = processes.process_info(pid)
    return info is not None and not info.zombie


def wait_until_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


def start_daemon_maker(argv_prefix=()):
    process = subprocess.Popen([*argv_prefix, sys.executable, "-c", DAEMON_MAKER], stdout=subprocess.PIPE,
                               text=True, start_new_session=True)
    daemon = int(process.stdout.readline())
    info = processes.process_info(process.pid)
    return process, daemon, info.start if info else 0


def test_a_setsid_daemon_survives_a_process_group_kill_but_not_the_sweep():
    assert processes.become_subreaper()
    process, daemon, since = start_daemon_maker()
    try:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
        time.sleep(0.1)
        assert alive(daemon), "the daemon should have escaped the process group (else this test proves nothing)"
        assert processes.process_info(daemon).ppid == os.getpid(), "as subreaper, the orphan becomes our child"
        assert processes.sweep(process.pid, since, spare=set())
        assert wait_until_gone(daemon)
    finally:
        for pid in (daemon, process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_the_sweep_spares_the_processes_it_is_told_to_spare():
    assert processes.become_subreaper()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    process, daemon, since = start_daemon_maker()
    try:
        assert processes.sweep(process.pid, since, spare={bystander.pid})
        assert wait_until_gone(daemon) and wait_until_gone(process.pid)
        assert alive(bystander.pid)
    finally:
        bystander.kill()
        bystander.wait()
        process.wait(timeout=5)


@pytest.mark.skipif(not cgroups_work() and not os.environ.get("CI"), reason="no control groups may be made here")
def test_a_control_group_bounds_the_process_count_and_kills_every_member():
    group = processes.Cgroup.create(processes=8, memory_bytes=256 << 20)
    assert group is not None
    try:
        forks = "import os, time\nn = 0\nfor _ in range(50):\n    try:\n        pid = os.fork()\n" \
                "    except OSError:\n        break\n    if pid == 0:\n        os.setsid(); time.sleep(120)\n" \
                "    n += 1\nprint(n, flush=True)\ntime.sleep(120)\n"
        process = subprocess.Popen(group.wrap([sys.executable, "-c", forks]), stdout=subprocess.PIPE, text=True,
                                   start_new_session=True)
        children = int(process.stdout.readline())
        assert children < 8, "the pids limit did not stop the forks"
        members = group.pids()
        assert process.pid in members and len(members) == children + 1
        assert group.kill_all()
        process.wait(timeout=5)
        assert all(wait_until_gone(pid) for pid in members)
    finally:
        group.kill_all()
        group.remove()
    assert not any(path.exists() for path in group.dirs.values())


def slow_variant(tmp_path: Path, body: str) -> Path:
    """The mini solutions with ``total`` doing ``body`` first."""
    folder = tmp_path / "submission"
    folder.mkdir()
    for module in MINI.modules:
        text = (MINI.source_dir / f"{module}.py").read_text(encoding="utf-8")
        if module == "arrays":
            text += f"\n\n_total = total\n\n\ndef total(values):\n    {body}\n    return _total(values)\n"
        (folder / f"{module}.py").write_text(text, encoding="utf-8")
    return folder


def test_a_worker_killed_from_outside_mid_call_fails_that_call_and_the_next_one_runs(tmp_path):
    with open_submission(MINI, slow_variant(tmp_path, "import time; time.sleep(30)")) as session:
        arrays = session.module("arrays")
        assert arrays.Scaler(2.0).factor == 2.0
        worker = session._worker
        assert worker is not None
        killer = threading.Timer(0.5, lambda: os.kill(worker.process.pid, signal.SIGKILL))
        killer.start()
        started = time.monotonic()
        with pytest.raises(StudentError, match=r"^your code crashed \(SIGKILL\) during total$"):
            arrays.total([1.0, 2.0])
        assert time.monotonic() - started < 4, "the death was noticed only at the time limit"
        killer.join()
        # grading goes on: a new worker answers the next call
        assert session.module("arrays").Scaler(3.0).factor == 3.0


def test_a_worker_killed_in_one_test_fails_only_the_tests_that_kill_it(tmp_path):
    folder = slow_variant(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    run = run_suites(MINI, folder, seed=1234)
    failed = {o.name: o.message for o in run.outcomes.values() if not o.passed}
    # total is called by its own tests and by doubled_total, nowhere else
    assert set(failed) == {"test_total_random[shape0]", "test_total_random[shape1]", "test_total_random[shape2]",
                           "test_doubled_total"}, failed
    assert all("crashed (SIGKILL)" in message for message in failed.values()), failed
    assert sum(o.passed for o in run.outcomes.values()) == len(run.outcomes) - len(failed) == 9


RLIMITS_PROBE = """


def rlimits(names):
    import resource

    return {name: list(resource.getrlimit(getattr(resource, name))) for name in names}
"""


@pytest.mark.parametrize("mode", ["process", "auto"])
def test_every_rlimit_is_as_hard_as_it_is_soft_inside_the_worker(tmp_path, mode):
    """A soft limit alone can be raised by the student's code at import (to infinity): inside the worker, each
    limit the sandbox sets must be set as its hard limit too, to the value planned."""
    folder = tmp_path / "probe"
    shutil.copytree(MINI.source_dir, folder)
    (folder / "arith.py").write_text((folder / "arith.py").read_text() + RLIMITS_PROBE)
    planned = policy.plan(None, "submission", MINI.limits, mode).config["rlimits"]
    assert {"RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE"} <= set(planned)
    with open_submission(MINI, folder, mode) as session:
        seen = session.module("arith").rlimits(sorted(planned))
    assert seen == {name: [value, value] for name, value in planned.items()}


HOG = """


def hog(megabytes):
    block = bytearray(megabytes << 20)
    block[::4096] = b"x" * len(block[::4096])  # every page touched: memory the process really holds
    return len(block)
"""


@pytest.mark.parametrize("mode", ["process", "auto"])
def test_code_that_takes_more_memory_than_its_limit_fails_with_a_memory_error(tmp_path, mini_copy, mode):
    """The worker's address space is ``memory_mb`` (in MiB): half as much again, every page touched, is refused
    inside the call (a ``MemoryError``), and the worker goes on. A limit a thousand times too high would let it
    through (a control group, where there is one, allows twice ``memory_mb`` to all the worker's processes)."""
    course = mini_copy / "course.yaml"
    course.write_text(course.read_text().replace("  call_seconds: 2\n", "  call_seconds: 2\n  memory_mb: 128\n"))
    unit = load_course(mini_copy).unit()
    assert unit.limits.memory_mb == 128
    folder = tmp_path / "hog"
    shutil.copytree(unit.source_dir, folder)
    (folder / "arith.py").write_text((folder / "arith.py").read_text() + HOG)
    with open_submission(unit, folder, mode) as session:
        arith = session.module("arith")
        assert arith.hog(16) == 16 << 20  # well within the limit: allowed
        with pytest.raises(StudentError, match=r"^hog\(192\) raised MemoryError"):
            arith.hog(192)
        assert arith.double(21) == 42  # the same worker, still answering


def test_fetch_reads_a_remote_object_and_gives_plain_data_back_as_it_is(tmp_path):
    from grader.kit import fetch

    with open_submission(MINI, MINI.source_dir) as session:
        scaler = session.module("arrays").Scaler(2.0)
        assert scaler.factor == 2.0 and fetch(scaler.factor) == 2.0  # an attribute read is plain data already
        values = session.put(np.arange(3.0))
        session.module("arrays").map_each(values, session.helper("Offset")(1.0))
        assert fetch(values).tolist() == [1.0, 2.0, 3.0]


def test_the_output_drain_keeps_its_cap_in_memory_however_much_is_printed():
    """What a worker prints past the cap is counted, never kept: 256 MiB through the drain costs it a few
    chunks of memory, not the whole flood."""
    import tracemalloc

    read, write = os.pipe()
    cap = 64 << 10
    drain = OutputDrain(os.fdopen(read, "rb"), cap)
    tracemalloc.start()
    try:
        drain.start()
        block = b"x" * (1 << 20)
        with os.fdopen(write, "wb") as stream:
            for _ in range(256):
                stream.write(block)
        drain.join(60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not drain.is_alive()
    assert len(drain.kept) == cap and drain.dropped == (256 << 20) - cap
    assert peak < 16 << 20, f"the drain held {peak >> 20} MiB at its peak"
