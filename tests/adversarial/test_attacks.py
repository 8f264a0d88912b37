"""Attack submissions: each must score 0 and leave the grader and the machine as they were.

Every attack in ``attacks.yaml`` is graded in this process, like ``grader
grade`` does, with the course's limits tightened so that attacks that loop
cost seconds, not minutes. Around each grading this module watches what the
attack could have harmed: the processes of the machine, the course's files,
site-packages, /tmp, a listening socket on loopback, a secret in the grader's
environment and the report after it was written.

The last tests grade a correct submission in the same process (nothing was
poisoned) and prove, for a few attacks, that they do succeed where their
defence is missing, so that a pass here means the defence worked.
"""

import ctypes
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import background
import pytest
import yaml

from grader.model.course import Unit, load_course
from grader.model.files import write_json
from grader.rendering.reports import gradescope
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites
from grader.trust import processes
from grader.trust.bubblewrap import bubblewrap, bwrap_works
from grader.trust.policy import cgroups_work

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COURSE = load_course(ROOT).unit("conv")  # the attacks are written against the conv unit's modules
ATTACKS: dict = yaml.safe_load((HERE / "attacks.yaml").read_text(encoding="utf-8"))
SEED = 1234
# Tight limits: a looping attack then costs about 12 s instead of the course's 120 s.
LIMITS = COURSE.limits.model_copy(update={
    "call_seconds": 1.5, "import_seconds": 3.0, "submission_seconds": 12.0, "memory_mb": 512,
})
TIGHT = Unit(COURSE.course, COURSE.model.model_copy(update={"limits": LIMITS}))
KILL_SLACK = 1.5  # seconds a worker may live beyond the limit it is killed at: its start, and the sampling
BOUND_SECONDS = LIMITS.submission_seconds + 3 * LIMITS.import_seconds + 30
MODULE_FILES = {f"{m}.py" for m in COURSE.modules}
WATCHED = ["solutions", "exercises", "grader", "tests/units", "course.yaml",
           "pyproject.toml"]
SECRET_NAME = "CONVGRADER_TEST_SECRET"


