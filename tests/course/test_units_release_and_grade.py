"""Every unit of the real course releases, and grades through Gradescope's autograder, nbgrader and grade-all."""

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from grader.authoring.mistakes import load_mistakes, materialize
from grader.kit.practice import practice_questions
from grader.kit.questions import answer_key
from grader.model.course import load_course
from grader.model.hints import load_hints
from grader.model.questions import open_questions

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)


def grader(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, **kwargs)


@pytest.fixture(scope="module", params=[unit.id for unit in COURSE.units])
def released(request, tmp_path_factory):
    unit = COURSE.unit(request.param)
    out = tmp_path_factory.mktemp(f"release-{unit.id}")
    done = grader("release", "--unit", unit.id, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return unit, out


def autograde(out: Path, root: Path, files: dict[str, Path]) -> dict:
    with zipfile.ZipFile(out / "autograder.zip") as bundle:
        bundle.extractall(root / "source")
    for name, path in files.items():
        (root / "submission").mkdir(parents=True, exist_ok=True)
        shutil.copy(path, root / "submission" / name)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_autograder_gives_the_solutions_full_marks_and_the_stubs_none(released, tmp_path):
    unit, out = released
    files = {f"{m}.py": unit.source_dir / f"{m}.py" for m in unit.modules}
    if unit.has_questions:  # the default variant's answers: the autograder here has no student metadata
        files["answers.yaml"] = unit.source_dir / "answers.yaml"
    solved = autograde(out, tmp_path / "solved", files)
    assert solved["score"] == solved["max_score"] == unit.max_score and solved["extra_data"]["unit"] == unit.id
    stubs = autograde(out, tmp_path / "stubs", {f"{m}.py": unit.stubs_dir / f"{m}.py" for m in unit.modules})
    assert stubs["score"] == 0


def test_grade_all_grades_a_class_of_the_unit(released, tmp_path):
    unit, _ = released
    folder = tmp_path / "class"
    shutil.copytree(unit.source_dir, folder / "right")
    if unit.has_questions:  # each student answers their own numbers: "right" is the student here
        (folder / "right" / "answers.yaml").write_text(yaml.safe_dump(answer_key(unit, "right")))
    shutil.copytree(unit.stubs_dir, folder / "stubs")
    mistake = load_mistakes(unit)[0]
    materialize(unit, mistake, folder / "wrong")
    done = grader("grade-all", str(folder), "--out", str(tmp_path / "out"), "--unit", unit.id)
    assert done.returncode == 0, done.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert float(rows["right"]["score"]) == unit.max_score and float(rows["stubs"]["score"]) == 0
    assert 0 < float(rows["wrong"]["score"]) < unit.max_score
    opened = open_questions(unit)  # their points await a person: in the maximum, not yet in the score
    assert set(rows["right"]) == {"student", "raw_score", "late_by", "penalty", "score", "max_score", "status",
                                  *[t.id for t in unit.tasks], *(["open_score", "open_pending"] if opened else [])}
    assert float(rows["right"]["max_score"]) == unit.max_score + sum(q.points for q in opened)


@pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None and not os.environ.get("CI"),
                    reason="nbgrader is not installed")
def test_nbgrader_makes_the_student_notebook_and_grade_takes_it_back(released, tmp_path):
    unit, out = released
    names = unit.model.notebook
    assert names is not None
    course = Path(shutil.copytree(out / "nbgrader", tmp_path / "nbgrader"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", names.assignment, "--force",
                           f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"], cwd=course,
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    student = course / "release" / names.assignment / f"{names.name}.ipynb"
    assert "BEGIN SOLUTION" not in student.read_text()
    report = tmp_path / "results.json"
    graded = grader("grade", str(student), "--unit", unit.id, "--json", str(report))
    assert graded.returncode == 0 and json.loads(report.read_text())["score"] == 0
    source = course / "source" / names.assignment / f"{names.name}.ipynb"
    grader("grade", str(source), "--unit", unit.id, "--json", str(report))
    assert json.loads(report.read_text())["score"] == unit.max_score


def test_the_student_bundle_judges_the_practice_questions_from_its_own_key(released, tmp_path):
    unit, out = released
    if not practice_questions(unit):
        with zipfile.ZipFile(out / "student.zip") as bundle:
            assert not [name for name in bundle.namelist() if name.endswith("practice.json")]
        return
    with zipfile.ZipFile(out / "student.zip") as bundle:
        bundle.extractall(tmp_path / "bundle")
    key = json.loads((tmp_path / "bundle" / unit.shown(unit.folder) / "practice.json").read_text(encoding="utf-8"))
    right = {question: entry["right"] for question, entry in key["questions"].items()}
    work = tmp_path / "bundle" / "exercises"
    (work / "practice.yaml").write_text(yaml.safe_dump(right), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "check", "exercises", "--unit", unit.id],
                          cwd=tmp_path / "bundle", capture_output=True, text=True, timeout=600)
    total = len(right)
    assert f"Practice questions (not scored): {total}/{total} right" in done.stdout, done.stdout
    # a known mistake's answer that is not also the right one (with some numbers, a mistake changes nothing)
    first, hint, mistaken = next((q, h, answer) for q, e in key["questions"].items() for h, answer in e["mistakes"]
                                 if answer != e["right"])
    (work / "practice.yaml").write_text(yaml.safe_dump({**right, first: mistaken}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "check", "exercises", "--unit", unit.id],
                          cwd=tmp_path / "bundle", capture_output=True, text=True, timeout=600)
    assert f"Practice questions (not scored): {total - 1}/{total} right" in done.stdout, done.stdout
    assert load_hints(unit.content("hints"))[hint].hint["en"] in done.stdout
