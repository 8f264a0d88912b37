"""The grader's packages keep to their layers: each imports only what lies below it.

- ``model``: the course, messages, hints, result types, file writing (the ground floor);
- ``trust``: the sandbox, the worker, the wire, processes; nothing above it but plain limits and messages;
- ``running``: intake, session, the pipeline, the pytest plugin;
- ``kit``: what suites import;
- ``rendering``: scoring and every report; reads result types, never the runner or the sandbox;
- ``classwork`` (a whole class) and ``authoring`` (stubs, mistakes, validate, release): the instructors' tools,
  which nothing but the command line imports (authoring uses classwork's similarity pass, never the reverse).
"""

import ast
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parents[2] / "grader"

ALLOWED = {
    "model": {"model"},
    "trust": {"trust", "model.course", "model.messages"},
    "running": {"running", "trust", "model"},
    "kit": {"kit", "running", "model", "trust.wire"},
    "rendering": {"rendering", "model"},
    "classwork": {"classwork", "rendering", "running", "trust", "model"},
    "authoring": {"authoring", "classwork", "rendering", "running", "kit", "trust", "model"},
}


def grader_imports(path: Path) -> set[str]:
    """The grader modules ``path`` imports, as dotted names under ``grader`` (``model.course``, ``trust``...)."""
    package = path.relative_to(GRADER).parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                parts = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "grader":
                parts = node.module.split(".")[1:]
            else:
                continue
            # the module, or a module of the package, a name is imported from: a prefix rule covers both
            found |= {".".join(parts + [alias.name]) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".", 1)[1] for a in node.names if a.name.startswith("grader.")}
    return {name for name in found if name}


def allowed(name: str, rules: set[str]) -> bool:
    return name == "" or name == "__init__" or any(name == rule or name.startswith(rule + ".") for rule in rules)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_lies_below_it(layer):
    files = sorted((GRADER / layer).glob("*.py"))
    assert files
    for path in files:
        wrong = {name for name in grader_imports(path) if not allowed(name, ALLOWED[layer]) and name != "__version__"}
        assert not wrong, f"{path.relative_to(GRADER)} imports {sorted(wrong)}"


def test_only_the_command_line_reaches_the_instructors_tools():
    for path in GRADER.rglob("*.py"):
        layer = path.relative_to(GRADER).parts[0]
        if layer in ("authoring", "classwork", "cli.py"):
            continue
        reached = {name for name in grader_imports(path) if name.split(".")[0] in ("authoring", "classwork")}
        assert not reached, f"{path.relative_to(GRADER)} imports {sorted(reached)}"


def test_the_import_scan_sees_relative_and_absolute_imports(tmp_path):
    """The scan itself must see what it polices (else the tests above would prove nothing)."""
    assert "model.course.Limits" in grader_imports(GRADER / "trust" / "sandbox.py")
    assert "trust.sandbox" in grader_imports(GRADER / "running" / "session.py")
    assert {"trust.processes", "trust.wire"} <= grader_imports(GRADER / "trust" / "sandbox.py")
    assert not allowed("trust.sandbox.Worker", ALLOWED["rendering"]) and allowed("model.results.Run", {"model"})
