"""``grader check``: what a student sees while working: where a call failed, the next step, the score, the
language, and an exit status that keeps a CI run red while a check fails."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.authoring.mistakes import Mistake, load_mistakes, materialize
from grader.model.course import load_course
from grader.model.messages import render
from grader.rendering.guide import next_step
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites
from grader.running.session import Remote, describe_call

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)
MISTAKES = {m.name: m for m in load_mistakes(COURSE)}


def cli(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def variant(tmp_path, name, *edits):
    spec = Mistake(name, "", [{"module": m, "old": o, "new": n} for m, o, n in edits], [])
    return materialize(COURSE, spec, tmp_path / name)


def check_next(path) -> str:
    score = score_run(COURSE, run_suites(COURSE, Path(path), "public", seed=1234))
    step = next_step(score)
    return render(step) if step is not None else ""


# --- the exit status ----------------------------------------------------------------------


def test_check_fails_while_a_public_check_fails_and_passes_when_all_do(tmp_path):
    stubs, done = cli("check"), cli("check", "solutions")
    assert stubs.returncode == 1 and "Public score: 0/100" in stubs.stdout
    assert done.returncode == 0 and "Public score: 100/100" in done.stdout
    almost = materialize(COURSE, MISTAKES["relu_backward_at_zero"], tmp_path / "almost")
    one_wrong = cli("check", str(almost))
    assert one_wrong.returncode == 1 and "Public score: 96.67/100" in one_wrong.stdout
    grade = cli("grade", str(almost))  # grading keeps its contract: 0 whenever grading finished
    assert grade.returncode == 0


def test_check_help_states_the_exit_status():
    shown = cli("check", "--help").stdout
    assert "0 when every check passes, 1 while any fails" in " ".join(shown.split())


# --- the next step ----------------------------------------------------------------------------


def test_next_names_the_function_to_fix_not_the_test(tmp_path):
    # get_patch ignores the stride: conv and forward fail as well, but get_patch is where the mistake is
    assert check_next(materialize(COURSE, MISTAKES["stride_ignored"], tmp_path / "s")) == \
        "Next: fix get_patch (test_get_patch fails)."
    assert check_next(materialize(COURSE, MISTAKES["kernel_flipped"], tmp_path / "k")) == \
        "Next: fix conv (test_conv fails)."
    assert check_next(materialize(COURSE, MISTAKES["padding_only_3d"], tmp_path / "p")) == \
        "Next: fix padding (test_padding fails)."
    assert check_next(materialize(COURSE, MISTAKES["width_height_swapped"], tmp_path / "w")) == \
        "Next: fix ConvLayer.__init__ (test_init_sizes_the_output fails)."
    assert check_next(materialize(COURSE, MISTAKES["activator_before_bias"], tmp_path / "a")) == \
        "Next: fix ConvLayer.forward (test_forward_with_relu_on_a_non_square_input fails)."


def test_next_finishes_the_earliest_failing_task_before_new_stubs(tmp_path):
    # ReLU is wrong and Filter is still a stub: fix the first task before starting the second
    path = variant(tmp_path, "early",
                   ("activators", "return max(0, weighted_input)", "return abs(weighted_input)"),
                   ("filter", "        self.weights = np.random.uniform(-1e-4, 1e-4, (depth, height, width))\n",
                    "        raise NotImplementedError('Filter.__init__: your code here')\n"))
    assert check_next(path) == "Next: fix ReluActivator.forward (test_forward_negative fails)."
    # the first task right, the second a stub, the third wrong: implement the stub first
    path = variant(tmp_path, "stub",
                   ("filter", "        self.weights = np.random.uniform(-1e-4, 1e-4, (depth, height, width))\n",
                    "        raise NotImplementedError('Filter.__init__: your code here')\n"),
                   ("conv_layer", "    top = i * stride\n    left = j * stride", "    top = i\n    left = j"))
    assert check_next(path) == "Next: implement Filter.__init__."
    assert check_next(COURSE.stubs_dir) == "Next: implement ReluActivator.forward."
    assert check_next(COURSE.source_dir) == ""


def test_next_points_at_a_module_that_cannot_be_imported(tmp_path):
    path = variant(tmp_path, "broken", ("filter", "class Filter:", "class Filter(:"))
    assert check_next(path) == "Next: fix filter.py so that it can be imported (see above)."


# --- what a failed call was made on ------------------------------------------------------------


def test_a_failing_call_says_on_what_input(tmp_path):
    path = materialize(COURSE, MISTAKES["padding_only_3d"], tmp_path / "p")
    shown = cli("check", str(path)).stdout
    assert re.search(r"test_padding: padding\(input_array, 1\) with input_array.shape = \(2, 3\) raised "
                     r"ValueError: not enough values to unpack .* \(conv_layer.py:\d+ in padding\)", shown), shown


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
    shown, _ = describe_call("element_wise_op", (remote, "op"), {}, ["array", "op"])
    assert render(shown) == "element_wise_op(array, 'op') with array.shape = (3, 4)"


# --- scores and language ------------------------------------------------------------------


def test_scores_for_people_have_at_most_two_decimals_and_the_report_keeps_them_all(tmp_path):
    path = materialize(COURSE, MISTAKES["activator_skipped"], tmp_path / "a")
    shown = cli("check", str(path)).stdout
    assert "Public score: 92.22/100" in shown and "92.222" not in shown
    report = tmp_path / "results.json"
    graded = cli("grade", str(path), "--json", str(report))
    assert "Total: 91.06/100" in graded.stdout
    assert '"score": 91.0638' in report.read_text()


@pytest.mark.parametrize("name", ["exercises", "padding_only_3d", "kernel_flipped", "activator_before_bias",
                                  "width_height_swapped", "output_size_float"])
def test_in_chinese_every_line_a_student_reads_is_chinese(tmp_path, name):
    path = COURSE.stubs_dir if name == "exercises" else materialize(COURSE, MISTAKES[name], tmp_path / name)
    shown = cli("check", str(path), "--lang", "zh").stdout
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) >= 6
    english = [line for line in lines if not re.search(r"[\u4e00-\u9fff]", line)]
    assert english == [], english
