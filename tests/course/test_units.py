"""The real course: every unit sound (``grader validate``), its package typed and ordered as its lesson teaches,
its texts in both languages; and the framework's own tests independent of it."""

import ast
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import background
import pytest

from grader.authoring.mistakes import load_mistakes
from grader.kit.questions import key_of, parameters, questions_of
from grader.model.course import load_course
from grader.model.hints import load_hints

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)
UNITS = [unit.id for unit in COURSE.units]


@background.job("validate")
def _validate() -> subprocess.CompletedProcess[str]:
    return background.run([sys.executable, "-m", "grader", "validate"], cwd=ROOT, timeout=900)


@pytest.mark.background("validate")
def test_grader_validate_declares_every_unit_sound():
    result = background.result("validate")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"The course is sound ({', '.join(UNITS)})." in result.stdout
    for unit in COURSE.units:
        assert result.stdout.count(f"Validating unit {unit.id}:") == 1


@pytest.mark.parametrize("unit_id", UNITS)
def test_every_hint_is_written_in_both_languages_and_diagnoses_a_known_mistake(unit_id):
    unit = COURSE.unit(unit_id)
    hints = load_hints(unit.content("hints"))
    named = {m.hint for m in load_mistakes(unit)}
    for question in questions_of(unit):  # the known wrong answers of the questions, for a few students
        for student in (None, "ada", "bob"):
            named |= {mistake for mistake, _ in key_of(unit, question, parameters(unit, question, student)).mistakes}
    assert named == set(hints), "a hint no known mistake gives is never tried"
    for ident, hint in hints.items():
        assert hint.hint["en"].isascii() and re.search(r"[\u4e00-\u9fff]", hint.hint["zh"]), ident
        # no space between two Chinese characters (a folded YAML line would put one there)
        assert not re.search(r"[\u4e00-\u9fff，。；：] [\u4e00-\u9fff]", hint.hint["zh"]), ident


def order_of(path: Path) -> list[str]:
    order = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef):
            order += [f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)]
        elif isinstance(node, ast.FunctionDef):
            order.append(node.name)
    return order


def test_conv_layer_is_ordered_top_down_breadth_first():
    assert order_of(ROOT / "exercises" / "conv_layer.py") == [
        "ConvLayer.__init__", "ConvLayer.forward",            # level 1
        "ConvLayer.calculate_output_size", "padding", "conv", "element_wise_op",  # level 2
        "get_patch",                                           # level 3
    ]


@pytest.mark.parametrize("unit_id", UNITS)
def test_each_task_covers_its_functions_in_the_order_of_its_module(unit_id):
    """``covers`` is the lesson's order (grader check's next step follows it): the stubs are written in it too."""
    unit = COURSE.unit(unit_id)
    for task in [task for task in unit.tasks if task.module is not None]:
        order = order_of(unit.stubs_dir / f"{task.module}.py")
        positions = [order.index(name) for name in task.covers]
        assert positions == sorted(positions), (task.id, task.covers, order)


def test_mypy_passes_on_exercises_and_solutions():
    result = subprocess.run([sys.executable, "-m", "mypy", "exercises", "solutions"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lesson_own_style_is_among_the_conv_styles():
    source = (ROOT / "tests" / "units" / "conv" / "styles" / "lesson" / "conv_layer.py").read_text()
    # the lesson's answer: a float zeros array for padding, nditer write-back, a forward that returns nothing
    assert "np.zeros((input_depth, input_height + 2 * zp, input_width + 2 * zp))" in source
    assert 'np.nditer(array, op_flags=["readwrite"])' in source
    forward = source[source.index("def forward"):source.index("@staticmethod")]
    assert "return" not in forward
    styles = {p.name for p in (ROOT / "tests" / "units" / "conv" / "styles").iterdir() if p.is_dir()}
    assert {"lesson", "vectorized", "pure_python"} <= styles  # validate gives each full marks, public and hidden


@background.job("framework_copy")
def _framework_in_a_changed_copy() -> subprocess.CompletedProcess[str]:
    """A copy of the repository with a point value changed and a unit removed; its framework tests, run there."""
    with tempfile.TemporaryDirectory(prefix="framework-copy-") as temp:
        copy = Path(shutil.copytree(ROOT, Path(temp) / "repo", symlinks=True, ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", ".mypy_cache", ".ruff_cache", ".venv", ".interpreters", "build",
            "out")))
        text = (copy / "course.yaml").read_text()
        changed = text.replace("points: 8\n", "points: 13\n", 1)
        assert changed != text
        if "  - id: pooling\n" in changed:
            changed = changed[:changed.index("  - id: pooling\n")]
        (copy / "course.yaml").write_text(changed)
        assert load_course(copy).unit().max_score == COURSE.unit().max_score + 5
        return background.run([sys.executable, "-m", "pytest", "tests/framework", "-q", "-x", "-p", "no:randomly",
                               "--basetemp", str(Path(temp) / "basetemp")], cwd=copy, timeout=1800)


@pytest.mark.background("framework_copy")
def test_the_framework_tests_do_not_depend_on_the_real_course():
    result = background.result("framework_copy")
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout.splitlines()[-1] and "failed" not in result.stdout.splitlines()[-1]


def test_the_late_policy_sketched_in_course_yaml_loads_when_uncommented(tmp_path):
    text = (ROOT / "course.yaml").read_text()
    sketch = re.search(r"\n( +)# late:.*\n(?:\1#   .*\n)+", text)
    assert sketch, "course.yaml sketches a late policy in comments"
    indent = sketch.group(1)
    live = sketch.group(0).replace(f"{indent}# ", indent, 1).replace(f"{indent}#   ", f"{indent}  ")
    shutil.copytree(ROOT, tmp_path / "course", ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info",
                                                                            ".interpreters", ".venv"))
    (tmp_path / "course" / "course.yaml").write_text(text.replace(sketch.group(0), live))
    policy = load_course(tmp_path / "course").unit("conv").model.late
    assert policy is not None and policy.penalty.per == "day" and policy.late_due is not None
