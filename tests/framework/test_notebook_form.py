"""A notebook is graded as Jupyter runs it: each answer cell is its module as the student wrote it, line for line,
and sees what the cells above it defined; a message about a cell names the cell and its line. Nothing is added to
the student's code (a line added in front of a cell once made ``from __future__`` a syntax error, shifted every
line number, named files the student never saw, and made two students' code look alike)."""

import json
import re
from pathlib import Path

import pytest

from grader.model.messages import render
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites

MINI = Path(__file__).parent / "fixtures" / "mini"
SEED = 1234


def notebook(path: Path, cells: dict[str, str]) -> Path:
    """A notebook whose answer cells (by nbgrader grade id) hold ``cells``."""
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": grade_id, "solution": True}},
                   "source": source, "outputs": [], "execution_count": None} for grade_id, source in cells.items()],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


@pytest.fixture
def solutions(mini):
    return {name: (mini.source_dir / f"{name}.py").read_text() for name in mini.modules}


def test_cells_that_start_with_a_future_import_get_full_marks(mini, solutions, tmp_path):
    assert all(source.lstrip('"').split('"""', 1)[-1].lstrip().startswith("from __future__ import annotations")
               for source in solutions.values())  # as the lesson writes its modules, and Jupyter runs them
    run = run_suites(mini, notebook(tmp_path / "ada.ipynb", solutions), seed=SEED)
    score = score_run(mini, run)
    assert not run.intake_problems and score.score == score.max_score, run.intake_problems


def test_a_cell_sees_every_name_the_cells_above_it_defined(mini, solutions, tmp_path):
    helper = "def _twice(x):\n    return 2 * x\n\n\ndef double(x):\n    return _twice(x)\n"
    cells = {"arith": solutions["arith"].replace("def double(", "def _unused_double("), "arrays": solutions["arrays"]}
    cells["arith"] = cells["arith"].replace("from __future__ import annotations\n",
                                            "from __future__ import annotations\n\n" + helper, 1)
    cells["arrays"] = cells["arrays"].replace("import numpy as np\n", "import numpy as np\n\nassert _twice(2) == 4\n")
    run = run_suites(mini, notebook(tmp_path / "bo.ipynb", cells), seed=SEED)
    assert score_run(mini, run).score == 10, [o.message for o in run.outcomes.values() if not o.passed]


def test_an_error_in_a_cell_names_the_cell_and_its_line_as_the_student_sees_them(mini, solutions, tmp_path):
    arrays = solutions["arrays"]
    body = "    return float(np.sum(values))"
    assert body in arrays
    arrays = arrays.replace(body, "    raise ValueError('no sums today')")
    line = arrays.splitlines().index("    raise ValueError('no sums today')") + 1
    run = run_suites(mini, notebook(tmp_path / "cy.ipynb", {"arith": solutions["arith"], "arrays": arrays}),
                     seed=SEED)
    messages = [render(o.finding.text) for o in run.outcomes.values() if o.finding is not None]
    assert messages and any(f"(cell arrays, line {line} in total)" in m for m in messages), messages
    assert not any(re.search(r"\barrays\.py\b", m) for m in messages), messages


def test_a_syntax_error_names_the_cell_and_its_line(mini, solutions, tmp_path):
    arrays = solutions["arrays"].replace("class Scaler:", "class Scaler(:")
    line = arrays.splitlines().index("class Scaler(:") + 1
    run = run_suites(mini, notebook(tmp_path / "di.ipynb", {"arith": solutions["arith"], "arrays": arrays}),
                     seed=SEED)
    said = render(run.intake_problems["arrays"])
    assert said.startswith(f"the cell arrays has a syntax error at line {line}:"), said
    assert score_run(mini, run).tasks[0].score == 4  # the arith cell is graded whatever the other holds


