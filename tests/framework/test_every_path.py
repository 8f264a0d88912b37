"""A grade is a promise: the same submission gets the same grade by every path. One class of the mini course (the
solutions, each known mistake, the stubs, an archive, hostile data: a bomb member, a lone surrogate in an
exception's message, answers a YAML tag or 4,000 digits spoil) is graded by ``grade``, by ``grade-all`` fresh and
resumed, by the Gradescope autograder (an archive also as Gradescope unpacks it), on a Dask cluster and, for the
code, in notebook form; every path must give each submission the same score and the same outcome of every test (the
notebook form speaks of cells where the others speak of files, so there its messages are left out of the
comparison)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from dask_cluster import cluster_fixture, grader, hidden_fixture, needs_cluster  # noqa: F401

from grader.authoring.mistakes import load_mistakes, materialize
from grader.classwork.outputs import RESULTS
from grader.kit.questions import answer_key
from grader.model.course import load_course

pytestmark = needs_cluster


def code_class(folder: Path, mini) -> None:
    """The mini unit's class: correct, each known mistake, the stubs, zipped, a bomb member, a lone surrogate."""
    folder.mkdir()
    shutil.copytree(mini.source_dir, folder / "ok", ignore=shutil.ignore_patterns("__pycache__", "answers.yaml"))
    for mistake in load_mistakes(mini):
        materialize(mini, mistake, folder / mistake.name)
        (folder / mistake.name / "answers.yaml").unlink(missing_ok=True)
    shutil.copytree(mini.stubs_dir, folder / "stubs", ignore=shutil.ignore_patterns("__pycache__"))
    with zipfile.ZipFile(folder / "zipped.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for module in mini.modules:
            archive.write(mini.source_dir / f"{module}.py", f"lesson/exercises/{module}.py")  # two folders down
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(mini.source_dir / "arrays.py", "arrays.py")
        archive.writestr(zipfile.ZipInfo("arith.py"), b"\0" * (1 << 20), compress_type=zipfile.ZIP_LZMA)
    (folder / "bomb.zip").write_bytes(buffer.getvalue())
    raising = Path(shutil.copytree(mini.source_dir, folder / "raising",
                                   ignore=shutil.ignore_patterns("__pycache__", "answers.yaml")))
    arith = raising / "arith.py"
    arith.write_text(arith.read_text().replace("    return 2 * x", "    raise ValueError('\\ud800 no')"))


def quiz_class(folder: Path, quiz) -> None:
    """The quiz unit's class: each student's own answers (their numbers come from their id, on every path),
    whole and spoiled."""
    folder.mkdir()
    spoil = {"right": lambda text: text, "tagged": lambda text: text.replace("twice:", 'twice: !!timestamp "x"\nx:'),
             "digits": lambda text: text + "why_double: 0x" + "f" * 4000 + "\npick: " + "9" * 4000 + "\n",
             "surrogate": lambda text: text + 'why_double: "\\ud800"\n',
             "blank": lambda text: ""}
    for name, change in spoil.items():
        (folder / name).mkdir()
        (folder / name / "answers.yaml").write_text(change(yaml.safe_dump(answer_key(quiz, name))))


def releasable_quiz(course: Path) -> None:
    """The fixture's quiz, in this copy of the course, made releasable (its autograder is one of the paths): a
    notebook's names and texts, and a student README in both languages."""
    text = (course / "course.yaml").read_text()
    (course / "course.yaml").write_text(text.replace("  - id: quiz\n", "  - id: quiz\n    notebook: {assignment: "
                                                     "quiz_assignment, name: quiz}\n", 1))
    quiz = course / "tests" / "units" / "quiz"
    (quiz / "notebook").mkdir()
    (quiz / "notebook" / "questions.md").write_text("## Questions\n\nAnswer in the cell below.\n")
    (quiz / "notebook" / "questions.test_cell.tmpl").write_text("assert isinstance(ANSWERS, dict)\n")
    (quiz / "student.md").write_text("# Quiz\n\nAnswer the questions.\n")
    (quiz / "student.zh.md").write_text("# 小测验\n\n回答问题。\n")


def as_notebook(folder: Path, modules: tuple[str, ...], path: Path) -> Path:
    cells = [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": module, "solution": True}},
              "source": (folder / f"{module}.py").read_text(), "outputs": [], "execution_count": None}
             for module in modules if (folder / f"{module}.py").exists()]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def verdict(report: dict, messages: bool = True) -> tuple:
    """What must be the same by every path: the score, and each test's name, points, status (and message)."""
    tests = tuple((t["name"], t["score"], t["max_score"], t["status"]) + ((t["output"],) if messages else ())
                  for t in report["tests"])
    return report["score"], report["max_score"], tests


