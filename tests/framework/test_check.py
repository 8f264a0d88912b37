"""``grader check``: what a student sees while working: where a call failed, the next step, the score, the
language, and an exit status that keeps a CI run red while a check fails."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from grader.authoring.mistakes import load_mistakes, materialize
from grader.model.course import load_course
from grader.model.messages import render
from grader.rendering.guide import next_step
from grader.running.session import Remote, describe_call


@pytest.fixture
def mistake(mini, tmp_path):
    """``mistake(name)``: the mini unit's known mistake ``name``, as a submission folder."""
    known = {m.name: m for m in load_mistakes(mini)}
    return lambda name: materialize(mini, known[name], tmp_path / name)


@pytest.fixture
def check_next(grade):
    def run(path):
        score, _ = grade(path, "public")
        step = next_step(score)
        return render(step) if step is not None else ""
    return run


# --- the exit status ----------------------------------------------------------------------


def test_check_fails_while_a_public_check_fails_and_passes_when_all_do(cli, mini, mistake):
    stubs, done = cli("check"), cli("check", str(mini.source_dir))
    assert stubs.returncode == 1 and "Public score: 0/10" in stubs.stdout
    assert done.returncode == 0 and "Public score: 10/10" in done.stdout
    almost = mistake("clip_swapped")
    one_wrong = cli("check", str(almost))
    assert one_wrong.returncode == 1 and "Public score: 8/10" in one_wrong.stdout
    assert cli("grade", str(almost)).returncode == 0  # grading keeps its contract: 0 whenever grading finished


def test_check_help_states_the_exit_status(cli):
    shown = cli("check", "--help").stdout
    assert "0 when every check passes, 1 while any fails" in " ".join(shown.split())


# --- the next step ----------------------------------------------------------------------------


def test_next_names_the_function_to_fix_not_the_test(check_next, mistake):
    assert check_next(mistake("first_row")) == "Next: fix total (test_total fails)."
    assert check_next(mistake("double_adds")) == "Next: fix double (test_double fails)."
    assert check_next(mistake("map_not_in_place")) == "Next: fix map_each (test_map_each fails)."


def test_next_names_where_the_code_raised_rather_than_the_test(check_next, variant):
    # the public test of Scaler.apply fails because the constructor raises: fix the constructor
    path = variant("init", ("arrays", "        self.factor = factor", "        self.factor = factor / 0"))
    assert check_next(path) == "Next: fix Scaler.__init__ (test_scaler_apply fails)."


def test_next_finishes_the_earliest_failing_task_before_new_stubs(check_next, variant, mini):
    stub = "        raise NotImplementedError('Scaler.__init__: your code here')"
    # the first task wrong and the second a stub: fix the first task before starting the second
    path = variant("early", ("arith", "return 2 * x", "return x + 2"), ("arrays", "        self.factor = factor", stub))
    assert check_next(path) == "Next: fix double (test_double fails)."
    # the first task right, the second a stub somewhere and wrong elsewhere: fix what is written first
    path = variant("late", ("arrays", "        self.factor = factor", stub),
                   ("arrays", "return float(np.sum(values))", "return float(np.sum(values[0]))"))
    assert check_next(path) == "Next: fix total (test_total fails)."
    # only stubs left in the task: implement the first of them, in the lesson's order
    path = variant("stub", ("arrays", "        self.factor = factor", stub))
    assert check_next(path) == "Next: implement Scaler.__init__."
    assert check_next(mini.stubs_dir) == "Next: implement double."
    assert check_next(mini.source_dir) == ""


def test_next_points_at_a_module_that_cannot_be_imported(check_next, variant):
    path = variant("broken", ("arrays", "class Scaler:", "class Scaler(:"))
    assert check_next(path) == "Next: fix arrays.py so that it can be imported (see above)."


# --- what a failed call was made on ------------------------------------------------------------


