"""The pytest side of running a submission: the grader's options, and the fixtures a grading needs.

The test kit's plugin (``grader.kit.plugin``) carries these; the grader loads it
whenever it runs a course's suites. Run by the grader (``grader grade``,
``grade-all``, ...), the pipeline hands a ``GradingContext`` over for the one
submission at hand (``hand_over``). Run directly (``pytest
tests/units/<unit>/hidden``, with the plugin named in the pytest
configuration), each unit's suites test
``solutions/`` through the same sandboxed worker; ``--submission PATH`` tests
another folder.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.random  # noqa: F401 - loaded once here, not in every forked grading child
import pytest

from ..model.course import Unit, find_course_root, load_course
from .course_code import load_code
from .session import LiveSubmission, Submission, open_submission

DEFAULT_SEED = 1234


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader")
    group.addoption("--submission", default=None, help="submission folder to test (default: the course's solutions)")
    group.addoption("--grader-seed", type=int, default=DEFAULT_SEED, help="seed of the randomized cases")
    group.addoption("--sandbox", choices=["auto", "bwrap", "process"], default="auto",
                    help="isolation of student code (default: the strongest available)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "weight(n): this test counts n times within its task")


@dataclass(eq=False)  # one context is one grading: compared by identity
class GradingContext:
    """One submission being graded in one unit: what the fixtures hand the suites.

    ``recorder``, when set, collects every prediction the suites ask for (a release records the public suites').
    """

    unit: Unit
    session: LiveSubmission
    seed: int
    code: ModuleType | None = None
    recorder: dict[str, Any] | None = None
    student: str | None = None  # whose numbers the questions are (None: the default variant)


# The tests running now, innermost last (a test may run pytest in turn). The fixtures below read the test from
# here, and find their context from it (``current_context``), rather than take pytest's ``request`` or each other:
# pytest builds a fixture definition, signature and all, every time a fixture that takes ``request`` is reached,
# and reaches every fixture of a test's closure at every test. So a test's closure is what it asks for, nothing
# more.
_running: list[pytest.Item] = []
_DIRECT = pytest.StashKey["_DirectRun"]()
_GIVEN = pytest.StashKey[GradingContext]()


def hand_over(config: pytest.Config, context: GradingContext | None) -> None:
    """Make ``context`` the one the fixtures serve in this pytest run (None: none now, as in a direct run).

    Kept in the configuration's stash, not registered as a plugin: pytest keeps every plugin registration in a
    history of its own, so a batch child that grades submission after submission in one session would keep
    every one of them alive, with its worker's handles and its output."""
    if context is not None:
        config.stash[_GIVEN] = context
    elif _GIVEN in config.stash:
        del config.stash[_GIVEN]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def _current_test() -> pytest.Item:
    if not _running:
        raise RuntimeError("the grader's fixtures serve tests only: none is running")
    return _running[-1]


def current_context() -> GradingContext:
    """The grading context of the test being set up (or run): the grader's own, for its one submission; in a
    direct pytest run, the one of the unit whose suites hold the test's file, opened on first need and closed
    when pytest ends."""
    item = _current_test()
    config = item.config
    given = config.stash.get(_GIVEN, None)
    if given is not None:
        return given
    direct = config.stash.get(_DIRECT, None)
    if direct is None:
        direct = config.stash[_DIRECT] = _DirectRun(config)
        config.add_cleanup(direct.close)
    return direct.context(Path(str(item.path)))


class _DirectRun:
    """A direct pytest run's contexts: one per test file (one submission, one worker, one time budget), each
    closed when the next file's tests start, and the last when pytest ends. A file's tests run together, so each
    file has the unit's budget to itself, in whatever order and company (pytest-xdist) the files run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.by_file: dict[Path, GradingContext] = {}
        self._open_now: contextlib.ExitStack | None = None  # the current file's submission

    def context(self, path: Path) -> GradingContext:
        if path not in self.by_file:
            self.close()
            self.by_file[path] = self._open(path)
        return self.by_file[path]

    def _open(self, path: Path) -> GradingContext:
        course = load_course(find_course_root(path.parent))  # the nearest course.yaml above the test file
        unit = course.unit_of(path)
        if unit is None:
            raise pytest.UsageError(f"{path} is not in the suites of any unit of {course.root / 'course.yaml'}")
        option = self.config.getoption("submission")
        folder = Path(option).resolve() if option else unit.source_dir
        self._open_now = contextlib.ExitStack()
        session = self._open_now.enter_context(open_submission(unit, folder, self.config.getoption("sandbox")))
        return GradingContext(unit, session, int(self.config.getoption("grader_seed")), load_code(unit))

    def close(self) -> None:
        if self._open_now is not None:
            self._open_now.close()
            self._open_now = None


@pytest.fixture(scope="module")
def grading() -> GradingContext:
    """The grading context of this test file."""
    return current_context()


@pytest.fixture(scope="module")
def submission() -> Submission:
    """The student's package: ``submission.<module>.<name>(...)`` runs in the sandbox."""
    return Submission(current_context().session)


@pytest.fixture(scope="module")
def unit() -> Unit:
    """The unit whose suites these are."""
    return current_context().unit


@pytest.fixture
def rng() -> np.random.Generator:
    """Random numbers for this test, reproducible from the run's seed and the test's id."""
    return np.random.default_rng([current_context().seed, zlib.crc32(_current_test().nodeid.encode())])
