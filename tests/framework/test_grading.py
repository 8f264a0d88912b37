"""End to end: grading submissions through the sandboxed worker, on the mini fixture course."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from grader.authoring.mistakes import Mistake, load_mistakes
from grader.authoring.validate import judge_mistake
from grader.model.course import load_course
from grader.running.pipeline import run_suites

MINI = Path(__file__).parent / "fixtures" / "mini"
SEED = 1234


def test_cli_grades_solutions_full_marks_in_gradescope_schema(cli, tmp_path, mini):
    report = tmp_path / "results.json"
    result = cli("grade", str(mini.source_dir), "--json", str(report))
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["score"] == data["max_score"] == 10
    assert {"score", "max_score", "execution_time", "output", "tests", "extra_data"} <= set(data)
    names = [test["name"] for test in data["tests"]]
    assert len(names) == 13 and len(set(names)) == 13  # every hidden test of the unit, each once
    for test in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(test)
        assert test["status"] == "passed" and test["score"] == test["max_score"]
    assert data["extra_data"]["seed"] == SEED and data["extra_data"]["unit"] == "mini"
    assert "separate process" in data["extra_data"]["isolation_layers"]
    assert "Total: 10/10" in result.stdout


def test_cli_grades_untouched_stubs_zero_with_exit_status_zero(cli, tmp_path, mini):
    report = tmp_path / "results.json"
    result = cli("grade", str(mini.stubs_dir), "--json", str(report))
    assert result.returncode == 0
    data = json.loads(report.read_text())
    assert data["score"] == 0 and data["max_score"] == 10
    assert all(t["status"] == "failed" and t["score"] == 0 for t in data["tests"])
    assert any("is not implemented yet" in t["output"] for t in data["tests"])


def test_unwritable_report_path_is_a_clear_error(cli, tmp_path, mini):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli("grade", str(mini.source_dir), "--json", str(blocker / "results.json"))
    assert result.returncode == 1
    assert "cannot write the report" in result.stderr and "Traceback" not in result.stderr


LEFT = "--- left in the folder:"


def private_tmpfs() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def full_disk_command(folder: Path, argv: list[str]) -> list[str]:
    """``argv`` with a 4 KiB file system on ``folder`` (as root: a private tmpfs), or elsewhere with
    files limited to 3000 bytes, more than a module and less than the report (EFBIG instead of ENOSPC).

    The private tmpfs exists only in the command's mount namespace: the command lists what is left in it after
    ``argv`` (on stdout, after ``LEFT``), and exits with ``argv``'s status."""
    if private_tmpfs():
        script = (f'mount -t tmpfs -o size=4k none "$0" && '
                  f'{{ "$@"; status=$?; echo "{LEFT}"; ls -A "$0"; exit $status; }}')
        return ["unshare", "-m", "sh", "-c", script, str(folder), *argv]
    limit = ("import resource, os, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000)); "
             "os.execv(sys.argv[1], sys.argv[1:])")
    return [sys.executable, "-c", limit, *argv]


def grade_argv(mini, report):
    """Grading the stubs: their report (over 4 KiB) does not fit a 4 KiB disk."""
    return [sys.executable, "-m", "grader", "--course", str(MINI), "grade", str(mini.stubs_dir), "--json", str(report)]


