"""course.yaml: loaded into typed objects; every breakage gets a clear, located message."""

from pathlib import Path

import pytest

from grader.model.course import CourseError, load_course, parse_course

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "course.yaml").read_text()


def test_the_course_loads():
    course = load_course(ROOT)
    assert [t.id for t in course.model.tasks] == ["relu", "filter", "conv_layer"]
    assert course.max_score == 100
    assert course.model.limits.call_seconds > 0


@pytest.mark.parametrize("old, new, expected", [
    ("points: 10", "points: ten", "course.yaml:22: tasks[0].points: Input should be a valid number (got 'ten')"),
    ('    title: {en: "Task 1', '    titel: {en: "Task 1', "tasks[0].titel: unknown key"),
    ('    title: {en: "Task 1: ReluActivator", zh: "任务 1：ReluActivator"}\n', "",
     "tasks[0].title: required key is missing"),
    ("language: en", "language: fr", "course.yaml:5: language: Input should be 'en' or 'zh'"),
    ('    title: {en: "Task 1', '    title: {fr: "Task 1', "tasks[0].title"),
    ("hints: tests/hints.yaml", "hints: tests/gone.yaml", "hints: file 'tests/gone.yaml' does not exist"),
    ("      test_forward_random: hidden", "      test_forward_random: secret", "test_visibility.test_forward_random"),
    ("memory_mb: 1024", "memory_mb: -3", "limits.memory_mb: Input should be greater than or equal to 64"),
    ("id: filter", "id: relu", "tasks: task ids must be unique; repeated: relu"),
    ("tests: test_relu.py", "tests: test_gone.py", "tasks[0].tests: tests/hidden/test_gone.py does not exist"),
    ("module: filter\n", "module: filter\n    module: filter\n", "tasks[1].module: key appears twice"),
    ("module: filter\n", "module: nowhere\n", "tasks name modules not listed in `modules`: nowhere"),
    ("modules: [activators, filter, conv_layer]", "modules: [activators, filter, conv_layer", "not valid YAML"),
    ("call_seconds: 5 ", "call_seconds: soon ", "limits.call_seconds: Input should be a valid number"),
])
def test_breakage_is_reported_by_key_path(old, new, expected):
    assert old in TEXT
    with pytest.raises(CourseError) as caught:
        parse_course(TEXT.replace(old, new, 1), ROOT)
    assert expected in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_a_list_is_not_a_course():
    with pytest.raises(CourseError, match="must be a mapping"):
        parse_course("- 1\n- 2\n", ROOT)


def test_cli_prints_one_clean_message(tmp_path):
    import subprocess
    import sys

    (tmp_path / "course.yaml").write_text(TEXT.replace("points: 20", "points: twenty"))
    result = subprocess.run([sys.executable, "-m", "grader", "--course", str(tmp_path), "check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "tasks[1].points" in result.stderr and "Traceback" not in result.stderr
