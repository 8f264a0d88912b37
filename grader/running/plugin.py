"""The pytest side of the grader: the ``submission`` and ``rng`` fixtures.

Loaded by the course's ``tests/conftest.py``. Run directly (``pytest
tests/hidden``), the suites test ``solutions/`` through the same sandboxed
worker as ``grader grade``; ``--submission PATH`` tests another folder.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.random  # noqa: F401 - loaded once here, not in every forked grading child
import pytest

from ..model.course import load_course
from . import intake as intake_module
from .session import Session, Submission

DEFAULT_SEED = 1234
SESSION_PLUGIN = "grader-session"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader")
    group.addoption("--submission", default=None, help="submission folder to test (default: the course's solutions)")
    group.addoption("--grader-seed", type=int, default=DEFAULT_SEED, help="seed of the randomized cases")
    group.addoption("--sandbox", choices=["auto", "bwrap", "process"], default="auto",
                    help="isolation of student code (default: the strongest available)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "weight(n): this test counts n times within its task")


class SessionProvider:
    """Registered by the grader's runner to hand an existing session to the fixtures."""

    def __init__(self, session: Session, seed: int) -> None:
        self.session = session
        self.seed = seed


@pytest.fixture(scope="session")
def grader_session(pytestconfig: pytest.Config) -> Iterator[Session]:
    provider = pytestconfig.pluginmanager.get_plugin(SESSION_PLUGIN)
    if isinstance(provider, SessionProvider):
        yield provider.session
        return
    course = load_course(pytestconfig.rootpath)
    path = pytestconfig.getoption("submission")
    folder = Path(path).resolve() if path else course.source_dir
    taken = intake_module.take(folder, list(course.model.modules), course.model.limits.source_kb)
    session = Session(taken, course.model.limits, pytestconfig.getoption("sandbox"))
    try:
        yield session
    finally:
        session.close()
        taken.cleanup()


@pytest.fixture
def submission(grader_session: Session) -> Submission:
    """The student's package: ``submission.conv_layer.ConvLayer(...)`` runs in the sandbox."""
    return Submission(grader_session)


def seed_of(config: pytest.Config) -> int:
    provider = config.pluginmanager.get_plugin(SESSION_PLUGIN)
    if isinstance(provider, SessionProvider):
        return provider.seed
    return int(config.getoption("grader_seed"))


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """Random numbers for this test, reproducible from the run's seed and the test's id."""
    return np.random.default_rng([seed_of(request.config), zlib.crc32(request.node.nodeid.encode())])
