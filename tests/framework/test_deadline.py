"""A deadline on the grader's own work: whatever a submission makes the trusted side do, grading it ends in
bounded time with a report that says why it scored 0, in ``grade``, ``check``, ``grade-all`` and the Dask task
alike, and the rest of a class is graded as usual."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.running import deadline
from grader.running.deadline import Budget, Stopped, each_within, grading_seconds, within
from grader.trust import processes

ROOT = Path(__file__).resolve().parents[2]

LINUX = sys.platform.startswith("linux")


def spin() -> int:
    return sum(range(10**13))  # one C call: no signal handler nor thread gets the interpreter back before it ends


def sleep_long() -> None:
    time.sleep(600)


def leave_a_daemon(pid_file: str) -> None:
    """Start a process in a session of its own (out of the child's group), note its pid, then hang."""
    daemon = subprocess.Popen(["sleep", "600"], start_new_session=True)
    Path(pid_file).write_text(str(daemon.pid))
    time.sleep(600)


def alive(pid: int) -> bool:
    info = processes.process_info(pid)
    return info is not None and not info.zombie


@pytest.mark.skipif(not LINUX, reason="the forked child is Linux's; elsewhere the watchdog (tested below)")
class TestWithin:
    def test_the_result_comes_back_and_an_exception_is_raised_again(self):
        assert within(Budget(20, 20), lambda: {"a": [1, 2.5]}) == {"a": [1, 2.5]}
        with pytest.raises(OSError, match="disk full"):
            within(Budget(20, 20), lambda: (_ for _ in ()).throw(OSError(28, "disk full")))

    def test_work_inside_c_is_stopped_by_its_cpu_budget(self):
        started = time.monotonic()
        result = within(Budget(60, 1), spin)
        assert isinstance(result, Stopped) and result.reason.code == "run.stopped.cpu"
        assert time.monotonic() - started < 30

    def test_work_that_waits_is_stopped_at_its_deadline(self):
        started = time.monotonic()
        result = within(Budget(1, 60), sleep_long)
        assert isinstance(result, Stopped) and result.reason.code == "run.stopped.deadline"
        assert time.monotonic() - started < 30

    def test_nothing_the_work_started_outlives_it(self, tmp_path):
        pid_file = tmp_path / "pid"
        result = within(Budget(2, 60), lambda: leave_a_daemon(str(pid_file)))
        assert isinstance(result, Stopped)
        daemon = int(pid_file.read_text())
        deadline = time.monotonic() + 10
        while alive(daemon) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(daemon)

    def test_a_child_that_ends_without_a_word_is_stopped_with_its_status(self):
        result = within(Budget(20, 20), lambda: os._exit(5))
        assert isinstance(result, Stopped) and result.reason.code == "run.stopped.ended"
        assert result.reason.params["status"] == 5


def test_without_fork_a_watchdog_interrupts_python_work_at_the_deadline(monkeypatch):
    monkeypatch.setattr(deadline, "forking", lambda: False)
    assert within(Budget(5, 5), lambda: 42) == 42

    def loop():
        while True:
            pass

    started = time.monotonic()
    result = within(Budget(1, 1), loop)
    assert isinstance(result, Stopped) and result.reason.code == "run.stopped.deadline"
    assert time.monotonic() - started < 10

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # a real Ctrl-C is not taken for the deadline
        within(Budget(5, 5), interrupted)


def one_item(item: str) -> str:
    if item == "hang":
        time.sleep(600)
    if item == "spin":
        spin()
    if item == "crash":
        os._exit(4)
    if item == "raise":
        raise ValueError("no")
    return item.upper()


WATCHED_WITH_SIGINT_IGNORED = """
import signal, sys, time
from grader.running import deadline
from grader.running.deadline import Budget, Stopped, within
deadline.forking = lambda: False
assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # as a shell leaves a command started with &

def loop():
    while True:
        pass

result = within(Budget(1, 1), loop)
assert isinstance(result, Stopped) and result.reason.code == "run.stopped.deadline", result
assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # and as it was found, afterwards
print("stopped")
"""


def test_the_watchdog_stops_work_even_where_ctrl_c_is_ignored():
    # a command a shell starts in the background (``grader check &``, a script's ``&``) ignores SIGINT: the
    # watchdog's interrupt must reach the work all the same
    done = subprocess.run([sys.executable, "-c", WATCHED_WITH_SIGINT_IGNORED], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert done.returncode == 0 and done.stdout.strip() == "stopped", done.stderr[-2000:]


@pytest.mark.skipif(not LINUX, reason="the forked children are Linux's")
def test_each_item_has_a_deadline_of_its_own_and_costs_no_other_its_place():
    items = ["hang", "spin", "a", "crash", "b", "raise", "c", "d", "e", "f"]
    started = time.monotonic()
    found = each_within(2.0, one_item, items, jobs=2)
    took = time.monotonic() - started
    assert [r if isinstance(r, str) else r.reason.code for r in found] == [
        "run.stopped.deadline", "run.stopped.deadline", "A", "run.stopped.ended", "B", "run.stopped.error", "C", "D",
        "E", "F"]
    assert took < 30, took  # two items of 2 s each, side by side, and the rest at once


def test_the_deadline_grows_with_the_units_limits(mini):
    limits = mini.limits
    # each module's import and the helpers', and decoding the modules and the answers, each within import_seconds
    assert grading_seconds(limits, len(mini.modules)) == (
        limits.submission_seconds + limits.import_seconds * (2 + 1 + 2) + max(5, limits.submission_seconds / 4))
    assert Budget.of(mini).cpu_seconds == limits.grading_cpu_seconds == 30


# --- the commands --------------------------------------------------------------------------------

# A hidden and a public test of the mini course with a bug of the grader's own that a submission can trigger:
# it computes without end (a reader's bug) or waits without end, on the trusted side, where no worker limit
# applies.
TRAP = '''

def test_the_graders_own_work(grading):
    source = grading.session.intake.sources.get("arith", "")
    if "SPIN" in source:
        sum(range(10**13))
    if "WAIT" in source:
        import time
        time.sleep(600)
'''


@pytest.fixture
def trapped(mini_copy):
    """A mini course whose suites hang the grader on a marked submission; a small CPU budget and deadline."""
    text = (mini_copy / "course.yaml").read_text()
    text = text.replace("  submission_seconds: 60\n", "  submission_seconds: 1\n  grading_cpu_seconds: 2\n")
    text = text.replace("  import_seconds: 10\n", "  import_seconds: 1\n")
    (mini_copy / "course.yaml").write_text(text)
    for suite in ("hidden", "public"):
        path = mini_copy / "tests" / "units" / "mini" / suite / "test_arith.py"
        path.write_text(path.read_text() + TRAP)
    return mini_copy


def marked(course: Path, folder: Path, marker: str) -> Path:
    """The solutions, with ``marker`` in a comment of arith.py."""
    folder.mkdir(parents=True)
    for source in (course / "solutions").glob("*.py"):
        (folder / source.name).write_text(source.read_text() + (f"# {marker}\n" if source.stem == "arith" else ""))
    return folder


def test_grade_writes_a_report_that_says_the_grading_was_stopped(trapped, cli, tmp_path):
    spinning = marked(trapped, tmp_path / "spinning", "SPIN")
    started = time.monotonic()
    done = cli("grade", str(spinning), "--json", str(tmp_path / "results.json"), "--feedback", str(tmp_path / "f.md"),
               course=trapped)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 120
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["score"] == 0 and report["extra_data"]["stopped"].startswith("grading stopped: checking this")
    assert all(test["score"] == 0 and "more than 2 s of the grader's CPU time" in test["output"]
               for test in report["tests"])
    assert "more than 2 s of the grader's CPU time" in done.stdout and "Total: 0/10" in done.stdout
    assert "grading stopped" in (tmp_path / "f.md").read_text()
    honest = cli("grade", str(trapped / "solutions"), course=trapped)
    assert "Total: 10/10" in honest.stdout  # the trap is only sprung by the marked submission


def test_check_says_so_in_the_students_language_and_names_no_next_step(trapped, cli, tmp_path):
    spinning = marked(trapped, tmp_path / "spinning", "SPIN")
    done = cli("check", str(spinning), "--lang", "zh", course=trapped)
    assert done.returncode == 1
    assert "评分已停止" in done.stdout and "下一步" not in done.stdout, done.stdout


def test_grade_all_stops_one_submission_and_grades_the_rest(trapped, cli, tmp_path):
    folder = tmp_path / "class"
    for name in ("ada", "bob"):
        marked(trapped, folder / name, "")
    marked(trapped, folder / "spins", "SPIN")
    marked(trapped, folder / "waits", "WAIT")
    started = time.monotonic()
    done = cli("grade-all", str(folder), "--out", str(tmp_path / "out"), "--no-similarity", "--jobs", "2",
               course=trapped)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 120
    scores = {name: json.loads((tmp_path / "out" / name / "results.json").read_text()) for name in
              ("ada", "bob", "spins", "waits")}
    assert scores["ada"]["score"] == scores["bob"]["score"] == 10
    assert scores["spins"]["score"] == scores["waits"]["score"] == 0
    assert "CPU time" in scores["spins"]["extra_data"]["stopped"]
    deadline_seconds = 1 + 1 * (2 + 1 + 2) + 5
    assert f"took the grader more than {deadline_seconds} s" in scores["waits"]["extra_data"]["stopped"]
    # stopped, not lost: graded in this run, and up to date in the next
    again = cli("grade-all", str(folder), "--out", str(tmp_path / "out"), "--no-similarity", course=trapped)
    assert "up to date 4" in again.stdout, again.stdout


def test_a_run_within_its_budget_gives_what_the_run_gives_in_this_process(mini, tmp_path):
    """The forked child sends its run back whole: every reference submission is graded alike both ways."""
    from grader.authoring.mistakes import load_mistakes, materialize
    from grader.rendering.scoring import score_run
    from grader.running.deadline import run_within
    from grader.running.pipeline import run_suites

    submissions = [mini.source_dir, mini.stubs_dir, *sorted(p for p in mini.content("styles").iterdir())]
    submissions += [materialize(mini, mistake, tmp_path / mistake.name) for mistake in load_mistakes(mini)]
    for path in submissions:
        for kind in ("hidden", "public"):
            here = run_suites(mini, path, kind, seed=1234)
            there = run_within(mini, path, kind, seed=1234)
            assert there.stopped is None
            seen = [{name: (o.passed, o.status, o.message, o.finding) for name, o in run.outcomes.items()}
                    for run in (here, there)]
            assert seen[0] == seen[1], path
            assert score_run(mini, here).score == score_run(mini, there).score
            assert (here.intake_problems, here.layers, here.output) == (there.intake_problems, there.layers,
                                                                        there.output)