def test_a_failing_call_says_on_what_input_and_gets_its_hint(cli, variant):
    path = variant("unpacks", ("arrays", "    return float(np.sum(values))",
                               "    rows, columns, depth = values.shape\n    return float(np.sum(values))"))
    shown = cli("check", str(path)).stdout
    assert re.search(r"test_total: total\(values\) with values.shape = \(2, 3\) raised ValueError: not enough values "
                     r"to unpack \(expected 3, got 2\) \(arrays.py:\d+ in total\)", shown), shown
    assert "Hint: a 1-D array has one axis only." in shown


def test_a_hidden_test_says_only_the_rank_of_its_arrays(cli, variant, tmp_path):
    path = variant("unpacks", ("arrays", "    return float(np.sum(values))",
                               "    rows, columns, depth = values.shape\n    return float(np.sum(values))"))
    report = tmp_path / "results.json"
    cli("grade", str(path), "--json", str(report))
    hidden = [t for t in json.loads(report.read_text())["tests"] if t["visibility"] == "hidden"]
    assert len(hidden) == 3
    one_d = [t["output"] for t in hidden if "values.ndim = 1" in t["output"]]
    assert one_d and "total(values) with values.ndim = 1 raised ValueError (arrays.py:" in one_d[0]
    assert not [t for t in hidden if "shape" in t["output"] or "not enough values" in t["output"]]


def test_a_call_is_described_by_parameter_names_shapes_and_values():
    x = np.zeros((5, 6))
    shown, hidden = describe_call("padding", (x, 1), {}, ["input_array", "zp"])
    assert render(shown) == "padding(input_array, 1) with input_array.shape = (5, 6)"
    assert render(hidden) == "padding(input_array, zp) with input_array.ndim = 2"  # a hidden test: no values
    assert render(shown, "zh") == "padding(input_array, 1)（其中 input_array.shape = (5, 6)）"
    # without names (a hostile or odd signature): arrays in place, still no values when hidden
    shown, hidden = describe_call("conv", (x, np.ones((2, 2)), 0.5), {"stride": 2}, None)
    assert render(shown) == "conv(<array (5, 6)>, <array (2, 2)>, 0.5, stride=2)"
    assert render(hidden) == "conv(<2-D array>, <2-D array>, …, stride=…)"


def test_an_array_put_in_the_worker_is_described_by_its_shape():
    remote = Remote.__new__(Remote)
    object.__setattr__(remote, "_type", "ndarray")
    object.__setattr__(remote, "_shape", (3, 4))
    shown, _ = describe_call("map_each", (remote, "op"), {}, ["array", "op"])
    assert render(shown) == "map_each(array, 'op') with array.shape = (3, 4)"


# --- scores and language ------------------------------------------------------------------


def test_scores_for_people_have_at_most_two_decimals_and_the_report_keeps_them_all(cli, mistake, tmp_path,
                                                                                    mini_copy):
    report = tmp_path / "results.json"
    graded = cli("grade", str(mistake("clip_swapped")), "--json", str(report))
    assert "Total: 8.67/10" in graded.stdout and "8.666" not in graded.stdout
    assert '"score": 8.666667' in report.read_text()
    text = (mini_copy / "course.yaml").read_text().replace("points: 4", "points: 1").replace("points: 6", "points: 2")
    (mini_copy / "course.yaml").write_text(text)
    public = mini_copy / "tests" / "units" / "mini" / "public" / "test_arrays.py"  # three checks: thirds of 2
    public.write_text(public.read_text()[:public.read_text().index("\n\ndef test_doubled_total")] + "\n")
    unit = load_course(mini_copy).unit()
    wrong = materialize(unit, {m.name: m for m in load_mistakes(unit)}["first_row"], tmp_path / "first_row")
    shown = cli("check", str(wrong), course=mini_copy).stdout
    assert "Public score: 2.33/3" in shown and "2.333" not in shown


