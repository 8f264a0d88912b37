"""The mutants of a solution module: each the module with one small change inside a solution region, the kind of
slip a student makes (an operator, a constant off by one, a bound, a dropped statement, ``=`` for ``+=``, two
arguments swapped, a loop's range).

Each change is made in the text, one token or one expression, so that the mutant reads as the author's code with
one slip in it; a change whose text does not parse, or parses to the module unchanged, is no mutant. Nothing here
runs a mutant: ``grader.authoring.mutants`` grades them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .stubs import StubError, _enclosing_function, _function_spans, regions

# Each binary operator, as written, and what a slip makes of it.
_SYMBOLS: dict[type[ast.AST], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
                                      ast.Mod: "%", ast.Pow: "**", ast.MatMult: "@"}
_ARITHMETIC: dict[str, tuple[str, ...]] = {"+": ("-",), "-": ("+",), "*": ("+", "/"), "/": ("*", "//"),
                                           "//": ("/", "*"), "%": ("//",), "**": ("*",), "@": ("*",)}
_COMPARISONS: dict[type[ast.AST], tuple[str, tuple[str, ...]]] = {
    ast.Eq: ("==", ("!=",)), ast.NotEq: ("!=", ("==",)), ast.Lt: ("<", ("<=", ">")), ast.LtE: ("<=", ("<",)),
    ast.Gt: (">", (">=", "<")), ast.GtE: (">=", (">",)), ast.Is: ("is", ("is not",)), ast.IsNot: ("is not", ("is",)),
    ast.In: ("in", ("not in",)), ast.NotIn: ("not in", ("in",))}
_NAMES = {"max": "min", "min": "max", "argmax": "argmin", "argmin": "argmax"}
_SIMPLE = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant)


@dataclass(frozen=True)
class Mutant:
    """One change of a module: where (its first line, the function it is in), what kind of slip, the lines it
    changes as they were (``old``) and as they are (``new``), each line stripped, and the whole changed module."""

    module: str
    line: int
    function: str
    kind: str
    old: str
    new: str
    source: str = field(repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        """What names the mutant whatever lines move around it: its module, and its lines before and after."""
        return self.module, self.old, self.new


class _Text:
    """A module's text, addressed as the ast addresses it (line, and UTF-8 byte column)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, column: int) -> int:
        text = self.lines[line - 1]
        return self.starts[line - 1] + len(text.encode("utf-8")[:column].decode("utf-8", "replace"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def line_of(self, offset: int) -> int:
        """The line (from 1) holding character ``offset``."""
        low, high = 0, len(self.lines) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1


Splice = tuple[int, int, str]  # replace source[start:end] by the text


def _token(text: _Text, start: int, end: int, symbol: str) -> tuple[int, int] | None:
    """Where ``symbol`` is written between two operands (outside a comment): its start and end."""
    gap = text.source[start:end]
    pattern = re.compile(r"\s+".join(re.escape(word) for word in symbol.split()) if " " in symbol
                         else re.escape(symbol) + (r"(?![=*/])" if symbol in ("*", "/") else ""))
    position = 0
    while position < len(gap):
        if gap[position] == "#":
            newline = gap.find("\n", position)
            if newline < 0:
                return None
            position = newline
            continue
        found = pattern.match(gap, position)
        if found and (not symbol[0].isalpha() or _word_at(gap, found.start(), found.end())):
            return start + found.start(), start + found.end()
        position += 1
    return None


def _word_at(gap: str, start: int, end: int) -> bool:
    before = gap[start - 1] if start > 0 else " "
    after = gap[end] if end < len(gap) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _candidates(tree: ast.Module, text: _Text, inside: set[int]) -> Iterator[tuple[str, list[Splice]]]:
    """Every change of a node within a solution region, as (kind, splices)."""
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) is None or not all(
                line in inside for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)):  # type: ignore
            continue
        yield from _of_node(node, text)


def _of_node(node: ast.AST, text: _Text) -> Iterator[tuple[str, list[Splice]]]:
    if isinstance(node, ast.BinOp):
        symbol = _SYMBOLS.get(type(node.op))
        where = _token(text, text.end(node.left), text.start(node.right), symbol) if symbol else None
        for other in _ARITHMETIC.get(symbol or "", ()) if where else ():
            yield "arithmetic", [(where[0], where[1], other)]  # type: ignore[index]
    elif isinstance(node, ast.AugAssign):
        symbol = _SYMBOLS.get(type(node.op))
        where = _token(text, text.end(node.target), text.start(node.value), f"{symbol}=") if symbol else None
        if where:
            for other in _ARITHMETIC.get(symbol or "", ()):
                yield "arithmetic", [(where[0], where[1], f"{other}=")]
            yield "+= made =", [(where[0], where[1], "=")]
    elif isinstance(node, ast.Compare):
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            symbol, others = _COMPARISONS.get(type(op), ("", ()))
            where = _token(text, text.end(left), text.start(right), symbol) if symbol else None
            for other in others if where else ():
                yield "comparison", [(where[0], where[1], other)]  # type: ignore[index]
            left = right
    elif isinstance(node, ast.BoolOp):
        symbol, other = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        where = _token(text, text.end(node.values[0]), text.start(node.values[1]), symbol)
        if where:
            yield "boolean", [(where[0], where[1], other)]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield ("condition negated" if isinstance(node.op, ast.Not) else "sign flipped"), [
            (text.start(node), text.start(node.operand), "")]
        if isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            yield "constant", [(text.start(node), text.end(node), "0")]
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        yield from _constants(node, text)
    elif isinstance(node, ast.Slice):
        for bound, changes in ((node.lower, (" + 1", " - 1", None)), (node.upper, (" - 1", " + 1", None))):
            if bound is None:
                continue
            for change in changes:
                yield "slice bound", [(text.start(bound), text.end(bound), "") if change is None
                                      else (text.end(bound), text.end(bound), change)]
    elif isinstance(node, ast.Call):
        yield from _of_call(node, text)
    elif isinstance(node, ast.Tuple):
        yield from _swaps(node.elts, text, "elements swapped")
    elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
        where = _token(text, text.end(node.targets[0]), text.start(node.value), "=")
        if where:
            yield "= made +=", [(where[0], where[1], "+=")]
    elif isinstance(node, ast.Name) and node.id in _NAMES:
        yield "function swapped", [(text.start(node), text.end(node), _NAMES[node.id])]
    elif isinstance(node, ast.Attribute) and node.attr in _NAMES:
        yield "function swapped", [(text.end(node) - len(node.attr), text.end(node), _NAMES[node.attr])]
    if isinstance(node, ast.stmt) and not isinstance(node, ast.Pass) and not _is_docstring(node):
        yield "statement dropped", [(text.start(node), text.end(node), "pass")]


