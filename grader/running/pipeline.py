"""Run a course's suites against one submission and collect every outcome.

pytest runs here, in the trusted process; the student's code runs only in
the session's worker. An outcome counts as passed only on an explicit pass
of the test's call phase with no failing setup or teardown.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Generator
from pathlib import Path

import pytest

from ..model.course import Course
from ..model.results import Finding, Kind, Outcome, Run
from ..trust.sandbox import SandboxMode
from . import intake as intake_module
from .plugin import SESSION_PLUGIN, SessionProvider
from .session import Session, StudentError

_PREFIXES = ("grader.running.session.NotImplementedYet: ", "grader.running.session.StudentError: ",
             "grader.kit.diagnosis.Mismatch: ",
             "AssertionError: ")


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        text = str(crash.message)
    elif isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])  # a skip: (file, line, reason)
    else:
        text = str(longrepr)
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    return text.strip()[:2000]


def finding_of(error: BaseException) -> Finding | None:
    """The structured reason of a failed check or of an error in student code."""
    finding = getattr(error, "finding", None)  # a failed check of the test kit carries its finding
    if isinstance(error, AssertionError) and isinstance(finding, Finding):
        return finding
    if isinstance(error, StudentError):
        return Finding(error.text, error.hidden, error.mistake)
    return None


class Collector:
    """A pytest plugin that records what happened to every test."""

    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.collection_errors: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("weight")
            weight = float(marker.args[0]) if marker and marker.args else 1.0
            self.outcomes[item.nodeid] = Outcome(item.nodeid, Path(str(item.path)).name, item.name, weight)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors[Path(report.nodeid.split("::")[0]).name] = _message(report)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
        yield
        outcome = self.outcomes.get(item.nodeid)
        if call.excinfo is not None and outcome is not None and outcome.finding is None:
            outcome.finding = finding_of(call.excinfo.value)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome = self.outcomes.get(report.nodeid)
        if outcome is None:
            return
        outcome.duration += report.duration
        xfail = hasattr(report, "wasxfail")
        if report.failed:
            outcome.passed = False
            outcome.status = "failed" if report.when == "call" else "error"
            outcome.message = outcome.message or _message(report)
        elif report.skipped:
            outcome.passed = False
            outcome.status = "xfail" if xfail else "skipped"
            outcome.message = outcome.message or _message(report)
        elif report.when == "call" and outcome.status == "not run":
            # only an explicit pass of the call, never an unexpected pass of an xfail, scores
            outcome.passed = not xfail
            outcome.status = "xpass" if xfail else "passed"


# pytest's own plugins that grading does not use; several wrap every test phase, which costs time per test
_UNUSED_PLUGINS = ("logging", "warnings", "faulthandler", "stepwise", "junitxml", "doctest", "pastebin",
                   "threadexception", "unraisableexception", "setuponly", "setupplan", "debugging", "tmpdir",
                   "recwarn", "legacypath", "nose", "unittest")


def pytest_args(course: Course, files: list[str]) -> list[str]:
    """How the grader runs pytest: the course's own config only, no plugins of this machine, no cache."""
    # Plugins installed on this machine are not needed and cost seconds to load.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return [
        *files, "-q", "--no-header", "-p", "no:cacheprovider", "-p", "no:randomly",
        "--rootdir", str(course.root), "-c", str(course.root / "pyproject.toml"),
        "-o", "addopts=", "--import-mode=importlib", "--assert=rewrite",
        "-W", "ignore::pytest.PytestAssertRewriteWarning", "--tb=line",  # only the crash line is used
        # no output capture: nothing here prints for people, and capturing costs time per test
        "-s", *[arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
    ]


def run_suites(
    course: Course,
    submission: Path,
    kind: Kind = "hidden",
    *,
    seed: int,
    sandbox_mode: SandboxMode = "auto",
    task_ids: list[str] | None = None,
) -> Run:
    """Grade ``submission`` with the ``kind`` suites of ``course``."""
    started = time.monotonic()
    tasks = [t for t in course.model.tasks if task_ids is None or t.id in task_ids]
    files = [str(course.suite_file(t, kind)) for t in tasks]
    taken = intake_module.take(submission, list(course.model.modules), course.model.limits.source_kb)
    session = Session(taken, course.model.limits, sandbox_mode)
    collector = Collector()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pytest.main(pytest_args(course, files), plugins=[collector, _Named(SessionProvider(session, seed))])
    finally:
        session.close()
        output = session.output
        taken.cleanup()
    return Run(
        outcomes=collector.outcomes,
        collection_errors=collector.collection_errors,
        seed=seed,
        layers=session.layers,
        output=output,
        intake_problems=dict(taken.problems),
        duration=time.monotonic() - started,
    )


class _Named:
    """Registers a plugin object under a fixed name so the fixtures can find it."""

    def __init__(self, provider: SessionProvider) -> None:
        self.provider = provider

    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(self.provider, SESSION_PLUGIN)