def materialize(attack: str, dest: Path) -> Path:
    """The stubs with the attack laid over them (see attacks.yaml)."""
    shutil.copytree(COURSE.stubs_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    folder = HERE / "attacks" / attack
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if not path.is_file():
            continue
        relative = path.relative_to(folder)
        target = dest / relative
        if str(relative) in MODULE_FILES:
            kit = "".join(f"\n\n{(HERE / 'kit' / f'{name}.py').read_text(encoding='utf-8')}"
                          for name in ATTACKS[attack].get("kit") or [])
            appended = kit + path.read_text(encoding="utf-8")
            target.write_text(target.read_text(encoding="utf-8") + appended, encoding="utf-8")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    for name, inside in (ATTACKS[attack].get("symlinks") or {}).items():
        (dest / name).unlink()
        (dest / name).symlink_to(ROOT / inside)
    return dest


# --- what an attack could harm ---------------------------------------------------


def course_digest() -> dict[str, str]:
    digest = {}
    for name in WATCHED:
        top = ROOT / name
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest[str(path.relative_to(ROOT))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def planted_files() -> list[str]:
    """Files named like the attacks' plants, wherever an attack would put them."""
    places = {ROOT, ROOT / "tests" / "hidden" / "conv", Path("/tmp"), Path.home(), *map(Path, sys.path)}
    found = []
    for place in places:
        if place.is_dir():
            found += [str(p) for p in place.iterdir() if "PWNED" in p.name]
    return found


def descendants(since: int) -> dict[int, processes.ProcessInfo]:
    """Live processes that the grading under test started, since ``since``.

    Only this process's descendants count: what the grader starts is its descendant, and an orphan of it is
    handed back to it (a subreaper, or the sandbox's PID namespace, or its control group, killed whole). The
    suite's own background jobs (``tests/background.py``) and anything else on the machine are left out.
    """
    table = processes.process_table()
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    jobs = background.started_by_jobs()
    found = {}
    stack = [os.getpid()]
    while stack:
        for pid in children.get(stack.pop(), []):
            if pid in jobs:
                continue
            stack.append(pid)
            info = table[pid]
            if info.start >= since and not info.zombie:
                found[pid] = info
    return found


def interesting_processes(since: int) -> dict[int, str]:
    """Of ``descendants(since)``, those running what a submission could run."""
    sandbox = bubblewrap()
    programs = {os.path.realpath(sys.executable), sandbox.path if sandbox else "bwrap", "/usr/bin/dash", "/bin/dash"}
    found = {}
    for pid in descendants(since):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if exe in programs:
            found[pid] = exe
    return found


class Lifetimes:
    """How long each process the grading started was seen alive, sampled every 50 ms while it grades."""

    def __init__(self, since: int) -> None:
        self.since = since
        self.seen: dict[tuple[int, int], float] = {}  # (pid, start in clock ticks) -> seconds after boot, last seen
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopped.wait(0.05):
            now = uptime()
            for pid, info in descendants(self.since).items():
                self.seen[pid, info.start] = now

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def longest(self) -> float:
        """The longest life seen, in seconds (0 if none was seen)."""
        ticks = os.sysconf("SC_CLK_TCK")
        return max((last - start / ticks for (_, start), last in self.seen.items()), default=0.0)


class Listener:
    """A TCP server on loopback that counts who connects."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.server.settimeout(0.2)
        self.connections = 0
        self.stopped = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.stopped = True
        self.thread.join(timeout=2)
        self.server.close()


def uptime() -> float:
    with open("/proc/uptime", encoding="ascii") as stream:
        return float(stream.read().split()[0])


def clock_ticks_now() -> int:
    return int(uptime() * os.sysconf("SC_CLK_TCK"))


@pytest.fixture(scope="module")
def hostile_code_may_run():
    """Refuses (fails, never skips) where running the attacks would endanger this machine."""
    if not bwrap_works():
        pytest.fail("the adversarial suite runs only inside bubblewrap: install the `bubblewrap` package "
                    "(.ci/run does) or make user namespaces available")
    if os.geteuid() == 0 and not cgroups_work():
        pytest.fail("running as root without a pids control group: nothing would bound a fork bomb")


GRADED: dict[str, float] = {}


def grade_attack(attack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Grade one attack and check every promise of the integrity contract."""
    spec = ATTACKS[attack]
    secret = secrets.token_hex(16)
    monkeypatch.setenv(SECRET_NAME, secret)
    submission = materialize(attack, tmp_path / "submission")
    before_digest = course_digest()
    before_planted = planted_files()
    listener = Listener()
    since = clock_ticks_now()
    lives = Lifetimes(since)
    started = time.monotonic()
    try:
        run = run_suites(TIGHT, submission, seed=SEED, sandbox_mode="bwrap")
    finally:
        listener.close()
        lives.stop()
    elapsed = time.monotonic() - started
    left = interesting_processes(since)
    score = score_run(TIGHT, run)
    report = tmp_path / "out" / "results.json"
    write_json(report, gradescope(score, run))
    written = report.read_text(encoding="utf-8")
    time.sleep(float(spec.get("watch_seconds", 0)))
    GRADED[attack] = score.score

    passed = [f"{o.file}::{o.name}" for o in run.outcomes.values() if o.passed]
    allowed = [p for p in passed if any(p.startswith(m) for m in spec.get("may_pass") or [])]
    assert passed == allowed, f"{attack} passed tests it must not: {sorted(set(passed) - set(allowed))}"
    if not spec.get("may_pass"):
        assert score.score == 0
    not_run = [name for name, outcome in run.outcomes.items() if outcome.status == "not run"]
    assert len(run.outcomes) >= 60 and not not_run, f"the hidden suites did not all run: {not_run[:5]}"
    assert elapsed < BOUND_SECONDS, f"grading took {elapsed:.1f} s"
    assert not left, f"processes left running: {left}"
    if "killed_at" in spec:  # the worker was killed at its limit, not merely abandoned until the end
        limit = getattr(LIMITS, spec["killed_at"])
        assert lives.seen and lives.longest() < limit + KILL_SLACK, \
            f"a process lived {lives.longest():.1f} s; the {spec['killed_at']} limit is {limit} s"
    assert course_digest() == before_digest, "a file of the course changed"
    assert planted_files() == before_planted, "the attack planted files outside its sandbox"
    assert listener.connections == 0, "the attack reached a socket on loopback"
    assert secret not in written and secret not in run.output, "the grader's environment leaked into the report"
    assert report.read_text(encoding="utf-8") == written, "the report changed after it was written"
    assert sorted(p.name for p in report.parent.iterdir()) == ["results.json"]
    # the cap is for the whole submission; joining the workers' outputs adds a newline each, and a note
    assert len(run.output) <= (LIMITS.output_kb << 10) + 1024, "the captured output is not capped"


@pytest.mark.usefixtures("hostile_code_may_run")
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_scores_zero_and_harms_nothing(attack, tmp_path, monkeypatch):
    grade_attack(attack, tmp_path, monkeypatch)


def test_the_leftover_check_sees_what_grading_leaves_and_nothing_else():
    """A process this test process started and left running is found, an orphan of it too; a background job's
    process and a process started elsewhere on the machine are not."""
    since = clock_ticks_now()
    libc = ctypes.CDLL(None, use_errno=True)
    was = ctypes.c_int(0)
    libc.prctl(37, ctypes.byref(was), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    libc.prctl(36, 0, 0, 0, 0)  # not a subreaper for a moment: this orphan goes to init, as another job's would
    elsewhere = subprocess.Popen(["setsid", "-f", *sleeper])
    elsewhere.wait(timeout=60)
    libc.prctl(36, 1, 0, 0, 0)  # a subreaper, as the grader is where there is no control group
    left = subprocess.Popen(sleeper)
    orphaning = subprocess.run([sys.executable, "-c", "import subprocess, sys; subprocess.Popen(sys.argv[1:])",
                                *sleeper], timeout=60)
    assert orphaning.returncode == 0
    others = background.started_by_jobs()  # the suite's own jobs, running now: never touched here
    job = threading.Thread(target=background.run, args=(sleeper,), kwargs={"timeout": 60}, daemon=True)
    job.start()
    mine: set[int] = set()
    try:
        deadline = time.monotonic() + 30
        while not mine and time.monotonic() < deadline:
            time.sleep(0.01)
            mine = background.started_by_jobs() - others
        found = interesting_processes(since)
        assert mine and not mine & set(found)
        assert left.pid in found and len(found) == 2, found  # the child, and the orphan handed to us
    finally:
        for pid in [*interesting_processes(since), *mine]:
            os.kill(pid, 9)
        left.wait(timeout=60)
        job.join(timeout=60)
    stray = [pid for pid, info in processes.process_table().items()
             if info.start >= since and not info.zombie and info.ppid == 1 and "time.sleep(60)" in
             Path(f"/proc/{pid}/cmdline").read_text(errors="replace").replace("\0", " ")]
    for pid in stray:  # the one started elsewhere
        os.kill(pid, 9)
    libc.prctl(36, was.value, 0, 0, 0)
    assert stray, "the process started elsewhere was running, and the check left it out"


def test_every_attack_is_described_and_every_folder_is_an_attack():
    folders = {p.name for p in (HERE / "attacks").iterdir() if p.is_dir()}
    assert folders <= set(ATTACKS)
    for attack, spec in ATTACKS.items():
        assert spec.get("threat") and spec.get("stopped_by"), attack
        assert attack in folders or spec.get("symlinks"), f"{attack} has nothing to attack with"
    counted = re.search(r"\((\d+) in all, described in\s+`attacks.yaml`\)", (ROOT / "README.md").read_text())
    assert counted and int(counted.group(1)) == len(ATTACKS), "the README counts the attacks"


def test_attacks_are_built_on_the_stubs(tmp_path):
    for attack in ATTACKS:
        built = materialize(attack, tmp_path / attack)
        for module in MODULE_FILES:
            stub = (COURSE.stubs_dir / module).read_text(encoding="utf-8")
            path = built / module
            if path.is_symlink():
                continue
            assert path.read_text(encoding="utf-8").startswith(stub), (attack, module)


@pytest.mark.usefixtures("hostile_code_may_run")
def test_a_correct_submission_after_every_attack_still_gets_full_marks(tmp_path, monkeypatch):
    # Run whatever attack this process has not graded yet (e.g. under -k), then the solutions.
    for attack in sorted(set(ATTACKS) - set(GRADED)):
        grade_attack(attack, tmp_path / attack, monkeypatch)
    run = run_suites(COURSE, COURSE.source_dir, seed=SEED)
    assert score_run(COURSE, run).score == COURSE.max_score


# --- teeth: where the defence is missing, the attack works ---------------------------


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)


def test_solutions_found_on_disk_would_score_without_the_mount_namespace(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    submission = materialize("search_disk_for_solutions", tmp_path / "submission")
    run = run_suites(TIGHT, submission, seed=SEED, sandbox_mode="process")
    code = [o for o in run.outcomes.values() if o.file != "test_questions.py"]  # the attack copies code, not answers
    assert code and all(o.passed for o in code)


def test_secrets_in_proc_would_leak_without_the_pid_namespace(tmp_path):
    secret = secrets.token_hex(16)
    submission = materialize("read_proc_for_secrets", tmp_path / "submission")
    report = tmp_path / "results.json"
    env = {**os.environ, SECRET_NAME: secret}
    done = cli("grade", str(submission), "--sandbox", "process", "--json", str(report), env=env)
    assert done.returncode == 0, done.stderr
    assert secret in report.read_text(encoding="utf-8")
    done = cli("grade", str(submission), "--sandbox", "bwrap", "--json", str(report), env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert secret not in json.dumps(data) and data["score"] == 0


def test_loopback_would_be_reached_without_the_network_namespace(tmp_path):
    """The control: without the network namespace the attack reaches a listener. It is aimed at this test's own
    listener only: every port of the machine would include other runs' listeners, and fail their checks."""
    listener = Listener()
    try:
        submission = materialize("loopback_and_outside_sockets", tmp_path / "submission")
        attack = submission / "activators.py"
        every_port = "sorted(_listening_ports()) + [22, 80, 443, 8000, 8080]"
        assert every_port in attack.read_text()
        attack.write_text(attack.read_text().replace(every_port, f"[{listener.server.getsockname()[1]}]"))
        run_suites(TIGHT, submission, seed=SEED, sandbox_mode="process", task_ids=["relu"])
    finally:
        listener.close()
    assert listener.connections > 0


def test_a_daemon_that_sees_the_report_path_is_dead_before_the_report_is_written(tmp_path):
    """Without the namespaces (``--sandbox process``) the daemon can read ``--json PATH`` from the grader's command
    line and write there. What stops it then is the kill of every process of the submission before the report is
    written: the report stays the grader's, seconds after the grader is done."""
    submission = materialize("report_rewriting_daemon", tmp_path / "submission")
    evidence = tmp_path / "daemon-was-here"
    for module in submission.glob("*.py"):  # its trace goes to this test's folder, not to the shared /tmp
        module.write_text(module.read_text().replace("/tmp/PWNED-daemon-was-here", str(evidence)))
    report = tmp_path / "report" / "results.json"
    done = cli("grade", str(submission), "--sandbox", "process", "--json", str(report))
    assert done.returncode == 0, done.stderr
    written = report.read_text(encoding="utf-8")
    time.sleep(2.0)  # the daemon rewrites every 0.2 s
    assert evidence.exists(), "the daemon never ran: this control proves nothing"
    assert report.read_text(encoding="utf-8") == written, "the report changed after it was written"
    assert json.loads(written)["score"] == 0