def test_a_full_disk_leaves_no_report_and_no_partial_file(tmp_path, mini):
    disk = tmp_path / "disk"
    disk.mkdir()
    report = disk / "results.json"
    result = subprocess.run(full_disk_command(disk, grade_argv(mini, report)), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1, result.stderr
    assert "cannot write the report" in result.stderr and "Traceback" not in result.stderr
    assert ("No space left" in result.stderr) or ("too large" in result.stderr.lower()), result.stderr
    if private_tmpfs():  # the write happened on the private tmpfs: look there
        assert result.stdout.split(LEFT)[1].split() == [], "a partial report was left behind"
    else:
        assert list(disk.iterdir()) == [], "a partial report was left behind"


def test_a_failed_write_keeps_the_previous_report_whole(tmp_path, mini):
    disk = tmp_path / "disk"
    disk.mkdir()
    report = disk / "results.json"
    report.write_text('{"score": 1}')
    argv = grade_argv(mini, report)
    if private_tmpfs():
        # the tmpfs would hide the old report: fill a copy of it instead
        script = 'mount -t tmpfs -o size=4k none "$0" && echo \'{"score": 1}\' > "$0/results.json" && "$@"; ' \
                 'status=$?; cat "$0/results.json"; ls -A "$0"; exit $status'
        command = ["unshare", "-m", "sh", "-c", script, str(disk), *argv]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr
        assert result.stdout.rstrip().endswith('{"score": 1}\nresults.json'), result.stdout[-300:]
    else:
        result = subprocess.run(full_disk_command(disk, argv), capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr
        assert report.read_text() == '{"score": 1}' and [p.name for p in disk.iterdir()] == ["results.json"]


def test_a_disk_too_full_for_the_report_is_a_clear_error_and_leaves_no_part_of_it(mini, tmp_path):
    """Nothing of a submission is copied anywhere (its worker gets its sources over a pipe): the grader's only
    writes are its reports, and one that cannot be written is one line and exit status 1."""
    limit = ("import resource, os, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (300, 300)); "
             "os.execv(sys.argv[1], sys.argv[1:])")
    report = tmp_path / "results.json"
    argv = [sys.executable, "-m", "grader", "--course", str(MINI), "grade", str(mini.source_dir),
            "--sandbox", "process", "--json", str(report)]
    result = subprocess.run([sys.executable, "-c", limit, *argv], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "cannot write the report" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


# --- known mistakes and validate ------------------------------------------------------


def test_each_mistake_of_the_fixture_loses_points_only_where_it_should(mini):
    mistakes = load_mistakes(mini)
    assert len(mistakes) == 5
    for mistake in mistakes:
        verdict = judge_mistake(mini, mistake, SEED)
        assert verdict.concerned_failures, f"{mistake.name}: no test catches it"
        assert verdict.unexpected_failures == [], mistake.name
        assert 0 < verdict.score.score < verdict.score.max_score
        assert verdict.diagnosed == [mistake.hint] and verdict.public_diagnosed == [mistake.hint], mistake.name
        assert verdict.public_score is not None and verdict.public_score.score < verdict.public_score.max_score
        assert verdict.ok


def test_validate_would_notice_a_mistake_that_no_test_catches(mini):
    harmless = Mistake("harmless", "changes only a docstring",
                       [{"module": "arith", "old": '"""Twice ``x``."""', "new": '"""2x."""'}],
                       ["test_arith.py::test_double"])
    verdict = judge_mistake(mini, harmless, SEED)
    assert not verdict.ok and verdict.concerned_failures == [] and verdict.score.score == 10


def test_validate_would_notice_a_mistake_the_public_checks_miss(mini):
    # right on the public check's 2-D input, wrong on the hidden test's 1-D one: the public checks cannot see it
    quiet = Mistake("quiet", "doubled_total forgets to double a 1-D array",
                    [{"module": "arrays", "old": "    return double(total(values))",
                      "new": "    return double(total(values)) if values.ndim == 2 else total(values)"}],
                    ["test_arrays.py::test_doubled_total"])
    verdict = judge_mistake(mini, quiet, SEED)
    assert verdict.concerned_failures and not verdict.unexpected_failures and verdict.diagnosis_ok
    assert verdict.public_score is not None and verdict.public_score.score == 10
    assert not verdict.public_ok and not verdict.ok
    allowed = Mistake(quiet.name, quiet.about, quiet.edits, quiet.concerns, public=False)
    assert judge_mistake(mini, allowed, SEED).ok


def test_validate_notices_a_mistake_whose_feedback_names_another(mini):
    wrong = {m.name: m for m in load_mistakes(mini)}["double_adds"]
    mislabelled = Mistake(wrong.name, wrong.about, wrong.edits, wrong.concerns, hint="first_row_only")
    verdict = judge_mistake(mini, mislabelled, SEED)
    assert verdict.diagnosed == ["added_instead"] and not verdict.diagnosis_ok and not verdict.ok


def test_validate_declares_the_fixture_sound(cli):
    result = cli("validate")
    assert result.returncode == 0, result.stdout
    assert "The course is sound (mini, quiz)." in result.stdout and result.stdout.count("ok  mistake") == 5


def test_validate_names_what_is_unsound(cli, mini_copy):
    # a stub that imports what only a solution needs; a style that is not correct; a hint id nowhere to be found
    stub = mini_copy / "exercises" / "arith.py"
    stub.write_text("import json\n" + stub.read_text())
    (mini_copy / "tests" / "units" / "mini" / "styles" / "loops" / "arith.py").write_text(
        "def double(x):\n    return x\n\n\ndef clip(x, low, high):\n    return x\n")
    hints = mini_copy / "tests" / "units" / "mini" / "hints.yaml"
    hints.write_text(hints.read_text().replace("first_row_only:", "first_row:"))
    # and a hidden test that even the untouched stubs pass
    suite = mini_copy / "tests" / "units" / "mini" / "hidden" / "test_arith.py"
    suite.write_text(suite.read_text() + "\n\ndef test_passes_whatever_is_submitted():\n    pass\n")
    result = cli("validate", course=mini_copy)
    assert result.returncode == 1
    assert "exercises/arith.py imports what it never uses (1: json)" in result.stdout
    assert "the correct style loops loses points in the hidden suites" in result.stdout
    assert "missing from the hints catalogue: first_row_only" in result.stdout
    assert "exercises/ is out of date (arith.py)" in result.stdout
    assert "hidden tests pass on the untouched stubs: test_passes_whatever_is_submitted" in result.stdout


def test_validate_checks_the_notebook_cells_against_solutions_and_stubs(cli, mini_copy):
    cell = mini_copy / "tests" / "units" / "mini" / "notebook" / "numbers.test_cell.tmpl"
    cell.write_text("assert True  # tests nothing\n")
    other = mini_copy / "tests" / "units" / "mini" / "notebook" / "arrays.test_cell.tmpl"
    other.write_text(other.read_text() + "assert total(np.ones(3)) == 4\n")
    answer = mini_copy / "solutions" / "arrays.py"  # works as a module, not as a cell: its annotations run there
    answer.write_text(answer.read_text().replace("from typing import Any\n", "").replace(
        "def total(", "def total_of(values: Any) -> None:\n    pass\n\n\ndef total("))
    result = cli("validate", course=mini_copy)
    assert result.returncode == 1
    assert "the test cell test_numbers passes on the stubs" in result.stdout
    assert "the test cell test_arrays fails on the solutions: " in result.stdout
    assert "the answer cell arrays fails on the solutions: NameError: name 'Any' is not defined" in result.stdout


# --- the same seed, the same cases ----------------------------------------------------


def test_same_seed_same_outcomes_and_another_seed_other_cases(grade, variant):
    # wrong only for large totals: which random case catches it depends on the drawn values
    wrong = variant("big", ("arrays", "return float(np.sum(values))",
                            "return float(np.sum(values)) + (float(np.sum(values)) > 1.0)"))
    outcomes = {}
    for seed in (5, 5, 6, 7, 8):
        _, run = grade(wrong, seed=seed)
        outcomes.setdefault(seed, []).append(tuple(o.passed for o in run.outcomes.values()))
    assert outcomes[5][0] == outcomes[5][1]
    assert len({outcomes[s][0] for s in (5, 6, 7, 8)}) > 1, "other seeds should draw other cases"


# --- intake -------------------------------------------------------------------


def task_scores(score):
    return {t.task.id: t.score for t in score.tasks}


def test_missing_module_costs_only_what_depends_on_it(grade, variant):
    path = variant("missing")
    (path / "arrays.py").unlink()
    score, run = grade(path)
    assert task_scores(score) == {"numbers": 4, "arrays": 0}
    assert "arrays.py is missing from the submission" in str(run.intake_problems["arrays"])


def test_symlink_non_utf8_syntax_error_and_huge_file_are_refused(grade, variant, mini):
    path = variant("refused")
    (path / "arith.py").unlink()
    (path / "arith.py").symlink_to(mini.source_dir / "arith.py")
    (path / "arrays.py").write_bytes(b"# \xff\xfe not utf-8\n")
    score, run = grade(path)
    assert "symbolic link" in str(run.intake_problems["arith"])
    assert "not UTF-8" in str(run.intake_problems["arrays"])
    assert task_scores(score) == {"numbers": 0, "arrays": 0}
    (path / "arrays.py").write_text("def broken(:\n")
    _, run = grade(path)
    assert "syntax error at line 1" in str(run.intake_problems["arrays"])
    (path / "arrays.py").write_text("x = 1\n" * 100_000)
    _, run = grade(path)
    assert "the limit is 256 KiB" in str(run.intake_problems["arrays"])


# --- faults in student code fail the affected tests, never the grader ------------


def test_exit_during_import_fails_that_module_only(grade, variant):
    path = variant("exits", ("arith", "from __future__ import annotations\n",
                             "from __future__ import annotations\n\nimport sys\n\nsys.exit(3)\n"))
    score, _ = grade(path)
    assert task_scores(score)["numbers"] == 0 and task_scores(score)["arrays"] > 0
    message = score.tasks[0].first_failure
    assert "arith.py cannot be imported" in message and "exit" in message


def test_hard_exit_in_a_call_fails_that_test_and_grading_goes_on(grade, variant):
    path = variant("hard_exit", ("arith", "return min(max(x, low), high)", "import os\n    os._exit(7)"))
    score, _ = grade(path)
    failed = [t.outcome for t in score.tasks[0].tests if not t.outcome.passed]
    assert failed and all("clip" in o.name for o in failed)
    assert "exited (status 7)" in failed[0].message
    assert task_scores(score)["arrays"] == 6


def test_a_forged_reply_nested_past_any_parser_is_a_garbled_answer(grade, variant):
    """A reply the student's code writes on the reply pipe itself, nested deeper than JSON's parser goes: refused
    as garbled, the worker killed, the next test graded as usual."""
    forge = ("import json, os, struct, sys\n"
             "    body = b'{\"ok\":' + b'[' * 200000 + b']' * 200000 + b'}'\n"
             "    os.write(json.loads(sys.argv[1])['fd_out'], struct.pack('>Q', len(body)) + body)\n"
             "    return min(max(x, low), high)")
    score, _ = grade(variant("nested", ("arith", "return min(max(x, low), high)", forge)))
    failed = [t.outcome for t in score.tasks[0].tests if not t.outcome.passed]
    assert failed and all("clip" in o.name for o in failed)
    assert all("sent a garbled answer during clip" in o.message for o in failed), failed[0].message
    assert task_scores(score)["arrays"] == 6


def test_a_reply_over_the_wire_cap_is_refused_unread_and_the_grader_stays_small(grade, variant):
    """A reply whose header claims more than ``MAX_MESSAGE`` (64 MiB) is refused from its header alone, the worker
    killed: here a well-formed reply of 80 MiB (the right value, and 80 MiB of printed text the grader would have
    dropped after reading it all), written on the reply pipe by the student's code. Read, it would pass; and the
    grader, which never reads its body, keeps well under its size in memory."""
    import tracemalloc

    from grader.trust import wire

    size = 80 << 20
    assert size > wire.MAX_MESSAGE
    forge = ("import json, os, struct, sys\n"
             "    answer = min(max(x, low), high)\n"
             f"    body = json.dumps({{'ok': answer, 'printed': ['x' * {size}, 0]}}).encode()\n"
             "    data = struct.pack('>Q', len(body)) + body\n"
             "    out = json.loads(sys.argv[1])['fd_out']\n"
             "    while data:\n"
             "        data = data[os.write(out, data):]\n"
             "    os._exit(0)")
    path = variant("oversized", ("arith", "return min(max(x, low), high)", forge))
    tracemalloc.start()
    try:
        score, _ = grade(path, task_ids=["numbers"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    clipped = [t.outcome for t in score.tasks[0].tests if "clip" in t.outcome.name]
    assert len(clipped) == 3 and not any(o.passed for o in clipped), [o.message for o in clipped]
    assert all("sent an answer too large to accept during clip" in o.message for o in clipped), clipped[0].message
    assert all(t.outcome.passed for t in score.tasks[0].tests if "double" in t.outcome.name)
    assert peak < size // 4, f"the grader held {peak >> 20} MiB at its peak"


def test_an_endless_loop_times_out_with_a_plain_message(grade, variant):
    path = variant("loops", ("arith", "return min(max(x, low), high)", "while True:\n        pass"))
    score, _ = grade(path)
    failed = [t.outcome for t in score.tasks[0].tests if not t.outcome.passed]
    assert failed and "timed out after 2 s in clip" in failed[0].message
    assert task_scores(score)["arrays"] == 6


def test_an_exception_that_claims_a_skip_is_still_a_failure(grade, variant):
    path = variant("skips", ("arith", "return 2 * x", "import unittest\n    raise unittest.SkipTest('trust me')"))
    score, _ = grade(path)
    double = [t.outcome for t in score.tasks[0].tests if "double" in t.outcome.name]
    assert double and not any(o.passed for o in double)
    assert all(o.status == "failed" for o in double)


def test_the_sandbox_hides_the_course_and_the_network(grade, variant, mini):
    """Observed from inside, by default (``auto``); the same probe without the namespaces (``process``) sees both,
    so the probe can tell."""
    with socket.create_server(("127.0.0.1", 0)) as listener:  # a listener of this test's own: never a guess
        probe = (
            "import os, socket\n"
            "    seen = os.path.exists({}) or os.path.exists({})\n"
            "    try:\n"
            "        socket.create_connection(('127.0.0.1', {}), timeout=1).close(); net = True\n"
            "    except OSError:\n"
            "        net = False\n"
            "    print(f'SEEN={{seen}} NET={{net}}', flush=True)\n"
            "    return 2 * x\n"
        ).format(repr(str(MINI / "course.yaml")), repr(str(mini.suite_dir("hidden"))), listener.getsockname()[1])
        path = variant("probe", ("arith", "return 2 * x", probe))
        _, run = grade(path)
        _, control = grade(path, sandbox_mode="process")
    assert set(re.findall(r"SEEN=\w+ NET=\w+", run.output)) == {"SEEN=False NET=False"}, run.output[:500]
    assert set(re.findall(r"SEEN=\w+ NET=\w+", control.output)) == {"SEEN=True NET=True"}, control.output[:500]


def test_an_answer_that_lies_in_eq_scores_nothing(grade, variant):
    liar = (
        "class Anything(float):\n"
        "        def __eq__(self, other):\n"
        "            return True\n"
        "    return Anything(12345.0)"
    )
    path = variant("liar", ("arith", "return 2 * x", liar))
    score, _ = grade(path)
    double = [t.outcome for t in score.tasks[0].tests if "double" in t.outcome.name]
    assert double and not any(o.passed for o in double)
    assert "should be a number; got <Anything object>" in double[0].message


def test_pytest_on_the_hidden_suites_takes_another_submission(mini):
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/units/mini/hidden/test_arith.py", "--submission",
                             str(mini.stubs_dir), "-q", "-p", "no:randomly"], cwd=MINI, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert "6 failed" in result.stdout and "passed" not in result.stdout.splitlines()[-1]
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/units/mini/hidden", "-q", "-p", "no:randomly"],
                          cwd=MINI, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "13 passed" in done.stdout, done.stdout[-2000:]


def test_a_method_call_is_one_round_trip_once_its_type_is_known_and_says_the_same(mini, tmp_path, variant):
    import numpy as np

    from grader.running.session import Method, StudentError, Submission, fetch, open_submission

    with open_submission(mini, mini.source_dir) as session:
        sent = []
        request = session.request
        session.request = lambda message, *a, **k: sent.append(message["op"]) or request(message, *a, **k)
        sub = Submission(session)
        first, second = sub.arrays.Scaler(2.0), sub.arrays.Scaler(3.0)
        sent.clear()
        assert list(first.apply(np.ones(2))) == [2.0, 2.0]  # the first time: looked up, then called
        assert sent == ["getattr", "call"]
        sent.clear()
        apply = second.apply
        assert isinstance(apply, Method) and list(apply(np.ones(2))) == [3.0, 3.0]
        assert sent == ["callattr"]
        # used as a value (here, passed to student code), it is looked up first, as any attribute
        values, map_each = sub.put(np.ones(3)), sub.arrays.map_each
        sent.clear()
        map_each(values, second.apply)
        assert sent == ["getattr", "call"] and list(fetch(values)) == [3.0, 3.0, 3.0]
        assert first.factor == 2.0 and repr(second.apply) == "<student method Scaler.apply>"
    # a failing method says what it said before, on what call; a lookup that fails says it was reading it
    picky = variant("picky", ("arrays", "    def apply(self, values: NDArray[np.float64]) -> NDArray[np.float64]:",
                              "    def __getattribute__(self, name):\n"
                              "        if name == 'apply' and object.__getattribute__(self, 'factor') < 0:\n"
                              "            raise AttributeError('no apply for negative factors')\n"
                              "        return object.__getattribute__(self, name)\n\n"
                              "    def apply(self, values: NDArray[np.float64]) -> NDArray[np.float64]:"),
                     ("arrays", "return np.asarray(values) * self.factor",
                      "if self.factor == 0:\n            raise ValueError('no scaling by 0')\n"
                      "        return np.asarray(values) * self.factor"))

    def failures(known: bool) -> list[str]:
        with open_submission(mini, picky) as session:
            sub = Submission(session)
            if known:
                sub.arrays.Scaler(1.0).apply(np.ones(1))
            said = []
            for factor in (0.0, -1.0):
                with pytest.raises(StudentError) as error:
                    sub.arrays.Scaler(factor).apply(np.zeros((2, 2)))
                said.append(str(error.value.text))
            return said

    assert failures(known=True) == failures(known=False)
    zero, negative = failures(known=True)
    assert "Scaler.apply" in zero and "no scaling by 0" in zero and "values.shape = (2, 2)" in zero
    assert "reading" in negative and "no apply for negative factors" in negative


def test_the_worker_names_code_on_python_3_10_as_co_qualname_does_from_3_11():
    """Python 3.10 has no ``co_qualname``: the worker names a code object from the classes and functions around
    it in the module's source. Here, where ``co_qualname`` exists, the two must agree on every code object."""
    import types

    from grader.trust import worker_main  # a module with a main(): importing it runs nothing

    sample = (
        "class Layer:\n"
        "    def forward(self, x):\n"
        "        def inner(y):\n"
        "            return [z for z in y]\n"
        "        return (lambda w: inner(w))(x)\n"
        "    class Nested:\n"
        "        @staticmethod\n"
        "        def padding(a, p): return {k: k for k in a}\n"
        "def top():\n"
        "    class Local:\n"
        "        def method(self): return (i for i in ())\n"
        "    return Local\n"
    )
    names: dict = {}
    worker_main._name_codes(compile(sample, "sample.py", "exec"), "", names)
    seen = 0
    pending = [compile(sample, "sample.py", "exec")]
    while pending:
        for const in pending.pop().co_consts:
            if isinstance(const, types.CodeType):
                assert names[(const.co_firstlineno, const.co_name)] == const.co_qualname
                seen += 1
                pending.append(const)
    assert seen == 12


def test_the_output_kept_is_the_cap_whatever_the_code_prints(grade, variant, mini):
    """1 MiB printed at import, in every worker (``double`` ends its worker, so there are several): the
    submission's output, over all its workers, is cut at ``output_kb`` and says once how much more there was."""
    flooding = variant("flood", ("arith", "from __future__ import annotations\n",
                                 'from __future__ import annotations\nimport sys\nsys.stdout.write("x" * (1 << 20))\n'
                                 'sys.stdout.flush()\n'),
                       ("arith", "    return 2 * x\n", "    import os\n    os._exit(3)\n"))
    _, run = grade(flooding)
    assert sum("exited (status 3)" in o.message for o in run.outcomes.values()) >= 2, \
        [o.message for o in run.outcomes.values()]
    cap = mini.limits.output_kb << 10
    cut = re.findall(r"\[\.\.\. (\d+) more bytes of output not kept\]", run.output)
    assert len(cut) == 1, "1 MiB went through uncut, or each worker was cut on its own"
    assert run.output.count("x") == cap
    assert int(cut[0]) >= (1 << 20) - cap


@pytest.mark.parametrize("mode", ["process", "portable", "bwrap"])
def test_the_worker_starts_in_a_folder_of_its_own_never_the_graders(grade, variant, mode, monkeypatch, tmp_path):
    """Relative paths in student code (``open("results.json", "w")``) must not land where the grader was started:
    outside bubblewrap the worker starts in an empty private folder of its own; inside, in its private /tmp."""
    if mode == "bwrap":
        from grader.trust.bubblewrap import bwrap_works
        if not bwrap_works():
            pytest.fail("bubblewrap does not work here; the suite needs it (see the README)")
    started_in = tmp_path / "started-here"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    telling = variant("cwd", ("arith", "    return 2 * x\n",
                              "    import os\n    print('CWD=' + os.getcwd(), flush=True)\n"
                              "    open('dropped.txt', 'w').close()\n    return 2 * x\n"))
    score, run = grade(telling, sandbox_mode=mode)
    where = set(re.findall(r"CWD=(.+)", run.output))
    assert len(where) == 1, run.output[:500]
    (cwd,) = where
    assert cwd == "/tmp" if mode == "bwrap" else Path(cwd).name.startswith("grader-run-"), cwd
    assert Path(cwd) != started_in and list(started_in.iterdir()) == []
    assert score.score == score.max_score  # writing a file in its own folder is allowed


def test_what_the_code_printed_reaches_students_only_when_no_test_is_hidden(grade, variant, mini, mini_copy):
    """Printed output may echo a hidden test's input: the Gradescope output shows it only in a unit with no hidden
    test (the mini unit has one)."""
    from grader.model.course import load_course
    from grader.rendering.reports import gradescope
    from grader.rendering.scoring import score_run

    printing = variant("printing", ("arith", "    return 2 * x\n", "    print('PRINTED-42')\n    return 2 * x\n"))
    score, run = grade(printing)
    assert "PRINTED-42" in run.output
    assert any(task.task.visibility_of(s.outcome.name) == "hidden" for task in score.tasks for s in task.tests)
    shown = gradescope(score, run)
    assert "PRINTED-42" not in shown["output"] and "PRINTED-42" not in json.dumps(shown["tests"])
    assert "PRINTED-42" in shown["extra_data"]["student_output"]  # for the instructor
    text = (mini_copy / "course.yaml").read_text()
    open_unit = text.replace("        test_visibility:\n          test_total_random: hidden\n", "")
    assert open_unit != text
    (mini_copy / "course.yaml").write_text(open_unit)
    unit = load_course(mini_copy).unit()
    assert "PRINTED-42" in gradescope(score_run(unit, run), run)["output"]


@pytest.mark.parametrize("part", ["tests/units/mini/hidden/test_arith.py", "tests/units/mini/code/reference.py",
                                  "tests/units/mini/helpers.py", "tests/units/mini/hints.yaml",
                                  "tests/units/mini/data.json", "course.yaml"])
def test_the_course_fingerprint_changes_with_every_part_a_grade_depends_on(mini_copy, part):
    """A class is regraded when a hidden suite, the course code, helpers, hints, data or course.yaml change."""
    from grader.classwork.fingerprints import course_fingerprint
    from grader.model.course import load_course

    before = course_fingerprint(load_course(mini_copy).unit())
    path = mini_copy / part
    assert path.is_file(), part
    path.write_bytes(path.read_bytes() + (b"\n# changed\n" if part.endswith((".py", ".yaml")) else b" "))
    assert course_fingerprint(load_course(mini_copy).unit()) != before


def test_pytest_on_the_hidden_suites_draws_its_random_cases_from_grader_seed(variant):
    """``pytest tests/units --grader-seed N`` (the README's way to run the suites by hand) reproduces a run with N,
    and another N draws other cases: a submission wrong only for large totals fails other tests."""
    wrong = variant("big", ("arrays", "return float(np.sum(values))",
                            "return float(np.sum(values)) + (float(np.sum(values)) > 1.0)"))

    def outcomes(seed: int) -> tuple[str, ...]:
        done = subprocess.run([sys.executable, "-m", "pytest", "tests/units/mini/hidden/test_arrays.py", "--submission",
                               str(wrong), "--grader-seed", str(seed), "-q", "-rA", "-p", "no:randomly"],
                              cwd=MINI, capture_output=True, text=True, timeout=300)
        lines = tuple(line for line in done.stdout.splitlines() if line.startswith(("PASSED ", "FAILED ")))
        assert lines, done.stdout[-2000:]
        return lines

    first = outcomes(5)
    assert outcomes(5) == first
    assert len({first, outcomes(6), outcomes(7), outcomes(8)}) > 1, "--grader-seed should draw other cases"


def test_a_process_that_grades_two_courses_grades_each_with_its_own_suites(tmp_path):
    """pytest takes a test module from ``sys.modules`` by a name made of its path below the course: another
    course's suite of the same name (or this course's before an edit) must never be what a later run grades with,
    in a process that lives on (a Dask worker, a test run)."""
    from grader.model.course import load_course

    edited, clean = (Path(shutil.copytree(MINI, tmp_path / name / "mini")) for name in ("edited", "clean"))
    suite = edited / "tests" / "units" / "mini" / "hidden" / "test_arith.py"
    suite.write_text(suite.read_text() + "\n\ndef test_only_in_the_edited_course():\n    assert False\n")
    first = load_course(edited).unit("mini")
    second = load_course(clean).unit("mini")
    assert any("test_only_in_the_edited_course" in name for name in run_suites(first, first.source_dir, seed=1)
               .outcomes)
    assert not any("test_only_in" in name for name in run_suites(second, second.source_dir, seed=1).outcomes)
    suite.write_text(suite.read_text().replace("test_only_in_the_edited_course", "test_only_in_the_edited_again"))
    again = run_suites(first, first.source_dir, seed=1).outcomes
    assert any("test_only_in_the_edited_again" in name for name in again)


# Each test checks the fixtures it is given against its own unit and its own id (``request`` is the test's own).
FIXTURE_PROBE = '''
import zlib

import numpy as np


def expected_draw(request, seed):
    return np.random.default_rng([seed, zlib.crc32(request.node.nodeid.encode())]).integers(10**9)


def test_probe_first(unit, grading, rng, request):
    assert unit.id == "{unit}" and grading.unit.id == "{unit}"
    assert rng.integers(10**9) == expected_draw(request, grading.seed)


def test_probe_second(unit, grading, rng, request):
    assert unit.id == "{unit}"
    assert rng.integers(10**9) == expected_draw(request, grading.seed)
'''


def test_each_test_gets_the_fixtures_of_its_own_unit_and_its_own_id(mini_copy):
    """``grading`` (and so ``unit``, ``submission``...) is the unit of the test's file, ``rng`` draws from the
    test's own id: in a direct pytest run over two units, and in the grader's run."""
    text = (mini_copy / "course.yaml").read_text()
    start, end = text.index("  - id: mini\n"), text.index("  - id: quiz\n")
    twin = text[start:end].replace("  - id: mini\n", "  - id: twin\n").replace("    default: true\n", "")
    (mini_copy / "course.yaml").write_text(text + twin)
    shutil.copytree(mini_copy / "tests" / "units" / "mini", mini_copy / "tests" / "units" / "twin")
    for name in ("mini", "twin"):
        (mini_copy / "tests" / "units" / name / "hidden" / f"test_probe_{name}.py").write_text(
            FIXTURE_PROBE.format(unit=name))
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/units/mini/hidden/test_probe_mini.py",
                           "tests/units/twin/hidden/test_probe_twin.py", "-q", "-p", "no:randomly"],
                          cwd=mini_copy, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "4 passed" in done.stdout, done.stdout[-3000:]
    suite = mini_copy / "tests" / "units" / "mini" / "hidden" / "test_arith.py"  # the grader runs the tasks' files
    suite.write_text(suite.read_text() + FIXTURE_PROBE.format(unit="mini"))
    unit = load_course(mini_copy).unit("mini")
    run = run_suites(unit, unit.source_dir, seed=77)
    probes = {o.name: o for o in run.outcomes.values() if o.name.startswith("test_probe")}
    assert sorted(probes) == ["test_probe_first", "test_probe_second"]
    assert all(o.passed for o in probes.values()), [o.message for o in probes.values()]


def test_a_direct_pytest_run_opens_a_submission_per_file_and_closes_it_when_the_file_is_done(mini_copy):
    """Each file has a submission (and the unit's time budget) of its own: however files are ordered or spread
    over processes (pytest-xdist), one file's tests never spend another's budget; and only one worker lives."""
    from grader.running import plugin

    contexts, alive = {}, []

    class Watch:
        def pytest_runtest_setup(self, item):
            direct = item.config.stash.get(plugin._DIRECT, None)
            if direct is not None:
                contexts.update(direct.by_file)
                alive.append(sum(1 for c in contexts.values() if c.session._worker and not c.session._worker.dead))

        def pytest_unconfigure(self, config):
            contexts.update(config.stash[plugin._DIRECT].by_file)

    suites = mini_copy / "tests" / "units" / "mini" / "hidden"
    code = pytest.main([str(suites / "test_arith.py"), str(suites / "test_arrays.py"), "-q", "-p", "no:randomly",
                        "-p", "no:cacheprovider", "--rootdir", str(mini_copy)], plugins=[Watch()])
    assert code == 0
    assert sorted(path.name for path in contexts) == ["test_arith.py", "test_arrays.py"]
    first, second = (contexts[suites / name] for name in ("test_arith.py", "test_arrays.py"))
    assert first.unit.id == second.unit.id == "mini" and first.session is not second.session
    assert max(alive) <= 1  # the first file's worker is gone before the second file's starts
    assert first.session._worker is None and second.session._worker is None  # both closed by the end


def test_the_fixtures_context_outside_any_test_is_a_clear_error(monkeypatch):
    from grader.running import plugin

    monkeypatch.setattr(plugin, "_running", [])
    with pytest.raises(RuntimeError, match="the grader's fixtures serve tests only: none is running"):
        plugin.current_context()


def test_a_conftest_above_the_course_never_joins_its_grading(tmp_path):
    """A conftest.py in a folder above the course (a home folder's, a class folder's) is not the course's: its
    fixtures and hooks stay out of grading."""
    course = Path(shutil.copytree(MINI, tmp_path / "outer" / "mini", ignore=shutil.ignore_patterns("__pycache__")))
    (tmp_path / "outer" / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef _spoils_every_test():\n    raise RuntimeError('x')\n")
    unit = load_course(course).unit()
    run = run_suites(unit, unit.source_dir, seed=1)
    assert run.outcomes and all(outcome.passed for outcome in run.outcomes.values()), run.outcomes
