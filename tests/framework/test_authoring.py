"""Authoring without surprises: a unit is added by touching course.yaml, the solutions, the generated stubs and
one folder; one unit's answer key never wipes another's; question ids are one namespace; a mistakes catalogue
is read against a strict schema, each problem one located line, and a stale one never hides the others."""

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from grader.authoring.mistakes import load_mistakes, stale_edits
from grader.model.course import CourseError, load_course

SOLUTION = '''"""A new unit's one exercise."""

from __future__ import annotations


def square(x: float) -> float:
    """``x`` times itself."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION
'''
PUBLIC = '''from grader.kit import check_number


def test_square(submission):
    check_number(submission.square.square(3.0), 9.0, "square(3.0)")
'''
HIDDEN = '''import pytest

from grader.kit import check_number


@pytest.mark.parametrize("x", [-2.5, 0.0, 7.0])
def test_square(submission, reference, x):
    check_number(submission.square.square(x), reference.square(x), f"square({x})")
'''
ENTRY = '''  - id: square
    title: {en: "Squares", zh: "平方"}
    modules: [square]
    tasks:
      - {id: square, title: {en: "Task 1: square", zh: "任务 1：平方"}, points: 2, module: square,
         covers: [square], tests: test_square.py}
'''


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def test_adding_a_unit_touches_course_yaml_the_solutions_the_stubs_and_one_folder(mini_copy, cli):
    before = snapshot(mini_copy)
    (mini_copy / "solutions" / "square.py").write_text(SOLUTION)
    assert cli("stubs", course=mini_copy).returncode == 0
    folder = mini_copy / "tests" / "units" / "square"
    for path, text in {"public/test_square.py": PUBLIC, "hidden/test_square.py": HIDDEN, "code/__init__.py": "",
                       "code/reference.py": "def square(x):\n    return x ** 2\n"}.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    (mini_copy / "course.yaml").write_text((mini_copy / "course.yaml").read_text() + ENTRY)
    after = snapshot(mini_copy)
    changed = sorted(path for path in after if before.get(path) != after[path])
    assert changed == ["course.yaml", "exercises/square.py", "solutions/square.py",
                       "tests/units/square/code/__init__.py", "tests/units/square/code/reference.py",
                       "tests/units/square/hidden/test_square.py", "tests/units/square/public/test_square.py"]
    assert not [path for path in before if path not in after]
    assert len(ENTRY.splitlines()) <= 8  # a few lines of course.yaml
    validated = cli("validate", "--unit", "square", course=mini_copy)
    assert validated.returncode == 0 and "sound" in validated.stdout, validated.stdout + validated.stderr
    graded = cli("grade", "--unit", "square", str(mini_copy / "solutions"), course=mini_copy)
    assert "Total: 2/2" in graded.stdout, graded.stdout


def test_one_units_key_is_written_without_touching_the_others_answers(mini_copy, cli):
    answers = mini_copy / "solutions" / "answers.yaml"
    answers.write_text("from_another_unit: 42\ntwice: 0\n" + answers.read_text().replace("twice:", "was_twice:"))
    done = cli("questions", "--unit", "quiz", "--key", "--write", course=mini_copy)
    assert done.returncode == 0 and "wrote the 5 answers of unit quiz" in done.stdout, done.stderr
    written = yaml.safe_load(answers.read_text())
    assert written["from_another_unit"] == 42  # kept, in its place
    assert list(written)[:2] == ["from_another_unit", "twice"] and written["twice"] != 0
    key = yaml.safe_load(cli("questions", "--unit", "quiz", "--key", course=mini_copy).stdout)
    assert {name: written[name] for name in key} == key
    refused = cli("questions", "--unit", "quiz", "--write", course=mini_copy)
    assert refused.returncode == 2 and "give --key too" in refused.stderr


def test_a_question_id_asked_by_two_units_is_refused(mini_copy):
    shutil.copytree(mini_copy / "tests" / "units" / "quiz", mini_copy / "tests" / "units" / "quiz2")
    text = (mini_copy / "course.yaml").read_text()
    quiz = text[text.index("  - id: quiz\n"):]
    (mini_copy / "course.yaml").write_text(text + quiz.replace("  - id: quiz\n", "  - id: quiz2\n"))
    with pytest.raises(CourseError) as refused:
        load_course(mini_copy)
    lines = refused.value.problems
    assert len(lines) == 7 and all("is a question of unit quiz too" in line for line in lines), lines  # 5 + 2 open
    assert lines[0].startswith("course.yaml:") and "units[2]: question 'twice'" in lines[0]


# --- the mistakes catalogue ----------------------------------------------------------------------


