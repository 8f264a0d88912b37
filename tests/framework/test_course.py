"""course.yaml: loaded into typed objects, its units chosen by id; every breakage gets a clear, located message."""

import subprocess
import sys
from pathlib import Path

import pytest

from grader.model.course import CourseError, load_course, parse_course

MINI = Path(__file__).parent / "fixtures" / "mini"
TEXT = (MINI / "course.yaml").read_text()


def test_the_fixture_course_loads():
    course = load_course(MINI)
    unit = course.unit()
    assert [u.id for u in course.units] == ["mini", "quiz"] and unit.id == "mini"  # mini is the default
    assert [t.id for t in unit.tasks] == ["numbers", "arrays"]
    assert unit.max_score == 10 and unit.limits.call_seconds == 2 and unit.limits.memory_mb == 1024
    assert unit.folder == MINI / "tests" / "units" / "mini"
    assert unit.suite_file(unit.tasks[0], "hidden") == MINI / "tests" / "units" / "mini" / "hidden" / "test_arith.py"
    assert course.unit_of(MINI / "tests" / "units" / "mini" / "public" / "test_arith.py") == unit
    assert course.unit_of(MINI / "tests" / "units" / "quiz" / "hidden" / "test_questions.py") == course.unit("quiz")
    assert course.unit_of(MINI / "tests" / "units" / "mini" / "helpers.py") is None


@pytest.mark.parametrize("old, new, expected", [
    ("points: 4", "points: four",
     "course.yaml:20: units[0].tasks[0].points: Input should be a valid number (got 'four')"),
    ('        title: {en: "Task 1', '        titel: {en: "Task 1', "units[0].tasks[0].titel: unknown key"),
    ('        title: {en: "Task 1: numbers", zh: "任务 1：数"}\n', "",
     "units[0].tasks[0].title: required key is missing"),
    ("language: en", "language: fr", "course.yaml:4: language: Input should be 'en' or 'zh'"),
    ("    modules: [arith, arrays]\n", "    modules: [arith, arrays]\n    hints: gone.yaml\n",
     "units[0].hints: 'tests/units/mini/gone.yaml' is not a file"),
    ("    modules: [arith, arrays]\n", "    modules: [arith, arrays]\n    code: hidden\n",
     "units[0].code: 'tests/units/mini/hidden' is not a package (a folder with __init__.py)"),
    ("  - id: mini\n", "  - id: mini\n    folder: tests/units/elsewhere\n",
     "units[0].folder: the unit's folder 'tests/units/elsewhere' does not exist"),
    ("    modules: [arith, arrays]\n", "    modules: [arith, arrays]\n    suites: {hidden: secret}\n",
     "units[0].suites.hidden: 'tests/units/mini/secret' is not a directory"),
    ("      test_total_random: hidden", "      test_total_random: secret", "test_visibility.test_total_random"),
    ("submission_seconds: 60", "submission_seconds: -3", "limits.submission_seconds: Input should be greater than 0"),
    ("id: arrays", "id: numbers", "units[0].tasks: task ids must be unique; repeated: numbers"),
    ("tests: test_arith.py", "tests: test_gone.py",
     "units[0].tasks[0].tests: tests/units/mini/public/test_gone.py does not exist"),
    ("module: arrays\n", "module: arrays\n        module: arrays\n", "units[0].tasks[1].module: key appears twice"),
    ("module: arrays\n", "module: nowhere\n", "tasks name modules not listed in `modules`: nowhere"),
    ("modules: [arith, arrays]", "modules: [arith, arrays", "not valid YAML"),
    ("call_seconds: 2", "call_seconds: soon", "limits.call_seconds: Input should be a valid number"),
    ("        tests: test_arith.py\n", "        tests: test_arith.py\n        notebook: {tests: notebook/gone.tmpl}\n",
     "units[0].tasks[0].notebook.tests: 'tests/units/mini/notebook/gone.tmpl' is not a file"),
    ("  - id: mini\n", "  - id: Mini!\n", "units[0].id: String should match pattern"),
])
def test_breakage_is_reported_by_key_path(old, new, expected):
    assert old in TEXT
    with pytest.raises(CourseError) as caught:
        parse_course(TEXT.replace(old, new, 1), MINI)
    assert expected in str(caught.value)
    assert "Traceback" not in str(caught.value)


ONE = TEXT[:TEXT.index("  - id: quiz\n")].replace("    default: true\n", "", 1)  # the mini unit alone


def two_units(text: str = ONE, default: bool = False) -> str:
    """The mini unit alone, and a second unit that copies it under another id (and takes its folder)."""
    start = text.index("  - id: mini\n")
    unit = text[start:].replace("  - id: mini\n", "  - id: twin\n    folder: tests/units/mini\n", 1)
    if default:
        unit = unit.replace("  - id: twin\n", "  - id: twin\n    default: true\n", 1)
    return text + unit


def test_units_are_chosen_by_id_or_by_default():
    course = parse_course(two_units(), MINI)
    assert [u.id for u in course.units] == ["mini", "twin"]
    assert course.unit("twin").id == "twin"
    with pytest.raises(CourseError, match="2 units and none is the default: choose one with --unit"):
        course.unit()
    with pytest.raises(CourseError, match="no unit 'gone'; the units are mini, twin"):
        course.unit("gone")
    assert parse_course(two_units(default=True), MINI).unit().id == "twin"
    with pytest.raises(CourseError, match="unit ids must be unique; repeated: mini"):
        parse_course(two_units().replace("  - id: twin\n", "  - id: mini\n"), MINI)
    doubled = two_units(default=True).replace("  - id: mini\n", "  - id: mini\n    default: true\n", 1)
    with pytest.raises(CourseError, match="at most one unit may be the default"):
        parse_course(doubled, MINI)


def test_a_list_is_not_a_course():
    with pytest.raises(CourseError, match="must be a mapping"):
        parse_course("- 1\n- 2\n", MINI)


def test_cli_prints_one_clean_message(tmp_path):
    (tmp_path / "course.yaml").write_text(TEXT.replace("points: 6", "points: six"))
    result = subprocess.run([sys.executable, "-m", "grader", "--course", str(tmp_path), "check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "units[0].tasks[1].points" in result.stderr and "Traceback" not in result.stderr


def test_cli_names_the_units_when_it_cannot_choose(cli, mini_copy):
    (mini_copy / "course.yaml").write_text(two_units())
    result = cli("check", course=mini_copy)
    assert result.returncode == 2 and "choose one with --unit (mini, twin)" in result.stderr
    chosen = cli("check", "--unit", "twin", str(mini_copy / "solutions"), course=mini_copy)
    assert chosen.returncode == 0 and "Public score: 10/10" in chosen.stdout
