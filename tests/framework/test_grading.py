"""End to end: grading submissions through the sandboxed worker."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.authoring.mistakes import Mistake, load_mistakes, materialize
from grader.authoring.validate import judge_mistake
from grader.model.course import load_course
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites
from grader.trust.sandbox import bwrap_works

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)
SEED = 1234


def grade(path, kind="hidden", **kwargs):
    run = run_suites(COURSE, Path(path), kind, seed=kwargs.pop("seed", SEED), **kwargs)
    return score_run(COURSE, run), run


def variant(tmp_path, *edits, name="variant"):
    """The solutions with exact text edits: (module, old, new)."""
    spec = Mistake(name, "", [{"module": m, "old": o, "new": n} for m, o, n in edits], [])
    return materialize(COURSE, spec, tmp_path / name)


def task_scores(score):
    return {t.task.id: t.score for t in score.tasks}


def cli(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_grades_solutions_full_marks_in_gradescope_schema(tmp_path):
    report = tmp_path / "results.json"
    result = cli("grade", "solutions", "--json", str(report))
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["score"] == data["max_score"] == 100
    assert {"score", "max_score", "execution_time", "output", "tests", "extra_data"} <= set(data)
    assert len(data["tests"]) >= 60
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] == "passed" and test["score"] == test["max_score"]
    assert data["extra_data"]["seed"] == SEED
    assert "separate process" in data["extra_data"]["isolation_layers"]
    assert "Total: 100/100" in result.stdout


def test_cli_grades_untouched_stubs_zero_with_exit_status_zero(tmp_path):
    report = tmp_path / "results.json"
    result = cli("grade", "exercises", "--json", str(report))
    assert result.returncode == 0
    data = json.loads(report.read_text())
    assert data["score"] == 0 and data["max_score"] == 100
    assert all(t["status"] == "failed" and t["score"] == 0 for t in data["tests"])
    assert any("is not implemented yet" in t["output"] for t in data["tests"])


def test_unwritable_report_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli("grade", "solutions", "--json", str(blocker / "results.json"))
    assert result.returncode == 1
    assert "cannot write the report" in result.stderr and "Traceback" not in result.stderr


def full_disk_command(folder: Path, argv: list[str]) -> list[str]:
    """``argv`` with a 4 KiB file system on ``folder`` (as root: a private tmpfs), or elsewhere with
    files limited to 12 KiB, more than a module and less than the report (EFBIG instead of ENOSPC)."""
    if os.geteuid() == 0 and shutil.which("unshare"):
        script = 'mount -t tmpfs -o size=4k none "$0" && exec "$@"'
        return ["unshare", "-m", "sh", "-c", script, str(folder), *argv]
    limit = ("import resource, os, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (12288, 12288)); "
             "os.execv(sys.argv[1], sys.argv[1:])")
    return [sys.executable, "-c", limit, *argv]


def test_a_full_disk_leaves_no_report_and_no_partial_file(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    report = disk / "results.json"
    argv = [sys.executable, "-m", "grader", "grade", "solutions", "--json", str(report)]
    result = subprocess.run(full_disk_command(disk, argv), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "cannot write the report" in result.stderr and "Traceback" not in result.stderr
    assert ("No space left" in result.stderr) or ("too large" in result.stderr.lower()), result.stderr
    assert list(disk.iterdir()) == [], "a partial report was left behind"


def test_a_failed_write_keeps_the_previous_report_whole(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    report = disk / "results.json"
    report.write_text('{"score": 1}')
    argv = [sys.executable, "-m", "grader", "grade", "solutions", "--json", str(report)]
    if os.geteuid() == 0 and shutil.which("unshare"):
        # the tmpfs would hide the old report: fill a copy of it instead
        script = 'mount -t tmpfs -o size=4k none "$0" && echo \'{"score": 1}\' > "$0/results.json" && "$@"; ' \
                 'status=$?; cat "$0/results.json"; ls -A "$0"; exit $status'
        command = ["unshare", "-m", "sh", "-c", script, str(disk), *argv]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr
        assert result.stdout.rstrip().endswith('{"score": 1}\nresults.json'), result.stdout[-300:]
    else:
        result = subprocess.run(full_disk_command(disk, argv), cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr
        assert report.read_text() == '{"score": 1}' and [p.name for p in disk.iterdir()] == ["results.json"]


@pytest.mark.parametrize("mistake", load_mistakes(COURSE), ids=lambda m: m.name)
def test_each_mistake_loses_points_only_where_it_should(mistake):
    verdict = judge_mistake(COURSE, mistake, SEED)
    assert verdict.concerned_failures, "no test catches this mistake"
    assert verdict.unexpected_failures == []
    assert 0 < verdict.score.score < verdict.score.max_score
    if mistake.public:  # a student meets it in `grader check`, with its hint, before the grade
        assert verdict.public_score is not None
        assert verdict.public_score.score < verdict.public_score.max_score, "the public checks miss it"
        assert mistake.hint in verdict.public_diagnosed, verdict.public_diagnosed
        assert verdict.public_ok


def test_there_are_at_least_twelve_mistakes():
    assert len(load_mistakes(COURSE)) >= 12


STYLES = sorted(path.name for path in (ROOT / "tests" / "styles").iterdir() if path.is_dir())


def test_the_lesson_own_style_is_among_the_correct_styles():
    source = (ROOT / "tests" / "styles" / "lesson" / "conv_layer.py").read_text()
    # the lesson's answer: a float zeros array for padding, nditer write-back, a forward that returns nothing
    assert "np.zeros((input_depth, input_height + 2 * zp, input_width + 2 * zp))" in source
    assert 'np.nditer(array, op_flags=["readwrite"])' in source
    forward = source[source.index("def forward"):source.index("@staticmethod")]
    assert "return" not in forward
    assert {"lesson", "vectorized", "pure_python"} <= set(STYLES)


@pytest.mark.parametrize("kind", ["hidden", "public"])
@pytest.mark.parametrize("style", STYLES)
def test_correct_submissions_in_every_style_get_full_marks(style, kind):
    score, run = grade(ROOT / "tests" / "styles" / style, kind=kind)
    assert score.score == score.max_score, [t.first_failure for t in score.tasks]
    assert all(o.status == "passed" for o in run.outcomes.values()) and len(run.outcomes) >= 9
    if style == "pure_python":
        assert "forward done" in run.output  # its prints are captured, not lost and not harmful


def test_validate_would_notice_a_mistake_the_public_checks_miss():
    # the bias's update is checked by the hidden suite only: the public checks cannot see this mistake
    quiet = Mistake("quiet", "the bias moves up the gradient",
                    [{"module": "filter", "old": "self.bias -= learning_rate * self.bias_grad",
                      "new": "self.bias += learning_rate * self.bias_grad"}],
                    ["test_filter.py::test_update_moves_the_bias"], hint="update_wrong_sign")
    verdict = judge_mistake(COURSE, quiet, SEED)
    assert verdict.concerned_failures and not verdict.unexpected_failures and verdict.diagnosis_ok
    assert verdict.public_score is not None and verdict.public_score.score == 100
    assert not verdict.public_ok and not verdict.ok
    allowed = Mistake(quiet.name, quiet.about, quiet.edits, quiet.concerns, quiet.hint, public=False)
    assert judge_mistake(COURSE, allowed, SEED).ok


def test_same_seed_same_outcomes_and_seed_changes_cases(tmp_path):
    wrong = variant(tmp_path, ("conv_layer", "return (input_size - filter_size + 2 * zero_padding) // stride + 1",
                               "return (input_size - filter_size + 2 * zero_padding) // stride + 1 + (input_size > 8)"))
    first, _ = grade(wrong, seed=5)
    second, _ = grade(wrong, seed=5)
    assert [(t.outcome.nodeid, t.outcome.passed) for task in first.tasks for t in task.tests] == \
           [(t.outcome.nodeid, t.outcome.passed) for task in second.tasks for t in task.tests]


# --- intake -------------------------------------------------------------------

def test_missing_module_costs_only_what_depends_on_it(tmp_path):
    path = variant(tmp_path)
    (path / "activators.py").unlink()
    score, run = grade(path)
    assert task_scores(score) == {"relu": 0, "filter": 20, "conv_layer": 70}
    assert "activators.py is missing from the submission" in str(run.intake_problems["activators"])


def test_symlink_non_utf8_syntax_error_and_huge_file_are_refused(tmp_path):
    path = variant(tmp_path)
    (path / "activators.py").unlink()
    (path / "activators.py").symlink_to(ROOT / "solutions" / "activators.py")
    (path / "filter.py").write_bytes(b"# \xff\xfe not utf-8\n")
    score, run = grade(path)
    assert "symbolic link" in str(run.intake_problems["activators"])
    assert "not UTF-8" in str(run.intake_problems["filter"])
    assert task_scores(score) == {"relu": 0, "filter": 0, "conv_layer": 0}  # conv_layer imports .filter

    (path / "filter.py").write_text("def broken(:\n")
    _, run = grade(path)
    assert "syntax error at line 1" in str(run.intake_problems["filter"])
    (path / "filter.py").write_text("x = 1\n" * 100_000)
    _, run = grade(path)
    assert "the limit is 256 KiB" in str(run.intake_problems["filter"])


# --- faults in student code fail the affected tests, never the grader ------------

def test_exit_during_import_fails_that_module_only(tmp_path):
    path = variant(tmp_path, ("activators", "from typing import Protocol\n",
                              "from typing import Protocol\nimport sys\nsys.exit(3)\n"))
    score, _ = grade(path)
    assert task_scores(score) == {"relu": 0, "filter": 20, "conv_layer": 70}
    message = score.tasks[0].first_failure
    assert "activators.py cannot be imported" in message and "exit" in message


def test_hard_exit_in_a_call_fails_that_test_and_grading_goes_on(tmp_path):
    path = variant(tmp_path, ("activators", "return 1 if output > 0 else 0",
                              "import os\n        os._exit(7)"))
    score, _ = grade(path)
    relu = score.tasks[0]
    failed = [t.outcome for t in relu.tests if not t.outcome.passed]
    assert failed and all("backward" in o.name for o in failed)
    assert "exited (status 7)" in failed[0].message
    assert task_scores(score)["conv_layer"] == 70


def test_an_endless_loop_times_out_with_a_plain_message(tmp_path):
    path = variant(tmp_path, ("activators", "return 1 if output > 0 else 0", "while True:\n            pass"))
    score, _ = grade(path)
    failed = [t.outcome for t in score.tasks[0].tests if not t.outcome.passed]
    assert failed and "timed out after 5 s in ReluActivator.backward" in failed[0].message
    assert task_scores(score)["filter"] == 20


def test_an_exception_that_claims_a_skip_is_still_a_failure(tmp_path):
    path = variant(tmp_path, ("activators", "return max(0, weighted_input)",
                              "import unittest\n        raise unittest.SkipTest('trust me')"))
    score, _ = grade(path)
    forward = [t.outcome for t in score.tasks[0].tests if "forward" in t.outcome.name]
    assert forward and not any(o.passed for o in forward)
    assert all(o.status == "failed" for o in forward)


@pytest.mark.skipif(not bwrap_works() and not os.environ.get("CI"), reason="bubblewrap not available here")
def test_the_sandbox_hides_the_course_and_the_network(tmp_path):
    probe = (
        "import os, socket\n"
        "        seen = os.path.exists({}) or os.path.exists({})\n"
        "        try:\n"
        "            socket.create_connection(('127.0.0.1', 22), timeout=1); net = True\n"
        "        except OSError:\n"
        "            net = False\n"
        "        return 100 if seen or net else (os.getuid() == 0)\n"
    ).format(repr(str(ROOT / "course.yaml")), repr(str(ROOT / "tests" / "hidden")))
    path = variant(tmp_path, ("activators", "return 1 if output > 0 else 0", probe))
    _, run = grade(path)
    assert "mount namespace (course not visible)" in run.layers
    backward = [o for o in run.outcomes.values() if "backward_is_zero" in o.name]
    # 0 means: the course is not visible, no network, and not root
    assert any(o.passed for o in backward), [o.message for o in backward]


def test_an_answer_that_lies_in_eq_scores_nothing(tmp_path):
    liar = (
        "class Anything(float):\n"
        "            def __eq__(self, other):\n"
        "                return True\n"
        "        return Anything(12345.0)"
    )
    path = variant(tmp_path, ("activators", "return max(0, weighted_input)", liar))
    score, _ = grade(path)
    forward = [t.outcome for t in score.tasks[0].tests if "forward" in t.outcome.name]
    assert forward and not any(o.passed for o in forward)
    assert "should be a number; got <Anything object>" in forward[0].message


def test_pytest_on_hidden_suites_takes_another_submission():
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/hidden/test_relu.py", "--submission", "exercises",
                             "-q", "-p", "no:randomly"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "12 failed" in result.stdout and "passed" not in result.stdout.splitlines()[-1]


def test_validate_declares_the_course_sound():
    result = cli("validate")
    assert result.returncode == 0, result.stdout
    assert "The course is sound." in result.stdout
    assert result.stdout.count("ok  mistake") == len(load_mistakes(COURSE))


def test_validate_would_notice_a_mistake_that_no_test_catches():
    harmless = Mistake("harmless", "changes only a docstring",
                       [{"module": "filter", "old": '"""Return the bias."""', "new": '"""The bias."""'}],
                       ["test_filter.py::test_update"])
    verdict = judge_mistake(COURSE, harmless, SEED)
    assert not verdict.ok and verdict.concerned_failures == [] and verdict.score.score == 100


def test_a_disk_too_full_to_copy_the_submission_is_a_clear_error():
    limit = ("import resource, os, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024)); "
             "os.execv(sys.argv[1], sys.argv[1:])")
    result = subprocess.run([sys.executable, "-c", limit, sys.executable, "-m", "grader", "grade", "solutions"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "cannot copy the submission for grading" in result.stderr and "Traceback" not in result.stderr