@pytest.mark.parametrize(("change", "said"), [
    (("  concerns: [test_arith.py::test_clip]", "  concern: [test_arith.py::test_clip]"),
     ["mistakes.yaml:12: clip_swapped.concern: unknown key (check its spelling)",
      "mistakes.yaml:7: clip_swapped.concerns: required key is missing"]),
    (("  hint: bounds_swapped", "  hints: bounds_swapped"),
     ["mistakes.yaml:9: clip_swapped.hints: unknown key (check its spelling)",
      "mistakes.yaml:7: clip_swapped.hint: required key is missing"]),
    (("{module: arith, old: \"return min", "{module: arithmetic, old: \"return min"),
     ["mistakes.yaml:11: clip_swapped.edits[0].module: 'arithmetic' is not a module of unit mini (arith, arrays)"]),
    (("  about: double adds 2 instead of multiplying by 2\n", "  about: double adds 2\n  about: twice\n"),
     ["mistakes.yaml:3: double_adds.about: key appears twice"]),
    # leaving a mistake to the hidden tests alone takes a reason, not a bare false
    (("  hint: bounds_swapped", "  hint: bounds_swapped\n  public: false"),
     ["mistakes.yaml:10: clip_swapped.public: should be true, or a reason of 10 characters or more (got False)"]),
])
def test_a_mistakes_catalogue_is_read_strictly_one_located_line_per_problem(mini_copy, change, said):
    catalogue = mini_copy / "tests" / "units" / "mini" / "mistakes.yaml"
    assert change[0] in catalogue.read_text()
    catalogue.write_text(catalogue.read_text().replace(*change, 1))
    with pytest.raises(CourseError) as refused:
        load_mistakes(load_course(mini_copy).unit("mini"))
    assert sorted(refused.value.problems) == sorted(f"tests/units/mini/{line}" for line in said)


def test_a_stale_edit_is_one_line_and_the_other_mistakes_are_still_judged(mini_copy, cli, tmp_path):
    solution = mini_copy / "solutions" / "arith.py"
    solution.write_text(solution.read_text().replace("return min(max(x, low), high)", "return max(low, min(x, high))"))
    unit = load_course(mini_copy).unit("mini")
    line = ("tests/units/mini/mistakes.yaml:11: clip_swapped.edits[0].old: the text to replace is not in "
            "solutions/arith.py: it must be there exactly once (change the edit with the solution)")
    assert stale_edits(unit) == {"clip_swapped": line}
    validated = cli("validate", "--unit", "mini", course=mini_copy)
    assert validated.returncode == 1 and "Traceback" not in validated.stderr
    assert line in validated.stdout and validated.stdout.count("ok  mistake") == 4, validated.stdout
    released = cli("release", "--unit", "mini", "--out", str(tmp_path / "out"), course=mini_copy)
    assert released.returncode == 2 and released.stderr.strip() == f"grader: {line}"
    assert not (tmp_path / "out").exists()


def test_two_correct_styles_that_look_alike_to_the_similarity_pass_are_a_problem(mini_copy):
    from grader.authoring.validate import style_problems

    unit = load_course(mini_copy).unit("mini")
    assert style_problems(unit, say=lambda text: None) == []  # the solutions and the loop style are unalike
    shutil.copytree(mini_copy / "solutions", mini_copy / "tests" / "units" / "mini" / "styles" / "same",
                    ignore=shutil.ignore_patterns("*.yaml", "__init__.py", "__pycache__"))
    problems = style_problems(unit, say=lambda text: None)
    assert len(problems) == 1 and problems[0].startswith("the correct submissions same and solutions look alike to "
                                                         "the similarity pass (1.00, flagged from 0.60"), problems


def test_a_covered_function_no_public_check_notices_is_a_problem(mini_copy):
    from grader.authoring.validate import Validation, unchecked_functions

    unit = load_course(mini_copy).unit("mini")
    assert unchecked_functions(unit, Validation(unit, 1)) == []
    public = mini_copy / "tests" / "units" / "mini" / "public" / "test_arith.py"
    public.write_text(public.read_text()[:public.read_text().index("def test_clip")])
    unit = load_course(mini_copy).unit("mini")
    assert unchecked_functions(unit, Validation(unit, 1)) == ["numbers: clip"]


def test_a_mistake_the_public_checks_cannot_show_says_why(mini_copy):
    catalogue = mini_copy / "tests" / "units" / "mini" / "mistakes.yaml"
    reason = "  hint: bounds_swapped\n  public: the public inputs lie inside the bounds"
    catalogue.write_text(catalogue.read_text().replace("  hint: bounds_swapped", reason, 1))
    known = {m.name: m for m in load_mistakes(load_course(mini_copy).unit("mini"))}
    assert known["clip_swapped"].public is False and known["double_adds"].public is True


def test_one_function_left_a_stub_keeps_every_other_solution(mini):
    from grader.authoring.stubs import make_stub

    source = (mini.source_dir / "arith.py").read_text()
    one = make_stub(source, "arith", only="clip")
    assert one.count("raise NotImplementedError") == 1 and 'NotImplementedError("clip: your code here")' in one
    assert "return 2 * x" in one and "### BEGIN SOLUTION" not in one
    assert make_stub(source, "arith", only="") == make_stub(source, "arith", only="nothing_of_that_name")
    assert "raise NotImplementedError" not in make_stub(source, "arith", only="")
