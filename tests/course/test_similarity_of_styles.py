"""In a class of every unit's correct styles, its solutions, untouched stubs and disguised copies, the similarity
pass flags each copy with what it copied, and nothing that was written independently."""

import ast
import shutil
from pathlib import Path

import pytest

from grader.classwork.discovery import discover
from grader.classwork.similarity import DEFAULT_THRESHOLD, compare_class
from grader.model.course import load_course

COURSE = load_course(Path(__file__).resolve().parents[2])
UNITS = [unit for unit in COURSE.units if unit.content("styles") and unit.modules]


class _Rename(ast.NodeTransformer):
    """Every name a function assigns (its locals, and its parameters) gets a new one."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        names = {a.arg for a in node.args.args if a.arg != "self"}
        names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for child in ast.walk(node):
            if isinstance(child, ast.Name) and child.id in names:
                child.id = f"my_{child.id[::-1]}"
            elif isinstance(child, ast.arg) and child.arg in names:
                child.arg = f"my_{child.arg[::-1]}"
        return node


def disguised(source: str) -> str:
    """A copy as a student hides one: names changed, functions and classes in reverse order, comments and
    formatting gone (``ast.unparse``), comments of its own added."""
    tree = _Rename().visit(ast.parse(source))
    places = [i for i, node in enumerate(tree.body) if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    for place, node in zip(places, [tree.body[i] for i in places][::-1]):
        tree.body[place] = node
    lines = ast.unparse(tree).splitlines()
    return "\n".join(f"{line}  # my own work" if line.strip().startswith("return") else line for line in lines) + "\n"


@pytest.mark.parametrize("unit", UNITS, ids=[u.id for u in UNITS])
def test_copies_are_flagged_and_independent_work_is_not(unit, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    originals = {"solutions": unit.source_dir}
    originals |= {p.name: p for p in sorted(unit.content("styles").iterdir()) if p.is_dir()}
    for name, source in originals.items():
        shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__", "*.yaml"))
        copy = folder / f"copy_of_{name}"
        copy.mkdir()
        for module in unit.modules:
            if (source / f"{module}.py").is_file():
                (copy / f"{module}.py").write_text(disguised((source / f"{module}.py").read_text()))
    for name in ("stubs_a", "stubs_b"):
        shutil.copytree(unit.stubs_dir, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    result = compare_class(unit, discover(folder), jobs=2)
    assert not result.left_out
    flagged = {(p.a, p.b): p for p in result.pairs}
    assert set(flagged) == {tuple(sorted((name, f"copy_of_{name}"))) for name in originals}, {
        pair: p.similarity for pair, p in flagged.items()}
    for pair in flagged.values():
        assert pair.similarity >= DEFAULT_THRESHOLD and pair.functions, pair
    # and independently written work is below the threshold: the similarity pass's own rule, which `grader
    # validate` holds every unit to (a margin on top would be unfair to a unit of a few lines)
    everything = compare_class(unit, discover(folder), threshold=0.0, jobs=2).pairs
    independent = [p.similarity for p in everything if (p.a, p.b) not in flagged]
    assert max(independent, default=0.0) < DEFAULT_THRESHOLD