@pytest.mark.parametrize("name", ["exercises", "first_row", "clip_swapped", "double_adds"])
def test_in_chinese_every_line_a_student_reads_is_chinese(cli, mini, mistake, name):
    path = mini.stubs_dir if name == "exercises" else mistake(name)
    shown = cli("check", str(path), "--lang", "zh").stdout
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) >= 5
    english = [line for line in lines if not re.search(r"[\u4e00-\u9fff]", line)]
    assert english == [], english


@pytest.mark.parametrize("command", ["grade", "check"])
def test_a_path_that_does_not_exist_is_a_usage_error_in_one_line(cli, tmp_path, command):
    done = cli(command, str(tmp_path / "mistyped"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"grader: {tmp_path / 'mistyped'}: no such file or folder"]
    assert done.stdout == ""
    (tmp_path / "empty").mkdir()  # an empty folder is a real submission: it scores 0
    empty = cli(command, str(tmp_path / "empty"))
    assert empty.returncode in (0, 1) and "0/10" in empty.stdout


def test_grade_all_has_no_feedback_file_option(cli, tmp_path):
    done = cli("grade-all", str(tmp_path), "--out", str(tmp_path / "out"), "--feedback", str(tmp_path / "f.md"))
    assert done.returncode == 2 and "unrecognized arguments: --feedback" in done.stderr


# --- what the student's code printed ------------------------------------------------------------


def _under(shown, test):
    """The lines shown under the check ``test`` (up to the next check or task)."""
    lines = shown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip(" -+").startswith(test + ":"))
    block = []
    for line in lines[start + 1:]:
        if line.startswith("     -") or line.startswith("     +") or not line.startswith("       "):
            break
        block.append(line.strip())
    return block


def test_what_a_failing_call_printed_is_shown_under_its_check(cli, variant):
    path = variant("debug", ("arith", "    return 2 * x\n", "    print('doubling', x)\n    return 2 * x + 1\n"))
    shown = cli("check", str(path)).stdout
    block = _under(shown, "test_double")
    assert "your code printed:" in block and "| doubling 3" in block, shown
    assert "| doubling" not in "\n".join(_under(shown, "test_clip")) if "test_clip:" in shown else True


def test_what_an_import_printed_is_shown_under_the_check_that_imported_it(cli, variant):
    path = variant("loud", ("arith", "import annotations\n", 'import annotations\nprint("hello from arith")\n'),
                   ("arith", "return 2 * x", "return 2 * x + 1"))
    shown = cli("check", str(path)).stdout
    assert shown.count("hello from arith") == 1, shown
    first = [line for line in shown.splitlines() if "hello from arith" in line][0]
    assert first.strip() == "| hello from arith"


def test_a_flood_is_cut_with_a_note_of_how_much_more_there_was(cli, variant):
    flood = "    import sys\n    sys.stdout.write('x' * 20_000_000)\n    return 2 * x + 1\n"
    path = variant("flood", ("arith", "    return 2 * x\n", flood))
    done = cli("check", str(path))
    block = _under(done.stdout, "test_double")
    shown = "\n".join(block)
    assert len(shown) < 5000
    more = re.search(r"\[\.\.\. (\d+) more characters not shown\]", shown)
    assert more is not None and int(more.group(1)) >= 20_000_000 - 2000, shown


def test_a_passing_check_that_printed_is_listed_with_what_it_printed(cli, variant):
    path = variant("chatty", ("arith", "    return 2 * x\n", "    print('still here')\n    return 2 * x\n"))
    shown = cli("check", str(path)).stdout
    assert "+ test_double: passes" in shown and "| still here" in _under(shown, "test_double"), shown


def test_hidden_grading_shows_no_print_under_a_test(grade, variant):
    path = variant("debug", ("arith", "    return 2 * x\n", "    print('doubling', x)\n    return 2 * x + 1\n"))
    _, public = grade(path, "public")
    _, hidden = grade(path, "hidden")
    assert any(part.text.startswith("doubling") for o in public.outcomes.values() for part in o.printed)
    assert all(not o.printed for o in hidden.outcomes.values())
    assert "doubling" in hidden.output  # the run's output, as hidden grading always kept it


