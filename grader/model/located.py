"""An author's YAML file read against a schema, each problem one line with the file, the line and the key path:
``course.yaml:14: units[0].tasks[0].points: Input should be a valid number``.

``read(text, name, schema)`` parses the text (YAML, safely), finds the line of every key, reports keys given
twice (YAML would keep the last one silently), and validates the data with a pydantic model; it raises
``CourseError`` with every problem it found, or returns the model and the lines (for later checks to locate
their own problems with ``Lines.at``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import CourseError

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[Any, ...]


@dataclass
class Lines:
    """The line of every key path of one file, to name it in a problem."""

    name: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def of(self, path: Path_) -> int | None:
        """The line of ``path`` (or of the nearest key above it)."""
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def at(self, path: Path_, text: str) -> str:
        """One problem line: ``name:line: key.path: text``."""
        return f"{self.name}:{self.of(path)}: {format_path(path)}: {text}"


def format_path(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _walk(node: yaml.Node, path: Path_, found: Lines, problems: list[str]) -> None:
    found.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                problems.append(f"{found.name}:{key_node.start_mark.line + 1}: {format_path(path + (key,))}: "
                                "key appears twice")
            seen.add(key)
            _walk(value_node, path + (key,), found, problems)
            found.lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), found, problems)


def describe(error: dict[str, Any]) -> str:
    """A pydantic error in the words an author reads."""
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check its spelling)"
    message = str(error["msg"]).removeprefix("Value error, ")
    if "input" in error and kind not in {"model_type", "dict_type"} and not isinstance(error["input"], (dict, list)):
        message += f" (got {error['input']!r})"
    return message


# libyaml's loader where PyYAML has one (several times faster on the course's own files), else PyYAML's
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """The data of a course file's YAML text (the course's own files: students' answers have their own reader)."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader, the C one where there is one


def parse(text: str, name: str) -> tuple[Any, Lines, list[str]]:
    """The data of a YAML text, the line of each key, and the keys given twice; raises ``CourseError`` for text
    that is not YAML."""
    try:
        try:
            node, data = yaml.compose(text, Loader=_LOADER), load_yaml(text)
        except yaml.YAMLError:  # said in PyYAML's own words, which name the line and the column alike everywhere
            node, data = yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name
        problem = getattr(error, "problem", None) or str(error)
        raise CourseError([f"{where}: not valid YAML: {problem}"]) from None
    found = Lines(name)
    problems: list[str] = []
    if node is not None:
        _walk(node, (), found, problems)
    return data, found, problems


def validated(data: Any, schema: type[M], found: Lines, problems: list[str] | None = None,
              prefix: Path_ = ()) -> M:
    """``data`` as ``schema``; raises ``CourseError`` with each problem located (and ``problems`` found before)."""
    problems = list(problems or [])
    try:
        model = schema.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            path = prefix + tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append(found.at(path, describe(dict(item))))
        raise CourseError(problems) from None
    if problems:
        raise CourseError(problems)
    return model


def read(text: str, name: str, schema: type[M]) -> tuple[M, Lines]:
    """``text`` parsed and validated as ``schema``, and its lines (see the module's docstring)."""
    data, found, problems = parse(text, name)
    return validated(data, schema, found, problems), found
