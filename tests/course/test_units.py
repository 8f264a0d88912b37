"""The real course: every unit sound (``grader validate``), its package typed and ordered as its lesson teaches,
its texts in both languages; and the framework's own tests independent of it."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import background
import numpy as np
import pytest

from grader.authoring.mistakes import load_mistakes
from grader.kit.questions import key_of, parameters, questions_of
from grader.model.course import Limits, load_course
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


READS_THE_COURSE = """
import subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_opens_course_yaml():
    (ROOT / "course.yaml").read_text()


def test_starts_a_python_that_lists_the_solutions():
    subprocess.run([sys.executable, "-c", "import os; os.listdir('solutions')"], cwd=ROOT, check=True)


def test_reads_a_relative_path_of_a_unit():
    import os
    os.chdir(ROOT / "tests")
    try:
        open("units/one/hints.yaml").close()
    finally:
        os.chdir(ROOT)


def test_reads_its_own_fixture_course():
    (ROOT / "tests" / "framework" / "fixtures" / "mini.txt").read_text()
"""


def test_a_framework_test_that_reads_the_real_course_fails(tmp_path):
    """The framework's tests pass whatever the real course holds because none of them reads it: each one, and
    every Python it starts, is watched (tests/framework/conftest.py). Here that watch is shown to catch a read, in
    the test's process, in a Python it starts, by a relative path, and to let a fixture course be read."""
    framework = tmp_path / "tests" / "framework"
    shutil.copytree(ROOT / "tests" / "framework" / "audit", framework / "audit")
    shutil.copy(ROOT / "tests" / "framework" / "conftest.py", framework / "conftest.py")
    (framework / "fixtures").mkdir()
    (framework / "fixtures" / "mini.txt").write_text("a fixture course\n")
    (tmp_path / "course.yaml").write_text("units: []\n")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "tests" / "units" / "one").mkdir(parents=True)
    (tmp_path / "tests" / "units" / "one" / "hints.yaml").write_text("{}\n")
    (framework / "test_reads.py").write_text(READS_THE_COURSE)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(framework / "test_reads.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 1 and "4 passed, 3 errors" in out, out[-3000:]  # each read fails its test
    assert f"open {tmp_path / 'course.yaml'}" in out
    assert f"os.listdir {tmp_path / 'solutions'}" in out
    assert f"open {tmp_path / 'tests' / 'units' / 'one' / 'hints.yaml'}" in out


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


def test_every_limit_is_named_in_the_readme_and_in_course_yaml():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    course = (ROOT / "course.yaml").read_text(encoding="utf-8")
    for name, field in Limits.model_fields.items():
        assert f"`{name}`" in readme, name
        assert re.search(rf"^  {name}: {field.default}\s+# \S", course, re.M), f"{name} in course.yaml, with a comment"


@pytest.mark.parametrize("unit_id", UNITS)
def test_no_student_of_the_unit_has_its_practice_variants_numbers(unit_id):
    """Every student's bundle holds the practice key: 2,000 ids, none of which gets the practice numbers of any
    question (the feature maps question gave one student's graded numbers away before)."""
    from grader.kit.practice import practice_numbers, practice_questions

    unit = COURSE.unit(unit_id)
    for question in practice_questions(unit):
        practice = practice_numbers(unit, question)
        for n in range(2000):
            numbers = parameters(unit, question, f"student{n}")
            assert set(numbers) != set(practice) or any(
                not np.array_equal(np.asarray(numbers[name]), np.asarray(practice[name])) for name in numbers
            ), (question.id, f"student{n}")