def _constants(node: ast.Constant, text: _Text) -> Iterator[tuple[str, list[Splice]]]:
    value = node.value
    where = (text.start(node), text.end(node))
    if isinstance(value, bool):
        yield "constant", [(*where, str(not value))]
    elif isinstance(value, int):
        for other in (value + 1, value - 1):
            yield "constant", [(*where, f"({other})" if other < 0 else str(other))]
    elif isinstance(value, float) and value != 0:
        yield "constant", [(*where, f"({-value!r})")]
        yield "constant", [(*where, "0.0")]


def _of_call(node: ast.Call, text: _Text) -> Iterator[tuple[str, list[Splice]]]:
    positional = [arg for arg in node.args if not isinstance(arg, ast.Starred)]
    if isinstance(node.func, ast.Name) and node.func.id == "range" and len(positional) == len(node.args):
        if len(positional) == 1:
            stop = positional[0]
            yield "loop range", [(text.end(stop), text.end(stop), " - 1")]
            yield "loop range", [(text.end(stop), text.end(stop), " + 1")]
            yield "loop range", [(text.start(stop), text.start(stop), "1, ")]
        elif len(positional) >= 2:
            start, stop = positional[:2]
            yield "loop range", [(text.end(start), text.end(start), " + 1")]
            yield "loop range", [(text.end(stop), text.end(stop), " - 1")]
            yield "loop range", [(text.end(stop), text.end(stop), " + 1")]
    if len(positional) == len(node.args):
        yield from _swaps(node.args, text, "arguments swapped")


def _swaps(items: list[ast.expr], text: _Text, kind: str) -> Iterator[tuple[str, list[Splice]]]:
    """Two neighbours exchanged, where both are plain values (a name, an attribute, an item, a number)."""
    for first, second in zip(items, items[1:]):
        if isinstance(first, _SIMPLE) and isinstance(second, _SIMPLE):
            a, b = text.source[text.start(first):text.end(first)], text.source[text.start(second):text.end(second)]
            if a != b:
                yield kind, [(text.start(first), text.end(first), b), (text.start(second), text.end(second), a)]


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _applied(source: str, splices: list[Splice]) -> str:
    for start, end, replacement in sorted(splices, reverse=True):
        source = source[:start] + replacement + source[end:]
    return source


def _dump(source: str) -> str | None:
    try:
        return ast.dump(ast.parse(source))
    except (SyntaxError, ValueError):
        return None


def mutants(source: str, module: str, filename: str = "<source>", inside: set[int] | None = None) -> list[Mutant]:
    """Every mutant of ``source`` (the solution module ``module``), in the order of the text, each once: of the
    code in its solution regions, or of the lines ``inside``."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise StubError(f"{filename}:{error.lineno}: the solution is not valid Python: {error.msg}") from None
    text = _Text(source)
    if inside is None:
        inside = {line for first, last in regions(source) for line in range(first, last + 1)}
    spans = _function_spans(source, filename)
    original = ast.dump(tree)
    seen: set[str] = set()
    found: list[Mutant] = []
    for kind, splices in _candidates(tree, text, inside):
        changed = _applied(source, splices)
        dumped = _dump(changed)
        if dumped is None or dumped == original or changed in seen:
            continue
        seen.add(changed)
        first = text.line_of(min(start for start, _, _ in splices))
        last = text.line_of(max(max(start, end - 1) for start, end, _ in splices))
        before, after = text.starts[first - 1], len(source) - text.starts[last]
        old = source[before:text.starts[last]]
        new = changed[before:len(changed) - after]
        found.append(Mutant(module, first, _enclosing_function(spans, first) or "", kind, stripped_lines(old),
                            stripped_lines(new), changed))
    return sorted(found, key=lambda m: (m.line, m.kind, m.new))


def stripped_lines(text: str) -> str:
    """``text``'s lines, each stripped: how a mutant's lines are written and compared."""
    return "\n".join(line.strip() for line in text.strip().splitlines())
