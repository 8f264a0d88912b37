"""A student's answers, read as data and nothing else: ``answers.yaml`` (or ``practice.yaml``), or a notebook's
answers cell ``ANSWERS = {...}``. Each is bounded before it is parsed (size, nesting, number of items), YAML
anchors and aliases are refused, a cell is read as literals, never run; and each answer is read on its own, so
that one that cannot be read, or is not plain data, costs that answer only."""

from __future__ import annotations

import ast
from typing import Any, TypeGuard

from .layout import Located, locate
from .notebooks import ANSWERS_CELL, MAX_NOTEBOOK_BYTES, as_run, notebook_cells
from .plain import Problem, detail, problem, record_answer, text
from .tree import MAX_DEPTH, Tree, depth, folder_of

ANSWERS_FILE = "answers.yaml"
PRACTICE_FILE = "practice.yaml"
MAX_ANSWER_BYTES = 64 * 1024
MAX_ANSWER_DEPTH = 6
MAX_ANSWER_ITEMS = 5000
MAX_TEXT = 20_000  # characters of an open answer kept (one more marks it as cut)


def _yaml() -> Any:
    import yaml  # in the sandbox only when answers are read

    return yaml


def _loaders(yaml: Any) -> tuple[Any, ...]:
    """libyaml's loader where PyYAML has it (about ten times faster), then PyYAML's own, whose messages are the
    ones a student sees: a document libyaml cannot read is read again by PyYAML."""
    return (*((yaml.CSafeLoader,) if getattr(yaml, "__with_libyaml__", False) else ()), yaml.SafeLoader)


def _bounded_events(yaml: Any, source: str, loader: Any, where: str) -> Problem | None:
    """Why the YAML must not be constructed (an anchor or alias, too deep, too many items), or None."""
    depth = items = 0
    for event in yaml.parse(source, Loader=loader):
        items += 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return problem("answers.alias", where=where)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_ANSWER_DEPTH:
                return problem("answers.deep", limit=MAX_ANSWER_DEPTH)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if items > MAX_ANSWER_ITEMS:
            return problem("answers.many", limit=MAX_ANSWER_ITEMS)
    return None


def _yaml_problem(error: Any, source: str, where: str) -> Problem:
    mark = getattr(error, "problem_mark", None)
    position = getattr(error, "position", None)  # a character the reader refuses has a position, no mark
    line = (mark.line + 1 if mark is not None and type(getattr(mark, "line", None)) is int else
            source.count("\n", 0, position) + 1 if type(position) is int else 0)
    said = getattr(error, "problem", "") or getattr(error, "reason", "") or error
    return problem("answers.yaml", where=where, line=line, problem=detail(said))


