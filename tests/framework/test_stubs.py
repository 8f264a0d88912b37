"""Generating the student package: in sync, stubbed everywhere a solution was, signatures and docstrings kept.

On the mini fixture course; the real course's package is proved by ``grader validate`` and ``tests/course``.
"""

import ast
import importlib
import importlib.util
import inspect
import shutil
import sys
from pathlib import Path

import pytest

from grader.authoring.stubs import StubError, make_stub, solution_regions, stale_files

ROOT = Path(__file__).parent / "fixtures" / "mini"
MODULES = ["arith", "arrays"]


def test_exercises_are_in_sync_with_solutions():
    assert stale_files(ROOT / "solutions", ROOT / "exercises") == [], "run `grader stubs`"


def test_stale_files_notices_a_change(tmp_path):
    stubs = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", stubs)
    (stubs / "arith.py").write_text((stubs / "arith.py").read_text() + "\n# edited\n")
    (stubs / "extra.py").write_text("")
    assert stale_files(ROOT / "solutions", stubs) == ["arith.py", "extra.py"]


def _functions_with_regions(module_name):
    """(qualified name, function object) for every function of solutions/<module> with a solution region."""
    source = (ROOT / "solutions" / f"{module_name}.py").read_text()
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and "### BEGIN SOLUTION" in ast.get_source_segment(source, item):
                    found.append((node.name, item.name))
        elif isinstance(node, ast.FunctionDef) and node.col_offset == 0:
            if "### BEGIN SOLUTION" in ast.get_source_segment(source, node):
                found.append((None, node.name))
    return found


def _dummy_args(function, skip_self):
    parameters = list(inspect.signature(function).parameters.values())
    return [None] * (len(parameters) - (1 if skip_self else 0))


@pytest.fixture(scope="module")
def stubs_package():
    """The mini stubs, imported as a package of their own."""
    spec = importlib.util.spec_from_file_location("_mini_exercises", ROOT / "exercises" / "__init__.py",
                                                  submodule_search_locations=[str(ROOT / "exercises")])
    package = importlib.util.module_from_spec(spec)
    sys.modules["_mini_exercises"] = package
    spec.loader.exec_module(package)
    yield package
    for name in [n for n in sys.modules if n.startswith("_mini_exercises")]:
        del sys.modules[name]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_solution_region_became_not_implemented(stubs_package, module_name):
    module = importlib.import_module(f"_mini_exercises.{module_name}")
    targets = _functions_with_regions(module_name)
    assert targets, "the module should have solution regions"
    for owner, name in targets:
        if owner is None:
            function = getattr(module, name)
            call = lambda function=function: function(*_dummy_args(function, False))  # noqa: E731
        else:
            cls = getattr(module, owner)
            function = inspect.getattr_static(cls, name)
            if isinstance(function, staticmethod):
                call = lambda f=function.__func__: f(*_dummy_args(f, False))  # noqa: E731
            else:
                instance = object.__new__(cls)
                call = lambda f=function, i=instance: f(i, *_dummy_args(f, True))  # noqa: E731
        with pytest.raises(NotImplementedError, match="your code here"):
            call()


def test_no_solution_text_in_exercises():
    for path in (ROOT / "solutions").glob("*.py"):
        stub = (ROOT / "exercises" / path.name).read_text()
        assert "### BEGIN SOLUTION" not in stub
        for region in solution_regions(path.read_text()):
            for line in region.splitlines():
                if len(line.strip()) > 25:
                    assert line.strip() not in stub, f"{path.name}: solution line leaked: {line.strip()}"


def test_signatures_and_docstrings_are_kept():
    for name in MODULES:
        solution = ast.parse((ROOT / "solutions" / f"{name}.py").read_text())
        stub = ast.parse((ROOT / "exercises" / f"{name}.py").read_text())
        def signatures(tree):
            return [(n.name, ast.dump(n.args), ast.dump(n.returns) if n.returns else None, ast.get_docstring(n))
                    for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        assert signatures(solution) == signatures(stub)
        assert ast.get_docstring(stub), f"exercises/{name}.py needs a module docstring"


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    pass\n    ### END SOLUTION\n", "without"),
    ("def f(:\n    pass\n", "not valid Python"),
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "inside a function"),
    ("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "inside another"),
])
def test_bad_markers_are_reported(source, problem):
    with pytest.raises(StubError, match=problem):
        make_stub(source, "x.py")


def test_stub_keeps_indentation_and_names_the_function():
    source = (
        "class A:\n    def f(self) -> int:\n        \"\"\"Doc.\"\"\"\n"
        "        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
    )
    stub = make_stub(source)
    assert '        raise NotImplementedError("A.f: your code here")\n' in stub
    assert '"""Doc."""' in stub and "return 1" not in stub