def test_a_syntax_error_is_told_once_per_module(cli, variant):
    path = variant("broken", ("arrays", "class Scaler", "class Scaler(:"))
    shown = cli("check", str(path)).stdout
    assert shown.count("syntax error") == 1, shown
    assert shown.index("syntax error") < shown.index("Task 1")  # said first: every check it stops points up to it
    assert "- test_scaler_apply, test_total, test_map_each, test_doubled_total: cannot run, arrays.py cannot be " \
        "imported (see above)" \
        in shown, shown


def test_an_import_that_times_out_is_told_first_and_named_in_the_students_language(cli, mini_copy):
    text = (mini_copy / "course.yaml").read_text().replace("import_seconds: 10", "import_seconds: 2")
    (mini_copy / "course.yaml").write_text(text)
    solutions = mini_copy / "solutions" / "arith.py"
    solutions.write_text(solutions.read_text().replace("import annotations\n", "import annotations\nwhile True:\n"
                                                       "    pass\n"))
    shown = cli("check", str(mini_copy / "solutions"), course=mini_copy).stdout
    assert " ! arith.py cannot be imported: your code timed out after 2 s in importing arith.py" in shown, shown
    assert "Next: fix arith.py so that it can be imported (see above)." in shown
    zh = cli("check", str(mini_copy / "solutions"), "--lang", "zh", course=mini_copy).stdout
    assert "导入 arith.py 的过程" in zh and "importing" not in zh, zh


def test_task_lines_line_up_whatever_their_mark(cli, mistake):
    path = mistake("clip_swapped")  # the first task fails, the second passes
    for lang in ("en", "zh"):
        shown = cli("check", str(path), "--lang", lang).stdout
        tasks = [line for line in shown.splitlines() if "Task" in line or "任务" in line]
        assert len(tasks) == 2
        from grader.rendering.guide import width
        columns = {width(line[: line.index("Task" if lang == "en" else "任务")]) for line in tasks}
        assert len(columns) == 1, tasks
    assert all(line.count("通过") == 1 for line in tasks), tasks  # the mark says it; the count not again


# --- what a failed check names -------------------------------------------------------------------


@pytest.mark.parametrize(("what", "en", "zh"), [
    ("layer.output_array ← layer.forward(x)", "after layer.forward(x), layer.output_array",
     "执行 layer.forward(x) 之后，layer.output_array"),
    ("layer.output_array ← layer.forward(x), x.shape = (6, 7)",
     "after layer.forward(x) (with x.shape = (6, 7)), layer.output_array",
     "执行 layer.forward(x)（其中 x.shape = (6, 7)） 之后，layer.output_array"),
    ("out ← conv(f(a, b), [[1, 2]], out, 1)", "after conv(f(a, b), [[1, 2]], out, 1), out",
     "执行 conv(f(a, b), [[1, 2]], out, 1) 之后，out"),
    ("total(x), x.shape = (2, 3)", "total(x), x.shape = (2, 3)", "total(x), x.shape = (2, 3)"),
])
def test_a_value_a_call_leaves_behind_is_named_in_words(what, en, zh):
    from grader.kit.checks import after

    assert render(after(what), "en") == en and render(after(what), "zh") == zh


def test_a_failing_check_says_after_which_call_the_value_differs(cli, mistake):
    path = mistake("map_not_in_place")
    shown = cli("check", str(path)).stdout
    assert "after map_each(array, negate), array differs at index" in shown and "←" not in shown, shown
    zh = cli("check", str(path), "--lang", "zh").stdout
    assert "执行 map_each(array, negate) 之后，array 在下标" in zh and "←" not in zh, zh