def parse_yaml(data: bytes, where: str, texts: tuple[str, ...] = ()) -> dict[str, Any]:
    """The answers of an answers file's bytes: ``{"values": {...}, "refused": {...}}``, or ``{"problem": ...}``
    when the file as a whole cannot be read. The document is composed first (its syntax checked, every node
    made, nothing constructed), then each answer is constructed on its own: a tag whose constructor fails
    (``!!timestamp "x"``, ``!!int ""``) or a value the grader does not read costs that answer only. The answer
    to an open question (``texts``) is always text: a value that is not is kept as the student wrote it."""
    if len(data) > MAX_ANSWER_BYTES:
        return {"problem": problem("answers.large", where=where, size=len(data) // 1024,
                                   limit=MAX_ANSWER_BYTES // 1024)}
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return {"problem": problem("answers.not_utf8", where=where, offset=error.start)}
    yaml = _yaml()
    root = None
    used = None
    for loader in _loaders(yaml):
        try:
            bounded = _bounded_events(yaml, source, loader, where)
            if bounded is not None:
                return {"problem": bounded}
            used = loader(source)
            root = used.get_single_node()
            break
        except yaml.YAMLError as error:
            if loader is yaml.SafeLoader:
                return {"problem": _yaml_problem(error, source, where)}
        except (RecursionError, MemoryError):
            return {"problem": problem("answers.deep", limit=MAX_ANSWER_DEPTH)}
        except Exception as error:  # noqa: BLE001 - a reader's surprise costs the file, told by its type
            if loader is yaml.SafeLoader:
                return {"problem": problem("answers.yaml", where=where, line=0, problem=type(error).__name__)}
    values: dict[str, Any] = {}
    refused: dict[str, Problem] = {}
    if root is None or used is None:
        return {"values": values, "refused": refused}
    if not isinstance(root, yaml.MappingNode):
        return {"problem": problem("answers.not_mapping", where=where)}
    for key_node, value_node in root.value:
        try:
            key = used.construct_object(key_node, deep=True)
        except Exception:  # noqa: BLE001 - a key that cannot be read names no question
            continue
        if not isinstance(key, str):
            continue
        key = text(key)
        if key in texts:  # an open question: its text, or else what the student wrote, as written
            values[key] = _open_text(used, value_node, source)
            refused.pop(key, None)
            continue
        try:
            value = used.construct_object(value_node, deep=True)
        except Exception as error:  # noqa: BLE001 - whatever a constructor raises costs this answer alone
            said = getattr(error, "problem", None) or type(error).__name__
            refused[key] = problem("answers.bad_value", where=where, error=detail(said))
            values.pop(key, None)
            continue
        record_answer(values, refused, key, value)
    return {"values": values, "refused": refused}


def _open_text(loader: Any, node: Any, source: str) -> str:
    """An open answer: the text a YAML value is, or the value's own lines as the student wrote them when it is
    anything else (a number, a list, a tag that cannot be constructed)."""
    try:
        value = loader.construct_object(node, deep=True)
    except Exception:  # noqa: BLE001 - then it is shown as written
        value = None
    if isinstance(value, str):
        return text(value)
    start, end = getattr(node, "start_mark", None), getattr(node, "end_mark", None)
    at, to = getattr(start, "index", None), getattr(end, "index", None)
    return text(source[at:to]) if type(at) is int and type(to) is int else ""


def _depth(node: ast.AST, level: int = 0) -> int:
    if level > MAX_ANSWER_DEPTH:
        return level
    children = [_depth(child, level + 1) for child in ast.iter_child_nodes(node)
                if isinstance(child, (ast.Dict, ast.List, ast.Tuple, ast.Set))]
    return max(children, default=level)


_LITERAL_ERRORS = (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, OverflowError)


def _is_answers(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "ANSWERS"


def _touches(node: ast.AST) -> bool:
    """Whether a statement may change ``ANSWERS``: gives it a value, deletes it, sets or deletes an item or an
    attribute of it, or calls one of its methods (reading it, ``print(ANSWERS)``, changes nothing)."""
    for inner in ast.walk(node):
        if _is_answers(inner) and isinstance(getattr(inner, "ctx", None), (ast.Store, ast.Del)):
            return True
        if isinstance(inner, (ast.Subscript, ast.Attribute)) and _is_answers(inner.value) and \
                isinstance(inner.ctx, (ast.Store, ast.Del)):
            return True
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and _is_answers(inner.func.value):
            return True
        if isinstance(inner, ast.AugAssign) and (_is_answers(inner.target) or (
                isinstance(inner.target, ast.Subscript) and _is_answers(inner.target.value))):
            return True
    return False


Pairs = list[tuple[ast.expr | None, ast.expr | None]]


def _written_out(node: ast.AST | None) -> TypeGuard[ast.Dict]:
    """Whether ``node`` is a dict written out, key by key (no ``**other`` in it)."""
    return isinstance(node, ast.Dict) and all(key is not None for key in node.keys)


def _changes(node: ast.stmt) -> tuple[str, Pairs] | None:
    """What a statement of the answers cell does to ``ANSWERS``, as Python would run it: ``("set", pairs)`` for
    ``ANSWERS = {...}``; ``("add", pairs)`` for ``ANSWERS[key] = value``, ``ANSWERS.update({...}, key=...)`` and
    ``ANSWERS |= {...}``; ``("del", keys)`` for ``del ANSWERS[key]``;
    ``("bad", [])`` for any other change to it, which the grader does not guess at; None for a statement that
    does not change it."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and _is_answers(node.targets[0]) or \
            isinstance(node, ast.AnnAssign) and _is_answers(node.target) and node.value is not None:
        if not _written_out(node.value):
            return "bad", []
        return "set", list(zip(node.value.keys, node.value.values))
    if isinstance(node, ast.Assign) and all(isinstance(target, ast.Subscript) and _is_answers(target.value)
                                            for target in node.targets):
        return "add", [(target.slice, node.value) for target in node.targets]  # type: ignore[attr-defined]
    if isinstance(node, ast.AugAssign) and _is_answers(node.target) and isinstance(node.op, ast.BitOr):
        value = node.value
        return ("add", list(zip(value.keys, value.values))) if _written_out(value) else ("bad", [])
    if isinstance(node, ast.Delete) and all(isinstance(target, ast.Subscript) and _is_answers(target.value)
                                            for target in node.targets):
        return "del", [(target.slice, None) for target in node.targets]  # type: ignore[attr-defined]
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        if isinstance(call.func, ast.Attribute) and call.func.attr == "update" and _is_answers(call.func.value) \
                and not any(_touches(argument) for argument in [*call.args, *call.keywords]):
            pairs: Pairs = []
            for argument in call.args:
                if not _written_out(argument):
                    return "bad", []
                pairs += list(zip(argument.keys, argument.values))
            if any(keyword.arg is None for keyword in call.keywords):
                return "bad", []  # ``**other``: what it adds is not written out
            pairs += [(ast.Constant(keyword.arg), keyword.value) for keyword in call.keywords]
            return "add", pairs
    return ("bad", []) if _touches(node) else None


def parse_cell(source: str, where: str, texts: tuple[str, ...] = ()) -> dict[str, Any]:
    """The answers of a notebook cell ``ANSWERS = {...}``, read as Python would run it, but never run: the last
    ``ANSWERS = {...}`` with what follows it (``ANSWERS["q1"] = ...``, ``ANSWERS.update({...})``, ``ANSWERS |=
    {...}``, ``del ANSWERS["q1"]``), each answer read as a literal on its own, as ``parse_yaml`` reads a file's:
    a value that is not a literal, or not plain, costs that answer only; an open question's (``texts``) that is
    not text is kept as written. Any other change to ``ANSWERS`` (a loop, ``+=``, a method) refuses the cell,
    naming its line: the grader reads what the student wrote out, never what running it would compute. The
    cell's magics (``%load_ext``) are passed over, as Jupyter runs them."""
    if len(source.encode("utf-8", "surrogatepass")) > MAX_ANSWER_BYTES:
        size = len(source.encode("utf-8", "surrogatepass"))
        return {"problem": problem("answers.large", where=where, size=size // 1024, limit=MAX_ANSWER_BYTES // 1024)}
    source = as_run(source)
    try:
        tree = ast.parse(source, where)
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError, OverflowError):
        return {"problem": problem("answers.cell", where=where)}
    values: dict[str, Any] = {}
    refused: dict[str, Problem] = {}
    given = False
    for node in tree.body:
        try:
            change = _changes(node)
        except RecursionError:
            return {"problem": problem("answers.deep", limit=MAX_ANSWER_DEPTH)}
        if change is None:
            continue
        kind, pairs = change
        if kind == "bad":
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and any(
                    _is_answers(target) for target in getattr(node, "targets", [getattr(node, "target", None)])):
                return {"problem": problem("answers.cell", where=where)}
            return {"problem": problem("answers.cell_change", where=where, line=node.lineno)}
        try:
            if max((_depth(value) for _, value in pairs if value is not None), default=0) > MAX_ANSWER_DEPTH:
                return {"problem": problem("answers.deep", limit=MAX_ANSWER_DEPTH)}
        except RecursionError:
            return {"problem": problem("answers.deep", limit=MAX_ANSWER_DEPTH)}
        if kind == "set":
            values, refused, given = {}, {}, True
        for key_node, value_node in pairs:
            try:
                key = ast.literal_eval(key_node)  # type: ignore[arg-type]
            except _LITERAL_ERRORS:
                continue
            if not isinstance(key, str):
                continue
            if value_node is None:  # deleted
                values.pop(text(key), None)
                refused.pop(text(key), None)
                continue
            if text(key) in texts:
                values[text(key)] = _open_literal(value_node, source)
                refused.pop(text(key), None)
                continue
            try:
                value = ast.literal_eval(value_node)
            except _LITERAL_ERRORS:
                refused[text(key)] = problem("answers.not_literal")  # a name, a call, a sum: never run
                values.pop(text(key), None)
                continue
            record_answer(values, refused, key, value)
    if not given:
        return {"problem": problem("answers.cell", where=where)}
    return {"values": values, "refused": refused}


def _open_literal(node: ast.expr, source: str) -> str:
    """An open answer of a cell: the text its literal is, or else the expression as the student wrote it."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError, OverflowError):
        value = None
    if isinstance(value, str):
        return text(value)
    return text(ast.get_source_segment(source, node) or "")


def _notebook_of(tree: Tree, located: Located) -> tuple[bytes, str] | None:
    """The notebook the modules come from, and its name; None when they do not come from a notebook (or it
    cannot be read: the modules' reading says why)."""
    if located.form != "notebook":
        return None
    data = tree.read(located.where)
    if not isinstance(data, bytes) or tree.size(located.where) > MAX_NOTEBOOK_BYTES:
        return None
    return data, text(located.where or tree.name)


def _cell_answers(notebook: tuple[bytes, str] | None, texts: tuple[str, ...]) -> dict[str, Any] | None:
    if notebook is None:
        return None
    cells, trouble = notebook_cells(notebook[0], notebook[1], [ANSWERS_CELL])
    if trouble is not None or ANSWERS_CELL not in cells:
        return None
    return parse_cell("\n\n".join(cells[ANSWERS_CELL]), f"{notebook[1]}: {ANSWERS_CELL}", texts)


def _answers_file(tree: Tree, path: str, where: str, texts: tuple[str, ...] = ()) -> dict[str, Any]:
    kind = tree.kind(path)
    if kind != "file":
        return {"problem": problem("answers.not_regular", where=where)}
    size = tree.size(path)
    if size > MAX_ANSWER_BYTES:
        return {"problem": problem("answers.large", where=where, size=size // 1024, limit=MAX_ANSWER_BYTES // 1024)}
    data = tree.read(path)
    if isinstance(data, dict):
        return {"problem": data}  # an archive's member compressed another way, or damaged
    if data is None:
        return {"problem": problem("answers.unreadable", where=where)}
    return parse_yaml(data, where, texts)


def answers_file(tree: Tree, folder: str, name: str) -> str | None:
    """The path of the answers file ``name`` that counts: the one in ``folder`` (beside the modules or the
    notebook), else the shallowest, at most ``MAX_DEPTH`` folders down; None when there is none."""
    if tree.one_file:
        return None
    if tree.get(f"{folder}{name}") is not None:
        return f"{folder}{name}"
    return next((path for path in tree.paths() if path.rpartition("/")[2] == name
                 and depth(folder_of(path)) <= MAX_DEPTH), None)


def _given_answers(tree: Tree, located: Located, notebook: tuple[bytes, str] | None,
                   texts: tuple[str, ...]) -> dict[str, Any] | None:
    """The answers the submission holds: the notebook's answers cell, when the modules come from a notebook;
    else (or when it has none) its ``answers.yaml`` (see ``answers_file``); None when it holds none. The same
    for a folder and for the archive of that folder."""
    found = _cell_answers(notebook, texts)
    if found is not None:
        return found
    folder = folder_of(located.where) if located.form == "notebook" else located.where
    path = answers_file(tree, folder, ANSWERS_FILE)
    return None if path is None else _answers_file(tree, path, ANSWERS_FILE, texts)


def _notes(notebook: tuple[bytes, str] | None, texts: list[str]) -> dict[str, str]:
    """A notebook's Markdown cells of the open questions ``texts``: each question's text, stripped, at most one
    character more than ``MAX_TEXT`` (so that the grader knows it was cut)."""
    if notebook is None or not texts:
        return {}
    cells, trouble = notebook_cells(notebook[0], notebook[1], texts, "markdown")
    if trouble is not None:
        return {}
    return {question: _kept("\n\n".join(found)) for question, found in cells.items()}


def _kept(written: str) -> str:
    """An open answer's text, stripped, at most ``MAX_TEXT`` characters and, when it was longer, one more that is
    not white space: stripped again by the grader, it stays longer than the limit, so it is marked as cut."""
    stripped = written.strip()
    if len(stripped) <= MAX_TEXT:
        return stripped
    return stripped[:MAX_TEXT] + next(char for char in stripped[MAX_TEXT:] if not char.isspace())


def decode_answers(tree: Tree, modules: list[str], texts: list[str]) -> dict[str, Any]:
    """The ``answers`` part: ``{"answers": <answers or null>, "notes": {...}}``."""
    located = locate(tree, modules, [*modules, ANSWERS_CELL, *texts])
    notebook = _notebook_of(tree, located)
    return {"answers": _given_answers(tree, located, notebook, tuple(texts)), "notes": _notes(notebook, texts)}


def decode_practice(tree: Tree, modules: list[str]) -> dict[str, Any]:
    """The ``practice`` part: the answers of ``practice.yaml`` (beside the modules, else the shallowest), or
    null."""
    located = locate(tree, modules, [*modules, ANSWERS_CELL])
    folder = folder_of(located.where) if located.form == "notebook" else located.where
    path = answers_file(tree, folder, PRACTICE_FILE)
    return {"answers": None if path is None else _answers_file(tree, path, PRACTICE_FILE)}
