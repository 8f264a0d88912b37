"""What a student reads about one call is written one way, whichever message says it."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from grader.model.course import load_course
from grader.running.pipeline import run_suites

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)

# per unit: the module, the constructor's class, the line of its __init__ after which a mistake goes, the task
# and the public check that builds one and reads its sizes
CONSTRUCTORS = {
    "conv": ("conv_layer.py", "ConvLayer", "self.output_height", "conv_layer", "test_init_sizes_the_output"),
    "pooling": ("max_pooling.py", "MaxPoolingLayer", "self.output_height", "pool_forward",
                "test_init_sizes_the_output"),
}


def _mutated(unit_id: str, tmp_path: Path, statement: str) -> Path:
    module, _, anchor, _, _ = CONSTRUCTORS[unit_id]
    folder = Path(shutil.copytree(COURSE.unit(unit_id).source_dir, tmp_path / statement.split()[0],
                                  ignore=shutil.ignore_patterns("__pycache__")))
    path = folder / module
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    statement_at = next(node for node in ast.walk(ast.parse(text))
                        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == anchor)
    first = lines[statement_at.lineno - 1]
    indent = first[: len(first) - len(first.lstrip())]
    lines.insert(statement_at.end_lineno or statement_at.lineno, f"{indent}{statement}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return folder


def _message(unit_id: str, folder: Path) -> str:
    _, _, _, task, check = CONSTRUCTORS[unit_id]
    run = run_suites(COURSE.unit(unit_id), folder, "public", seed=1, sandbox_mode="process", task_ids=[task])
    failed = [o for o in run.outcomes.values() if o.name == check]
    assert failed and not failed[0].passed, [(o.name, o.passed) for o in run.outcomes.values()]
    return failed[0].message


@pytest.mark.parametrize("unit_id", sorted(CONSTRUCTORS))
def test_a_constructor_call_reads_the_same_when_it_raises_and_when_its_result_is_wrong(unit_id, tmp_path):
    name = CONSTRUCTORS[unit_id][1]
    raised = _message(unit_id, _mutated(unit_id, tmp_path, 'raise ValueError("made on purpose")'))
    wrong = _message(unit_id, _mutated(unit_id, tmp_path, "self.output_height += 1"))
    call = re.compile(rf"{name}\([^()]*\)")
    said_raising, said_wrong = call.findall(raised), call.findall(wrong)
    assert said_raising and said_wrong, (raised, wrong)
    assert said_raising[0] in raised and "raised" in raised
    assert set(said_wrong) == {said_raising[0]}, (raised, wrong)
