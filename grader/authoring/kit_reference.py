"""The test kit's reference (``docs/kit.md``), made from the kit's own docstrings and signatures, so that it says
what the code does. ``python -m grader.authoring.kit_reference > docs/kit.md`` writes it again; a test keeps the
committed page equal to what this makes, and every public name documented."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from .. import kit
from ..kit import plugin as kit_plugin
from ..running import plugin as running_plugin
from ..running.pytest_internals import is_fixture
from ..running.session import Remote

FIXTURE_MODULES = (running_plugin, kit_plugin)


def fixtures() -> Iterator[tuple[str, Any]]:
    """Each fixture a suite may ask for by name, with the object pytest holds for it."""
    for module in FIXTURE_MODULES:
        for name, value in vars(module).items():
            if is_fixture(value):
                yield name, value


def public_names() -> Iterator[tuple[str, Any]]:
    """Each name the kit exports (``grader.kit.__all__``), in its order."""
    for name in kit.__all__:
        yield name, getattr(kit, name)


def _signature(value: Any) -> str:
    try:
        return str(inspect.signature(value)).replace("'", "")
    except (TypeError, ValueError):
        return ""


def _alias_doc(name: str) -> str:
    from ..kit import diagnosis

    source = inspect.getsource(diagnosis)
    start = source.find(f"\n{name} = ")
    if start < 0:
        return ""
    after = source[start:].split("\n", 2)[2]
    return after.split('"""', 2)[1].strip() if after.startswith('"""') else ""


def _described(name: str, value: Any) -> str:
    """A public name's documentation: its docstring, or, for a type alias (``Suspect``), the string under it."""
    if inspect.isfunction(value) or inspect.isclass(value):
        return inspect.getdoc(value) or ""
    return _alias_doc(name)


def render() -> str:
    lines = ["# The test kit", "",
             "What a unit's suites use: the fixtures they ask for by name, and `grader.kit`'s checks, predicates and "
             "helpers. Made from the kit's docstrings by `python -m grader.authoring.kit_reference > docs/kit.md` "
             "(a test keeps this page in step with the code); [authoring.md](authoring.md) shows them at work.",
             "", "## Fixtures", ""]
    for name, value in fixtures():
        lines += [f"### `{name}`", "", inspect.getdoc(value) or "", ""]
    lines += ["### `question`", "", inspect.getdoc(kit_plugin.pytest_generate_tests) or "", "",
              "## Objects of the student's code", "", "### Remote objects", "", inspect.getdoc(Remote) or "", "",
              "## Checks, predicates and helpers (`from grader.kit import ...`)", ""]
    for name, value in public_names():
        lines += [f"### `{name}{_signature(value) if callable(value) else ''}`", "", _described(name, value), ""]
    return "\n".join(lines).rstrip() + "\n"


def undocumented() -> list[str]:
    """Public names and fixtures without a docstring (the page would say nothing of them)."""
    missing = [name for name, value in fixtures() if not inspect.getdoc(value)]
    missing += [] if inspect.getdoc(kit_plugin.pytest_generate_tests) else ["question"]
    return missing + [name for name, value in public_names() if not _described(name, value)]


if __name__ == "__main__":
    print(render(), end="")