def test_an_import_failure_told_first_keeps_a_hidden_checks_secret(cli, mini_copy):
    # every check of the arrays task hidden: what arrays.py's import raised is not shown, even at the top
    text = (mini_copy / "course.yaml").read_text()
    (mini_copy / "course.yaml").write_text(text.replace("          test_total_random: hidden",
                                                        "          test_: hidden"))
    module = mini_copy / "solutions" / "arrays.py"
    module.write_text(module.read_text().replace("import annotations\n",
                                                 "import annotations\nraise ValueError('SECRET-123')\n"))
    shown = cli("check", str(mini_copy / "solutions"), course=mini_copy).stdout
    assert " ! arrays.py cannot be imported" in shown and "SECRET-123" not in shown, shown


def test_check_in_a_course_of_several_units_says_which_it_checked_and_how_to_check_the_others(cli, mini):
    done = cli("check")
    assert "Checking unit mini (" in done.stderr and "grader check --unit quiz" in done.stderr, done.stderr
    chinese = cli("check", "--lang", "zh")
    assert "这次检查的是 mini 单元" in chinese.stderr and "grader check --unit quiz" in chinese.stderr
    named = cli("check", "--unit", "mini")
    assert "Checking unit" not in named.stderr and "--unit quiz" not in named.stderr


def test_a_notebook_or_a_folder_is_checked_with_the_unit_it_is_for(cli, mini_copy, tmp_path):
    """A notebook named as a unit's notebook is that unit's; a folder holding one unit's modules is that unit's;
    either way, without --unit, never the default unit's by mistake."""
    text = (mini_copy / "course.yaml").read_text(encoding="utf-8")
    marker = "  - id: quiz\n"
    (mini_copy / "course.yaml").write_text(text.replace(marker, marker + "    notebook: {assignment: q, name: quiz}\n"),
                                           encoding="utf-8")
    notebook = tmp_path / "quiz.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    done = cli("check", str(notebook), course=mini_copy)
    assert "Checking unit quiz (" in done.stderr and "grader check --unit mini" in done.stderr, done.stderr
    assert "Quiz: public checks of" in done.stdout, done.stdout
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "arith.py").write_text("")
    assert "Checking unit mini (" in cli("check", str(folder), course=mini_copy).stderr


def test_the_public_score_counts_only_what_the_checks_judge_and_all_pass_means_all_handed_in(cli, tmp_path):
    """The quiz: every answer readable but none known right or wrong here (the key is not in a bundle), and an
    open question left unanswered: no point is counted as earned, nothing says all passes, and check fails; with
    every answer there, it passes. The feedback page says the same."""
    import yaml

    from grader.kit.questions import answer_key
    from grader.model.course import load_course

    quiz = load_course(Path(__file__).parent / "fixtures" / "mini").unit("quiz")
    folder = tmp_path / "mine"
    folder.mkdir()
    answers = {**answer_key(quiz, None), "why_double": "By definition."}
    (folder / "answers.yaml").write_text(yaml.safe_dump(answers), encoding="utf-8")
    done = cli("check", str(folder), "--unit", "quiz", "--feedback", str(tmp_path / "page.md"))
    assert done.returncode == 1, done.stdout
    assert "No public score" in done.stdout and "All public checks pass" not in done.stdout
    assert "answers still to write: 1 (see above)" in done.stdout, done.stdout
    page = (tmp_path / "page.md").read_text(encoding="utf-8")
    assert "Every test passes" not in page and "Open questions (graded by a person): 1/2 answered" in page, page
    assert "Score: 6/6" not in page and "the questions' 6 points are judged when the work is graded" in page
    (folder / "answers.yaml").write_text(yaml.safe_dump({**answers, "mean_use": "Outliers."}), encoding="utf-8")
    done = cli("check", str(folder), "--unit", "quiz", "--feedback", str(tmp_path / "page.md"))
    assert done.returncode == 0 and "All public checks pass" in done.stdout, done.stdout
    assert "Every test passes" in (tmp_path / "page.md").read_text(encoding="utf-8")
