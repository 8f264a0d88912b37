"""Generate the student package from the single source.

Each ``### BEGIN SOLUTION`` / ``### END SOLUTION`` region of ``solutions/``
becomes ``raise NotImplementedError(...)``; everything else (signatures, type
hints, docstrings, given code) is kept as it is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from ..model.course import CourseError

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


class StubError(CourseError):
    """The source cannot be turned into stubs (unbalanced or misplaced markers)."""

    def __init__(self, problem: str) -> None:
        super().__init__([problem])


def _function_spans(source: str, filename: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function in ``source``."""
    spans: list[tuple[int, int, str]] = []
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise StubError(f"{filename}:{error.lineno}: the solution is not valid Python: {error.msg}") from None

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return spans


def _enclosing_function(spans: list[tuple[int, int, str]], line: int) -> str | None:
    inside = [s for s in spans if s[0] <= line <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else None


def make_stub(source: str, filename: str = "<source>", only: str | None = None) -> str:
    """The student version of one solution module; with ``only`` (a qualified function name), the solution with
    that one function left a stub."""
    spans = _function_spans(source, filename)
    out: list[str] = []
    region_start: int | None = None
    kept = False  # the region being read stays solved (``only`` names another function)
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if region_start is not None:
                raise StubError(f"{filename}:{number}: {BEGIN} inside another region (opened at line {region_start})")
            region_start = number
            name = _enclosing_function(spans, number)
            if name is None:
                raise StubError(f"{filename}:{number}: a solution region must be inside a function")
            kept = only is not None and name != only
            indent = line[: len(line) - len(line.lstrip())]
            if not kept:
                out.append(f'{indent}raise NotImplementedError("{name}: your code here")\n')
        elif marker == END:
            if region_start is None:
                raise StubError(f"{filename}:{number}: {END} without {BEGIN}")
            region_start = None
        elif region_start is None or kept:
            out.append(line)
    if region_start is not None:
        raise StubError(f"{filename}:{region_start}: {BEGIN} is never closed")
    return "".join(out)


def regions(source: str) -> list[tuple[int, int]]:
    """(first, last) line of the code inside each solution region."""
    found, start = [], None
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == BEGIN:
            start = number + 1
        elif line.strip() == END and start is not None:
            found.append((start, number - 1))
            start = None
    return found


def solution_regions(source: str) -> list[str]:
    """The text of every solution region (what must never reach students)."""
    lines = source.splitlines()
    return ["\n".join(lines[first - 1:last]) for first, last in regions(source)]


@dataclass(frozen=True)
class StubFile:
    name: str
    text: str


def build_stubs(solutions: Path) -> list[StubFile]:
    """Every module of the student package, generated from ``solutions``."""
    return [
        StubFile(path.name, make_stub(path.read_text(encoding="utf-8"), str(path)))
        for path in sorted(solutions.glob("*.py"))
    ]


def stale_files(solutions: Path, exercises: Path) -> list[str]:
    """Names of student files that differ from what ``solutions`` generates."""
    stale = []
    expected = build_stubs(solutions)
    for stub in expected:
        target = exercises / stub.name
        if not target.is_file() or target.read_text(encoding="utf-8") != stub.text:
            stale.append(stub.name)
    known = {stub.name for stub in expected}
    stale += sorted(p.name for p in exercises.glob("*.py") if p.name not in known)
    return stale


def write_stubs(solutions: Path, exercises: Path) -> list[str]:
    """Regenerate ``exercises``; returns the names of the files written."""
    exercises.mkdir(parents=True, exist_ok=True)
    stubs = build_stubs(solutions)
    known = {stub.name for stub in stubs}
    for extra in exercises.glob("*.py"):
        if extra.name not in known:
            extra.unlink()
    for stub in stubs:
        (exercises / stub.name).write_text(stub.text, encoding="utf-8")
    return [stub.name for stub in stubs]
