"""The one module of the grader that reaches into pytest's private parts.

The grader's light per-test protocol (``grader.running.pipeline.Collector``) does the work of pytest's own for
most tests, and needs a few of pytest's internals for it: the session's setup state, an item's fixture request
and fixture closure, the fixture pytest makes for a plain parametrized argument, the failure of an async test.
Each is reached here and nowhere else, so that a pytest release that moves one breaks this file alone.
``pyproject.toml`` bounds pytest to the releases this was written for, and the light protocol's differential
test (its outcomes against pytest's own protocol, on every reference submission) runs at both ends of that
range (``tests/course/test_interpreters.py``). Where an internal is missing, the light protocol steps aside
and pytest's own protocol runs (``available``).
"""

from __future__ import annotations

from typing import Any, NoReturn

import pytest
from _pytest import python as _python

# the fixture function pytest makes for a test's plain parametrized argument
PARAMETER: Any = getattr(_python, "get_direct_param_fixture_func", None)


def available(item: pytest.Item) -> bool:
    """Whether this pytest has every internal the light protocol uses."""
    return (PARAMETER is not None and hasattr(item.session, "_setupstate") and hasattr(item, "_initrequest")
            and hasattr(item, "_fixtureinfo"))


def setup_state(item: pytest.Item) -> Any:
    """The session's setup state: what pytest's fixtures and setups have made, and their teardown."""
    return item.session._setupstate


def fresh_request(item: pytest.Function) -> None:
    """Give an item run again a fresh fixture request, as pytest's protocol does."""
    if not item._request:
        item._initrequest()


def release(item: pytest.Function) -> None:
    """Let an item keep no fixture referenced once it has run, as pytest's protocol does."""
    item._request = False  # type: ignore[assignment]
    item.funcargs = None  # type: ignore[assignment]


def fixture_definitions(item: pytest.Item) -> dict[str, Any] | None:
    """The definitions of each fixture of the item's closure, by name (the last one is the one used), or None."""
    info = getattr(item, "_fixtureinfo", None)
    return dict(info.name2fixturedefs) if info is not None else None


def argument_names(item: pytest.Function) -> tuple[str, ...]:
    """The names the test function itself takes."""
    return tuple(item._fixtureinfo.argnames)


def parameters(item: pytest.Item) -> dict[str, Any]:
    """The item's own parameters (its ``parametrize`` values), by name."""
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params) if callspec is not None else {}


def async_fail(nodeid: str) -> NoReturn:
    """Fail an async test as pytest does (it has no plugin here to run it)."""
    _python.async_fail(nodeid)
    raise AssertionError("unreachable")  # async_fail raises


def is_fixture(value: Any) -> bool:
    """Whether a module attribute is a fixture pytest collects (what ``@pytest.fixture`` made of a function)."""
    return type(value).__name__ == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction")