def autograder(released: Path, root: Path, submission: Path, student: str) -> dict:
    with zipfile.ZipFile(released / "autograder.zip") as bundle:
        bundle.extractall(root / "source")
    (root / "source" / "run_autograder").chmod(0o755)
    target = root / "submission"
    if submission.is_dir():
        shutil.copytree(submission, target)
    else:
        target.mkdir(parents=True)
        shutil.copy(submission, target / submission.name)
    (root / "submission_metadata.json").write_text(json.dumps(  # Gradescope's format: its own id is no student's
        {"users": [{"email": f"{student}@example.com", "id": 123456, "name": "A Student", "sid": student}]}))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.parametrize("unit", ["mini", "quiz"])
def test_every_path_gives_every_submission_the_same_grade(tmp_path, hidden, cluster, mini, unit):
    folder, course = hidden
    students = folder / f"{unit}_class"
    if unit == "mini":
        code_class(students, mini)
    else:
        releasable_quiz(course)
        quiz_class(students, load_course(course).unit("quiz"))
    entries = {path.name.removesuffix(".zip"): path for path in students.iterdir()}
    unit_args = ["--unit", unit, "--no-similarity"]
    # grade-all, fresh
    fresh = tmp_path / "fresh"
    done = grader(course, "grade-all", str(students), "--out", str(fresh), *unit_args)
    assert done.returncode == 0, done.stdout + done.stderr
    expected = {name: verdict(json.loads((fresh / name / RESULTS).read_text())) for name in entries}
    assert len({score for score, _, _ in expected.values()}) > 2  # the class has grades of every kind
    # grade-all, resumed after half its students' reports were lost
    resumed = tmp_path / "resumed"
    shutil.copytree(fresh, resumed)
    lost = sorted(entries)[::2]
    for name in lost:
        shutil.rmtree(resumed / name)
    again = grader(course, "grade-all", str(students), "--out", str(resumed), *unit_args)
    assert again.returncode == 0 and f"graded {len(lost)}, up to date {len(entries) - len(lost)}" in again.stdout
    # on a Dask cluster whose workers see neither the class nor the course
    remote = tmp_path / "remote"
    running = cluster()
    dask = grader(course, "grade-all", str(students), "--out", str(remote), "--executor", "dask", "--scheduler",
                  running.address, *unit_args)
    assert dask.returncode == 0, dask.stderr
    # the Gradescope autograder, one submission at a time
    release = subprocess.run([sys.executable, "-m", "grader", "--course", str(course), "release", "--unit", unit,
                              "--out", str(tmp_path / "released")], capture_output=True, text=True, timeout=600)
    assert release.returncode == 0, release.stderr
    for name, path in entries.items():
        for out in (resumed, remote):
            assert verdict(json.loads((out / name / RESULTS).read_text())) == expected[name], (out.name, name)
        single = tmp_path / "single" / f"{name}.json"
        single.parent.mkdir(exist_ok=True)
        graded = grader(course, "grade", str(path), "--student", name, "--unit", unit, "--json", str(single))
        assert graded.returncode == 0, graded.stderr
        assert verdict(json.loads(single.read_text())) == expected[name], ("grade", name)
        if path.is_dir() or unit == "mini" and path.suffix != ".zip":
            report = autograder(tmp_path / "released", tmp_path / "gradescope" / name, path, name)
            assert verdict(report) == expected[name], ("autograder", name)
        if path.suffix == ".zip":  # Gradescope unpacks an uploaded archive: the folder it makes grades the same
            unpacked = tmp_path / "unpacked" / name
            with zipfile.ZipFile(path) as archive:
                archive.extractall(unpacked)
            report = autograder(tmp_path / "released", tmp_path / "gradescope" / name, unpacked, name)
            # the same scores and outcomes; the reason may differ (an LZMA member unpacked is a file too large)
            assert verdict(report, messages=False) == verdict(json.loads((fresh / name / RESULTS).read_text()),
                                                              messages=False), ("unpacked", name)
        if unit == "mini" and path.is_dir():  # the notebook form of the same code
            notebook = as_notebook(path, tuple(mini.modules), tmp_path / f"{name}.ipynb")
            form = tmp_path / "notebooks" / f"{name}.json"
            form.parent.mkdir(exist_ok=True)
            graded = grader(course, "grade", str(notebook), "--student", name, "--json", str(form))
            assert graded.returncode == 0, graded.stderr
            assert verdict(json.loads(form.read_text()), messages=False) == verdict(
                json.loads((fresh / name / RESULTS).read_text()), messages=False), ("notebook", name)
