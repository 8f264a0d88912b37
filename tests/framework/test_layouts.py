"""One rule finds a submission's modules, notebook and answers, whatever shape it was sent in: a folder gets the
grade the zip of that folder gets (Gradescope grades an uploaded zip unpacked, ``grade-all`` grades it as it is),
and a place the grader cannot choose is named, not guessed."""

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from grader.kit.questions import answer_key
from grader.model.course import load_course
from grader.model.messages import render
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites

MINI = Path(__file__).parent / "fixtures" / "mini"
COURSE = load_course(MINI)
UNIT = COURSE.unit()
QUIZ = COURSE.unit("quiz")
SOLVED = {f"{name}.py": (UNIT.source_dir / f"{name}.py").read_text() for name in UNIT.modules}


def notebook(cells: dict[str, str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": grade_id}},
                                  "source": source, "outputs": [], "execution_count": None}
                                 for grade_id, source in cells.items()],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


SOLVED_NOTEBOOK = notebook({name[:-3]: source for name, source in SOLVED.items()})


def under(prefix: str, files: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}{name}": text for name, text in files.items()}


LAYOUTS = {  # files, the score, and what the problems say (every module's, in order)
    "flat": (SOLVED, 10, []),
    "the exercises folder": (under("exercises/", SOLVED), 10, []),
    "the folder around it": (under("lesson/exercises/", SOLVED), 10, []),
    "three folders down": (under("a/b/c/", SOLVED), 0, ["arith.py is missing", "arrays.py is missing"]),
    "a scratch notebook beside the folder": ({**under("exercises/", SOLVED), "Untitled.ipynb": notebook({})}, 10,
                                            []),
    "a module apart": ({"arith.py": SOLVED["arith.py"], "sub/arrays.py": SOLVED["arrays.py"]}, 4,
                       ["arrays.py is not in ./ with the other modules but at sub/arrays.py"]),
    "two folders": ({**under("a/", SOLVED), **under("b/", SOLVED)}, 0,
                    ["the modules in two folders, a/ and b/"] * 2),
    "a notebook and an empty one": ({"mini.ipynb": SOLVED_NOTEBOOK, "Untitled.ipynb": notebook({})}, 10, []),
    "two notebooks": ({"mini.ipynb": SOLVED_NOTEBOOK, "copy.ipynb": SOLVED_NOTEBOOK}, 0,
                      ["two notebooks, copy.ipynb and mini.ipynb"] * 2),
    "a notebook in a folder": ({"lesson/mini.ipynb": SOLVED_NOTEBOOK}, 10, []),
    "Jupyter's checkpoints": ({"lesson.ipynb": SOLVED_NOTEBOOK,
                               ".ipynb_checkpoints/lesson-checkpoint.ipynb": notebook({})}, 10, []),
    "a notebook and its copy a folder down": ({"mini.ipynb": SOLVED_NOTEBOOK, "backup/mini.ipynb": SOLVED_NOTEBOOK},
                                              10, []),
    "a byte order mark before each module": ({name: "\ufeff" + text for name, text in SOLVED.items()}, 10, []),
}


def folder_of(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def zip_of(path: Path, files: dict[str, str], prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(prefix + name, text)
    return path


def graded(unit, path: Path) -> tuple[float, list[str]]:
    run = run_suites(unit, path, seed=7, student="ada")
    return score_run(unit, run).score, [render(problem) for problem in run.intake_problems.values()]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_folder_and_its_archive_are_read_by_one_rule(tmp_path, layout):
    files, score, said = LAYOUTS[layout]
    sent = {"folder": folder_of(tmp_path / "ada", files), "zip": zip_of(tmp_path / "ada.zip", files),
            "zip of ./": zip_of(tmp_path / "ada2.zip", files, "./")}
    for how, path in sent.items():
        found, problems = graded(UNIT, path)
        assert found == score, (how, problems)
        assert len(problems) == len(said) and all(part in problem for part, problem in zip(said, problems)), \
            (how, problems)


def test_a_link_or_a_folder_named_as_a_module_is_none(tmp_path):
    """The modules are regular files: a link named as one beside the exercises folder (a link in an archive
    points nowhere) and a folder so named are passed over alike, in a folder and in its zip."""
    import os
    import stat

    folder = folder_of(tmp_path / "ada", under("exercises/", SOLVED))
    os.symlink("exercises/arith.py", folder / "arith.py")
    (folder / "arrays.py").mkdir()
    archive = zip_of(tmp_path / "ada.zip", under("exercises/", SOLVED))
    with zipfile.ZipFile(archive, "a") as zipped:
        link = zipfile.ZipInfo("arith.py")
        link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "exercises/arith.py")
        zipped.writestr(zipfile.ZipInfo("arrays.py/"), "")
    for path in (folder, archive):
        assert graded(UNIT, path) == (10, []), path


def test_of_two_members_with_one_path_the_last_counts_as_unpacking_leaves_it(tmp_path):
    archive = tmp_path / "ada.zip"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("arith.py", SOLVED["arith.py"].replace("def ", "def broken_"))
        for name, text in SOLVED.items():
            zipped.writestr(name, text)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path / "unpacked")
    for path in (archive, tmp_path / "unpacked"):
        assert graded(UNIT, path) == (10, []), path


def test_practice_answers_are_found_where_the_answers_are_in_a_folder_and_in_its_zip(tmp_path):
    from intake_here import intake_here

    files = {**under("exercises/", SOLVED), "exercises/practice.yaml": "twice: 4\n"}
    for path in (folder_of(tmp_path / "ada", files), zip_of(tmp_path / "ada.zip", files)):
        taken = intake_here(QUIZ, path, answers=False, practice=True)
        assert taken.practice is not None and taken.practice.values == {"twice": 4}, path


def test_a_notebooks_answers_cell_counts_before_an_answers_file_in_a_folder_and_in_its_archive(tmp_path):
    key = answer_key(QUIZ, "ada")
    files = {"quiz.ipynb": notebook({"answers": f"ANSWERS = {key!r}\n"}),
             "answers.yaml": yaml.safe_dump({name: "wrong" for name in key})}
    for path in (folder_of(tmp_path / "ada", files), zip_of(tmp_path / "ada.zip", files)):
        assert graded(QUIZ, path)[0] == 6, path


def test_answers_beside_the_modules_count_before_others(tmp_path):
    key = answer_key(QUIZ, "ada")
    files = {**under("exercises/", SOLVED), "exercises/answers.yaml": yaml.safe_dump(key),
             "answers.yaml": yaml.safe_dump({name: "wrong" for name in key}), "notes/answers.yaml": "{}"}
    from intake_here import intake_here

    for path in (folder_of(tmp_path / "ada", files), zip_of(tmp_path / "ada.zip", files)):
        taken = intake_here(UNIT, path, answers=True)
        assert taken.answers.values == key and not taken.problems, path
