"""The grader's packages keep to their layers: each imports only what lies below it.

- ``model``: the course, messages, hints, result types, file writing (the ground floor);
- ``trust``: the sandbox, the worker, the wire, processes, the decoders and their documents; nothing above it but
  plain limits, errors, messages and result types; its ``decoding`` package, which runs in the sandbox, nothing of the
  grader at all;
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
    "trust": {"trust", "model.course", "model.errors", "model.messages", "model.results"},
    "trust/decoding": {"trust.decoding"},
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
    inner = [other for other in ALLOWED if other.startswith(layer + "/")]  # a package with rules of its own
    files = sorted(path for path in (GRADER / layer).rglob("*.py")
                   if not any(path.is_relative_to(GRADER / other) for other in inner))
    assert files
    for path in files:
        wrong = {name for name in grader_imports(path) if not allowed(name, ALLOWED[layer]) and name != "__version__"}
        assert not wrong, f"{path.relative_to(GRADER)} imports {sorted(wrong)}"


def test_only_the_command_line_reaches_the_instructors_tools():
    for path in GRADER.rglob("*.py"):
        layer = path.relative_to(GRADER).parts[0]
        if layer in ("authoring", "classwork", "cli"):
            continue
        reached = {name for name in grader_imports(path) if name.split(".")[0] in ("authoring", "classwork")}
        assert not reached, f"{path.relative_to(GRADER)} imports {sorted(reached)}"


def test_the_import_scan_sees_relative_and_absolute_imports(tmp_path):
    """The scan itself must see what it polices (else the tests above would prove nothing)."""
    assert "model.course.Limits" in grader_imports(GRADER / "trust" / "policy.py")
    assert "trust.policy" in grader_imports(GRADER / "running" / "session.py")
    assert {"trust.processes", "trust.wire"} <= grader_imports(GRADER / "trust" / "worker.py")
    assert not allowed("trust.worker.Worker", ALLOWED["rendering"]) and allowed("model.results.Run", {"model"})
    assert "trust.decoding.plain.problem" in grader_imports(GRADER / "trust" / "decoding" / "answers.py")


def test_the_decoders_use_the_standard_library_and_pyyaml_only():
    """They run in the sandbox, which holds the interpreter, NumPy and PyYAML, and nothing of the grader."""
    import sys

    for path in sorted((GRADER / "trust" / "decoding").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in ("yaml", "__future__"), f"{path.name}: {name}"


def module_of(dotted: str) -> Path | None:
    """The grader file a dotted name (below ``grader``) is, or is in: ``trust.wire.frame`` -> trust/wire.py."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = GRADER.joinpath(*parts[:cut])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def import_graph() -> dict[Path, set[Path]]:
    """Each grader file, and the grader files it imports (at its top or inside a function: a cycle either way)."""
    graph = {}
    for path in sorted(GRADER.rglob("*.py")):
        targets = {module_of(name) for name in grader_imports(path)}
        graph[path] = {target for target in targets if target is not None and target != path
                       and not (target.name == "__init__.py" and path.is_relative_to(target.parent))}
    return graph


def cycles(graph: dict[Path, set[Path]]) -> list[list[Path]]:
    """The strongly connected components of more than one file (Tarjan's algorithm)."""
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    stack: list[Path] = []
    found: list[list[Path]] = []

    def visit(node: Path) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_in_the_grader():
    found = cycles(import_graph())
    assert not found, [[str(p.relative_to(GRADER)) for p in component] for component in found]


def test_the_cycle_finder_sees_a_cycle():
    a, b, c = Path("a.py"), Path("b.py"), Path("c.py")
    assert cycles({a: {b}, b: {c}, c: {a}}) == [[a, b, c]] and cycles({a: {b}, b: set(), c: {a}}) == []
    assert module_of("trust.wire.frame") == GRADER / "trust" / "wire.py"
    assert GRADER / "running" / "session.py" in import_graph()[GRADER / "running" / "plugin.py"]


PYTEST_PRIVATE = ("_pytest", "_setupstate", "_initrequest", "._request", "_fixtureinfo", "name2fixturedefs",
                  ".callspec", "_pytestfixturefunction", "FixtureFunctionDefinition")


def test_pytests_private_parts_are_reached_from_one_module_only():
    reached = {str(path.relative_to(GRADER)): [name for name in PYTEST_PRIVATE if name in path.read_text()]
               for path in GRADER.rglob("*.py")}
    assert {path for path, names in reached.items() if names} == {"running/pytest_internals.py"}, reached
