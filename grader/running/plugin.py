"""The pytest side of running a submission: the grader's options, and the fixtures a grading needs.

A course's ``tests/conftest.py`` loads the test kit's plugin (``grader.kit.plugin``),
which carries these. Run by the grader (``grader grade``, ``grade-all``, ...),
the pipeline registers a ``GradingContext`` for the one submission at hand.
Run directly (``pytest tests/<unit>/hidden``), each unit's suites test
``solutions/`` through the same sandboxed worker; ``--submission PATH`` tests
another folder.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.random  # noqa: F401 - loaded once here, not in every forked grading child
import pytest

from ..model.course import Unit, find_course_root, load_course
from .course_code import load_code
from .session import Session, Submission

DEFAULT_SEED = 1234
CONTEXT_PLUGIN = "grader-context"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader")
    group.addoption("--submission", default=None, help="submission folder to test (default: the course's solutions)")
    group.addoption("--grader-seed", type=int, default=DEFAULT_SEED, help="seed of the randomized cases")
    group.addoption("--sandbox", choices=["auto", "bwrap", "process"], default="auto",
                    help="isolation of student code (default: the strongest available)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "weight(n): this test counts n times within its task")


@dataclass(eq=False)  # registered with pytest as a plugin object: it must stay hashable
class GradingContext:
    """One submission being graded in one unit: what the fixtures hand the suites.

    ``recorder``, when set, collects every prediction the suites ask for (a release records the public suites').
    """

    unit: Unit
    session: Session
    seed: int
    code: ModuleType | None = None
    recorder: dict[str, Any] | None = None
    student: str | None = None  # whose numbers the questions are (None: the default variant)


@pytest.fixture(scope="session")
def grader_contexts(pytestconfig: pytest.Config) -> Iterator[Callable[[Path], GradingContext]]:
    """The grading context of a test file: the grader's own, or one per unit for a direct pytest run."""
    given = pytestconfig.pluginmanager.get_plugin(CONTEXT_PLUGIN)
    if isinstance(given, GradingContext):
        yield lambda path: given
        return
    from .pipeline import open_submission  # a direct run only: the grader registers its context instead

    opened: dict[tuple[Path, str], tuple[GradingContext, Any]] = {}

    def context_of(path: Path) -> GradingContext:
        course = load_course(find_course_root(path.parent))  # the nearest course.yaml above the test file
        unit = course.unit_of(path)
        if unit is None:
            raise pytest.UsageError(f"{path} is not in the suites of any unit of {course.root / 'course.yaml'}")
        key = (course.root, unit.id)
        if key not in opened:
            option = pytestconfig.getoption("submission")
            folder = Path(option).resolve() if option else unit.source_dir
            manager = open_submission(unit, folder, pytestconfig.getoption("sandbox"))
            session = manager.__enter__()
            context = GradingContext(unit, session, int(pytestconfig.getoption("grader_seed")), load_code(unit))
            opened[key] = (context, manager)
        return opened[key][0]

    try:
        yield context_of
    finally:
        for _, manager in opened.values():
            manager.__exit__(None, None, None)


# The tests running now, innermost last (a test may run pytest in turn). The fixtures below read the test from
# here rather than take pytest's ``request``: pytest builds a fixture definition, signature and all, every time a
# fixture that takes ``request`` is reached, which is several times a test (about 4 ms a submission of 77 tests).
_running: list[pytest.Item] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.fixture(scope="module")
def grading(grader_contexts: Callable[[Path], GradingContext]) -> GradingContext:
    """The grading context of the test file whose first test is being set up."""
    return grader_contexts(Path(str(_running[-1].path)))


@pytest.fixture(scope="module")
def submission(grading: GradingContext) -> Submission:
    """The student's package: ``submission.<module>.<name>(...)`` runs in the sandbox."""
    return Submission(grading.session)


@pytest.fixture(scope="module")
def unit(grading: GradingContext) -> Unit:
    """The unit whose suites these are."""
    return grading.unit


@pytest.fixture
def rng(grading: GradingContext) -> np.random.Generator:
    """Random numbers for this test, reproducible from the run's seed and the test's id."""
    return np.random.default_rng([grading.seed, zlib.crc32(_running[-1].nodeid.encode())])