def cells_notebook(path: Path, cells: list[tuple[str | None, str]], **marks: object) -> Path:
    """A notebook of code cells in order: each ``(grade id, source)``, a grade id None for a cell the student
    added (no nbgrader marks); ``marks`` (by grade id) add nbgrader fields to a marked cell."""
    def cell(grade_id: str | None, source: str) -> dict:
        metadata = {} if grade_id is None else {"nbgrader": {"grade_id": grade_id, "solution": True,
                                                             **marks.get(grade_id, {})}}
        return {"cell_type": "code", "metadata": metadata, "source": source, "outputs": [], "execution_count": None}
    path.write_text(json.dumps({"cells": [cell(*pair) for pair in cells], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return path


def test_the_students_own_cells_run_before_the_answer_cells_as_in_jupyter(mini, solutions, tmp_path):
    """A helper or an import in a cell of its own, a magic, a cell that fails: Jupyter runs them all, in order,
    and the answer cells after them see what they defined."""
    arith = solutions["arith"].replace("    return 2 * x\n", "    return _twice(x)\n")
    arrays = solutions["arrays"].replace("import numpy as np\n", "")
    assert arith != solutions["arith"] and arrays != solutions["arrays"]
    cells = [(None, "%matplotlib inline\n!pip list\ndef _twice(x):\n    return 2 * x\n"),
             (None, "print(not_defined_yet)"),  # a cell that raises: the next one runs all the same
             ("arith", arith),
             (None, "import numpy as np\n"),
             ("arrays", arrays)]
    run = run_suites(mini, cells_notebook(tmp_path / "ed.ipynb", cells), seed=SEED)
    score = score_run(mini, run)
    assert not run.intake_problems and score.score == score.max_score, [
        o.message for o in run.outcomes.values() if not o.passed]


def test_the_courses_cells_and_the_answers_cell_are_not_run(mini, solutions, tmp_path):
    cells = [("test_numbers", "raise SystemExit(3)"),  # a test cell of the course's: nbgrader grades it, we do not
             ("answers", "ANSWERS = {}\nraise SystemExit(4)"),  # data, read and never run
             ("arith", solutions["arith"]),
             ("arrays", solutions["arrays"])]
    run = run_suites(mini, cells_notebook(tmp_path / "fa.ipynb", cells, test_numbers={"grade": True,
                                                                                       "solution": False}),
                     seed=SEED)
    score = score_run(mini, run)
    assert not run.intake_problems and score.score == score.max_score


def test_a_cell_that_raises_leaves_what_it_defined_to_the_cells_below(mini, solutions, tmp_path):
    """As in Jupyter: the arith cell fails at its end, so its own tests fail; the arrays cell, below it, still
    sees what it defined before it failed."""
    arith = solutions["arith"] + "\nraise RuntimeError('left in by mistake')\n"
    arrays = solutions["arrays"].replace("    from .arith import double\n", "")
    assert arrays != solutions["arrays"]
    run = run_suites(mini, cells_notebook(tmp_path / "gu.ipynb", [("arith", arith), ("arrays", arrays)]), seed=SEED)
    score = score_run(mini, run)
    assert [task.score for task in score.tasks] == [0, 6], [o.message for o in run.outcomes.values()]


def test_a_notebook_with_its_outputs_is_read_up_to_its_own_limit(mini, solutions, tmp_path):
    from grader.trust.decoding.notebooks import MAX_NOTEBOOK_BYTES

    path = notebook(tmp_path / "ha.ipynb", solutions)
    data = json.loads(path.read_text())
    figure = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0K" * (5 << 17)}}
    data["cells"][0]["outputs"] = [figure]  # a few figures: megabytes, far more than a module's limit
    path.write_text(json.dumps(data))
    assert path.stat().st_size > 5 << 20  # past what a notebook was once read up to: 4 MiB here
    run = run_suites(mini, path, seed=SEED)
    score = score_run(mini, run)
    assert not run.intake_problems and score.score == score.max_score, run.intake_problems
    with path.open("r+b") as handle:
        handle.truncate(MAX_NOTEBOOK_BYTES + 1)
    run = run_suites(mini, path, seed=SEED)
    said = {render(problem) for problem in run.intake_problems.values()}
    assert said == {"the notebook ha.ipynb is 32 MiB; the grader reads notebooks of at most 32 MiB: clear its "
                    "outputs (Kernel, Restart & Clear Output) and save it again"}, said


def test_a_notebook_or_an_archive_is_known_by_its_suffix_in_any_case(mini, solutions, tmp_path):
    import zipfile

    run = run_suites(mini, notebook(tmp_path / "IA.IPYNB", solutions), seed=SEED)
    assert score_run(mini, run).score == 10, run.intake_problems
    archive = tmp_path / "JO.ZIP"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("lesson/Lesson.IpYnB", notebook(tmp_path / "x.ipynb", solutions).read_text())
    run = run_suites(mini, archive, seed=SEED)
    assert score_run(mini, run).score == 10, run.intake_problems


def test_what_macos_and_jupyter_add_to_an_archive_is_passed_over(mini, solutions, tmp_path):
    """A zip made on macOS holds ``__MACOSX/._name`` beside each file, and a Jupyter folder its hidden
    checkpoints: neither is a second notebook, nor a module."""
    import zipfile

    archive = tmp_path / "ki.zip"
    text = notebook(tmp_path / "x.ipynb", solutions).read_text()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("lesson/lesson.ipynb", text)
        zipped.writestr("__MACOSX/lesson/._lesson.ipynb", b"\0\5\26\7 Mac OS X")
        zipped.writestr("lesson/.ipynb_checkpoints/lesson-checkpoint.ipynb", "{}")
    run = run_suites(mini, archive, seed=SEED)
    assert not run.intake_problems and score_run(mini, run).score == 10, run.intake_problems


def test_an_experiment_left_in_a_cell_of_the_students_own_costs_no_answer_cell(mini, solutions, tmp_path):
    """A training run, a plot, a ``sys.exit()``: the student's own cells have half an import's time in all;
    past it they are stopped, and the answer cells run all the same."""
    for name, first in (("lo", "import time\nwhile True:\n    time.sleep(0.01)\n"),
                        ("mo", "import sys\nsys.exit(3)\n")):
        cells = [(None, first), ("arith", solutions["arith"]), (None, "raise SystemExit"),
                 ("arrays", solutions["arrays"])]
        run = run_suites(mini, cells_notebook(tmp_path / f"{name}.ipynb", cells), seed=SEED)
        score = score_run(mini, run)
        assert not run.intake_problems and score.score == score.max_score, [
            o.message for o in run.outcomes.values() if not o.passed]


def test_the_cells_above_an_answer_cell_that_is_refused_run_before_the_next(mini, solutions, tmp_path):
    """An answer cell with a syntax error costs its own module; the import in a cell above it still runs, as in
    Jupyter, for the answer cells below."""
    cells = [(None, "import numpy as np\n"), ("arith", "def double(x) return 2 * x\n"),
             ("arrays", solutions["arrays"].replace("import numpy as np\n", "")
              .replace("    from .arith import double\n", "    double = lambda x: 2 * x\n"))]
    run = run_suites(mini, cells_notebook(tmp_path / "ma.ipynb", cells), seed=SEED)
    assert list(run.intake_problems) == ["arith"]
    assert [task.score for task in score_run(mini, run).tasks] == [0, 6]


def test_a_cell_sees_the_cells_above_it_in_the_notebook_whatever_the_courses_order(mini, solutions, tmp_path):
    cells = [(None, "def _twice(x):\n    return 2 * x\n"), ("arrays", solutions["arrays"]),
             ("arith", solutions["arith"].replace("    return 2 * x\n", "    return _twice(x)\n"))]
    run = run_suites(mini, cells_notebook(tmp_path / "ni.ipynb", cells), seed=SEED)
    score = score_run(mini, run)
    assert not run.intake_problems and score.score == score.max_score, [
        o.message for o in run.outcomes.values() if not o.passed]


def test_the_students_own_cells_are_bounded_as_they_are_run(mini, solutions, tmp_path):
    """Their bound is counted on the cells as run (a magic line made ``pass`` is longer): a cell past it is not
    run, and the notebook is read all the same."""
    kb = mini.limits.source_kb
    cells = [(None, "!ls\n" * ((kb << 10) // 4 - 10)), ("arith", solutions["arith"]),
             ("arrays", solutions["arrays"])]
    run = run_suites(mini, cells_notebook(tmp_path / "ol.ipynb", cells), seed=SEED)
    score = score_run(mini, run)
    assert not run.intake_problems and score.score == score.max_score, run.intake_problems
