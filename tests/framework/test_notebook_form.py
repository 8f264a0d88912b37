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
