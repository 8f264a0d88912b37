"""Run a course's suites against one submission and collect every outcome.

pytest runs here, in the trusted process; the student's code runs only in
the session's worker. An outcome counts as passed only on an explicit pass
of the test's call phase with no failing setup or teardown.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import io
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest

from ..model.course import Unit
from ..model.questions import open_questions, variant_seed
from ..model.results import Finding, Kind, Outcome, Run
from ..trust.policy import SandboxMode
from . import pytest_internals as internals
from .answers import open_answers_of
from .course_code import load_code
from .plugin import DEFAULT_SEED, GradingContext, hand_over
from .session import LiveSubmission, StudentError, open_submission

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
    return _clean(text)


def _clean(text: str) -> str:
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


_EXCEPTION_GROUPS: tuple[type[BaseException], ...] = tuple(
    group for group in (getattr(builtins, "BaseExceptionGroup", None),) if group is not None)  # 3.11 on


@dataclass(frozen=True)
class _Crash:
    message: str


@dataclass(frozen=True)
class _CrashLine:
    """A failure's report as the grader reads it: the exception's one line (pytest's ``reprcrash``)."""

    reprcrash: _Crash

    def toterminal(self, out: Any) -> None:
        out.line(self.reprcrash.message)

    def __str__(self) -> str:
        return self.reprcrash.message


def _failure_text(excinfo: pytest.ExceptionInfo[BaseException]) -> str | _CrashLine:
    """A failure's report as the grader keeps it: ``pytest.fail``'s message, or the exception's one line."""
    failed = excinfo.value
    if isinstance(failed, pytest.fail.Exception) and not failed.pytrace:
        return str(failed.msg)
    return _CrashLine(_Crash(excinfo.exconly(tryshort=True)))


# The plugins whose per-test hooks the light protocol does the work of (see Collector.pytest_runtest_protocol).
_PROTOCOL_PLUGINS = {
    "pytest_runtest_setup": {"runner", "skipping", "capturemanager"},
    "pytest_runtest_call": {"runner", "skipping", "capturemanager"},
    "pytest_runtest_teardown": {"runner", "capturemanager"},
    "pytest_runtest_makereport": {"runner", "skipping"},  # and the collector itself
    "pytest_runtest_logreport": {"terminalreporter", "session"},  # and the collector itself
    "pytest_runtest_logstart": {"terminalreporter"},
    "pytest_runtest_logfinish": set(),
    "pytest_pyfunc_call": {"python"},  # a test whose arguments the light protocol makes, it calls itself
}
# Exceptions whose reports only pytest builds exactly (a skip, an imperative xfail, an exception group).
_PYTEST_REPORTED = (pytest.skip.Exception, pytest.xfail.Exception, *_EXCEPTION_GROUPS)
_REMAINS = (pytest.exit.Exception, KeyboardInterrupt)  # pytest lets these end the session
# The fixtures of these modules the light protocol may make once per module: the grader's own, each of which
# takes no argument and finds what it serves from the running test alone.
_GRADERS_FIXTURES = ("grader.running.plugin", "grader.kit.plugin")


@dataclass(frozen=True)
class _Argument:
    """One name of a test's fixture closure, as the light protocol makes it: a parameter of the test's own
    (``fixture`` None), or a fixture called with the arguments it names; ``shared``: made once for the tests of a
    module in a row, as a module-scoped fixture of the grader's."""

    name: str
    fixture: Any = None
    shared: bool = False


def _argument(name: str, made: Any, parameters: dict[str, Any]) -> _Argument | None:
    """How the light protocol makes ``name`` from pytest's definition ``made``, or None when it cannot: a fixture
    that yields (a teardown), takes ``request``, has parameters of its own or a scope between the test and its
    module, or one of the course's that is not made once per test. (One that overrides another of its name and
    asks for it is a cycle to ``Collector._arguments_of``: pytest's.)"""
    func = getattr(made, "func", None)
    if func is internals.PARAMETER:
        return _Argument(name) if name in parameters else None
    if (not inspect.isfunction(func) or inspect.isgeneratorfunction(func) or inspect.iscoroutinefunction(func)
            or made.params is not None):
        return None
    if made.scope == "function":
        return _Argument(name, made)
    if made.scope == "module" and made.argnames == () and func.__module__ in _GRADERS_FIXTURES:
        return _Argument(name, made, shared=True)
    return None


class Collector:
    """A pytest plugin that records what happened to every test."""

    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.printing: LiveSubmission | None = None  # whose prints each test gets (``printed_until``), if any
        self._printing_test: str | None = None
        self._printing_from = 0
        self.collection_errors: dict[str, str] = {}
        self._light: dict[Path, bool] = {}  # per test folder (its conftests): may the light protocol run?
        self._light_items: dict[str, bool] = {}  # per test, decided once: a batch runs each test once a student
        # per test, decided once: its arguments as the light protocol makes them, or None (pytest's fixtures)
        self._arguments: dict[str, tuple[_Argument, ...] | None] = {}
        self._module_values: dict[Any, tuple[pytest.Module, BaseException | None, Any]] = {}  # by fixture

    def _may_go_light(self, item: pytest.Item) -> bool:
        """No marker that pytest's skipping plugin acts on, and no plugin but pytest's own (and this one) on the
        per-test hooks: a course whose conftest hooks into the protocol gets pytest's whole protocol."""
        known = self._light_items.get(item.nodeid)
        if known is None:
            known = self._light_items[item.nodeid] = self._light_for(item)
        return known

    def _light_for(self, item: pytest.Item) -> bool:
        marked = any(item.get_closest_marker(name) is not None for name in ("skip", "skipif", "xfail"))
        if marked or not isinstance(item, pytest.Function):
            return False
        if not internals.available(item):
            return False  # a pytest without the internals it runs on: pytest's protocol, always right
        folder = item.path.parent  # the conftests in use, and so the hooks, are the folder's
        known = self._light.get(folder)
        if known is None:
            relay, mine = item.ihook, {item.config.pluginmanager.get_name(self)}
            known = self._light[folder] = all(
                {impl.plugin_name for impl in getattr(relay, hook).get_hookimpls()} <= allowed | mine
                for hook, allowed in _PROTOCOL_PLUGINS.items())
        return known

    def _arguments_of(self, item: pytest.Function) -> tuple[_Argument, ...] | None:
        """How the light protocol makes this test's arguments itself, or None when pytest's fixtures must.

        Only a test of a module (no package to set up, no class), each name of whose fixture closure the light
        protocol can make (``_argument``): an autouse fixture, ``request``, an indirect parameter or a fixture
        with a teardown leaves the test to pytest's fixtures. A test whose arguments it makes, it also calls
        itself (``_call``).
        """
        closure = internals.fixture_definitions(item)
        if closure is None or not isinstance(item.parent, pytest.Module) or any(
                isinstance(node, (pytest.Package, pytest.Class)) for node in item.listchain()):
            return None
        test = getattr(item, "obj", None)
        if not inspect.isfunction(test) or inspect.iscoroutinefunction(test) or inspect.isasyncgenfunction(test):
            return None  # pytest says what is wrong with an async test
        parameters = internals.parameters(item)
        found: dict[str, _Argument] = {}
        for name in item.fixturenames:
            definitions = closure.get(name)
            argument = _argument(name, definitions[-1], parameters) if definitions else None
            if argument is None:
                return None
            found[name] = argument
        ordered: dict[str, _Argument] = {}  # pytest's order: each fixture after what it asks for, depth first
        visiting: set[str] = set()

        def visit(name: str) -> bool:
            if name in ordered:
                return True
            if name in visiting or name not in found:
                return False  # a cycle, or a name outside the closure: pytest says what is wrong
            visiting.add(name)
            fixture = found[name].fixture
            if fixture is not None and not all(visit(asked) for asked in fixture.argnames):
                return False
            ordered[name] = found[name]
            return True

        return tuple(ordered.values()) if all(visit(name) for name in item.fixturenames) else None

    def _make_arguments(self, item: pytest.Function, arguments: tuple[_Argument, ...]) -> None:
        """Give the test its arguments as pytest's fixtures would, in the same order: each fixture once per test,
        after the ones it asks for; a shared one once for the tests of a module in a row, its failure raised again
        at each of them."""
        parameters = internals.parameters(item)
        values: dict[str, Any] = {}
        item.funcargs = values
        for argument in arguments:
            fixture = argument.fixture
            if fixture is None:
                values[argument.name] = parameters[argument.name]
            elif argument.shared:
                values[argument.name] = self._module_value(item.parent, fixture)
            else:
                values[argument.name] = fixture.func(**{name: values[name] for name in fixture.argnames})

    @staticmethod
    def _call(item: pytest.Function) -> None:
        """Call the test as pytest's own ``pytest_pyfunc_call`` does (the only one of that hook on the light
        protocol's items), without finding it through the hook: its arguments by name, and a test that returns
        something warned about or, an awaitable, failed."""
        result = item.obj(**{name: item.funcargs[name] for name in internals.argument_names(item)})
        if result is None:
            return
        if hasattr(result, "__await__") or hasattr(result, "__aiter__"):
            internals.async_fail(item.nodeid)
        warnings.warn(pytest.PytestReturnNotNoneWarning(
            f"Test functions should return None, but {item.nodeid} returned {type(result)!r}."), stacklevel=1)

    def _module_value(self, module: Any, fixture: Any) -> Any:
        made = self._module_values.get(fixture)
        if made is None or made[0] is not module:
            try:
                made = (module, None, fixture.func())
            except Exception as error:  # as pytest: the module's every test fails its setup with this error
                made = (module, error, None)
            self._module_values[fixture] = made
        if made[1] is not None:
            raise made[1]
        return made[2]

    def _leave(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """The fixtures of a module end with its last test in a row, as pytest's end with the module's teardown."""
        if nextitem is None or nextitem.parent is not item.parent:
            self._module_values = {fixture: made for fixture, made in self._module_values.items()
                                   if made[0] is not item.parent}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        """Run one test as pytest's protocol would, recording its outcome directly.

        pytest's protocol builds three reports a test and passes each through
        a dozen hooks, only for the grader to read back a few fields: here the
        test's arguments are made (``_arguments_of``) and the test called
        directly where they can be, else by pytest's own setup state and
        ``item.runtest``, and each phase's outcome is recorded as
        ``pytest_runtest_logreport`` below would record its report (a skip, an
        xfail or an exception group still goes through pytest's report). Items
        it cannot run so (see ``_may_go_light``) get pytest's protocol.
        """
        self.printed_until(item.nodeid)
        outcome = self.outcomes.get(item.nodeid)
        if outcome is None or not self._may_go_light(item):
            return None
        function = cast(pytest.Function, item)
        if item.nodeid in self._arguments:
            arguments = self._arguments[item.nodeid]
        else:
            arguments = self._arguments[item.nodeid] = self._arguments_of(function)
        state = internals.setup_state(item)
        if arguments is not None:
            setup = pytest.CallInfo.from_call(lambda: self._make_arguments(function, arguments), "setup",
                                              reraise=_REMAINS)
        else:
            internals.fresh_request(function)  # as pytest's protocol: an item run again needs a fresh request
            setup = pytest.CallInfo.from_call(lambda: state.setup(item), "setup", reraise=_REMAINS)
        self._record(item, outcome, setup)
        if setup.excinfo is None:
            run = item.runtest if arguments is None else lambda: self._call(function)
            self._record(item, outcome, pytest.CallInfo.from_call(run, "call", reraise=_REMAINS))
        if arguments is not None:
            self._leave(item, nextitem)
        if arguments is None or state.stack:  # what pytest set up for an earlier test, it ends here
            teardown = pytest.CallInfo.from_call(lambda: state.teardown_exact(nextitem), "teardown",
                                                 reraise=_REMAINS)
            self._record(item, outcome, teardown)
        internals.release(function)  # as pytest's protocol: no fixture stays referenced
        return True

    def printed_until(self, nodeid: str | None) -> None:
        """Give the test that ran last what the submission printed since it began; the next one (``nodeid``, None
        at the end) gets what is printed from now on. A test's own protocol (ours or pytest's) runs between two
        calls: its setup, its call and its teardown all print into it."""
        if self.printing is None:
            return
        printed = self.printing.printed
        if self._printing_test is not None and self._printing_test in self.outcomes:
            self.outcomes[self._printing_test].printed.extend(printed[self._printing_from:])
        self._printing_test, self._printing_from = nodeid, len(printed)

    def _record(self, item: pytest.Item, outcome: Outcome, call: pytest.CallInfo[None]) -> None:
        excinfo = call.excinfo
        if excinfo is not None and isinstance(excinfo.value, _PYTEST_REPORTED):
            report = item.ihook.pytest_runtest_makereport(item=item, call=call)
            self.pytest_runtest_logreport(report)
            return
        outcome.duration += call.duration
        if excinfo is None:
            if call.when == "call" and outcome.status == "not run":
                outcome.passed, outcome.status = True, "passed"
            return
        if outcome.finding is None:
            outcome.finding = finding_of(excinfo.value)
        outcome.passed = False
        outcome.status = "failed" if call.when == "call" else "error"
        outcome.message = outcome.message or _clean(str(_failure_text(excinfo)))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            marker = item.get_closest_marker("weight")
            weight = float(marker.args[0]) if marker and marker.args else 1.0
            self.outcomes[item.nodeid] = Outcome(item.nodeid, Path(str(item.path)).name, item.name, weight)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors[Path(report.nodeid.split("::")[0]).name] = _message(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
        """Record why a test failed; report a failure with its crash line only.

        pytest would format the whole traceback of every failure (filtering it,
        reading source files) only for the grader to keep its last line: here
        the report is built from that line alone, the same text pytest puts in
        ``reprcrash``. Passes and skips get pytest's own reports.
        """
        excinfo = call.excinfo
        if excinfo is None:
            return None
        outcome = self.outcomes.get(item.nodeid)
        if outcome is not None and outcome.finding is None:
            outcome.finding = finding_of(excinfo.value)
        if isinstance(excinfo.value, (pytest.skip.Exception, *_EXCEPTION_GROUPS)):
            return None
        longrepr = _failure_text(excinfo)
        when = call.when
        assert when != "collect"
        return pytest.TestReport(item.nodeid, item.location, {name: 1 for name in item.keywords}, "failed",
                                 cast(Any, longrepr), when, [], call.duration, call.start, call.stop,
                                 user_properties=item.user_properties)

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
# The grader's own pytest configuration: a course's may say anything (or be missing, as in a fixture course).
_INI = Path(__file__).with_name("pytest.ini")


def pytest_args(unit: Unit, files: list[str]) -> list[str]:
    """How the grader runs pytest: its own configuration, no plugins of this machine, no cache."""
    return [
        *files, "-q", "--no-header", "--disable-plugin-autoload", "-p", "no:cacheprovider", "-p", "no:randomly",
        "-p", "grader.kit.plugin",  # the suites' fixtures: a course needs no conftest of its own for them
        "--rootdir", str(unit.root), "-c", str(_INI), "--import-mode=importlib", "--assert=rewrite",
        "--confcutdir", str(unit.root),  # a conftest.py above the course (a home folder's, say) never joins in
        "-W", "ignore::pytest.PytestAssertRewriteWarning", "--tb=line",  # only the crash line is used
        # no output capture: nothing here prints for people, and capturing costs time per test
        "-s", *[arg for name in _UNUSED_PLUGINS for arg in ("-p", f"no:{name}")],
    ]


def seed_for(unit: Unit, student: str | None, forced: int | None = None) -> int:
    """The seed of a grading: ``forced`` if given; else the student's own (their random cases, their numbers);
    else the course's default."""
    if forced is not None:
        return forced
    return variant_seed(unit.id, student) if student is not None else DEFAULT_SEED


def collect_run(collector: Collector, session: LiveSubmission, seed: int, started: float, unit: Unit,
                student: str | None = None) -> Run:
    """What a graded run produced, once the session is closed (its output is complete only then)."""
    return Run(
        outcomes=collector.outcomes,
        collection_errors=collector.collection_errors,
        seed=seed,
        layers=session.layers,
        output=session.output,
        intake_problems=dict(session.intake.problems),
        duration=time.monotonic() - started,
        unit=unit.id,
        student=student,
        open_answers=open_answers_of(open_questions(unit), session.intake.answers, session.intake.notes),
        practice=session.intake.practice,
        practice_problem=session.intake.practice_problem,
    )


def run_suites(
    unit: Unit,
    submission: Path,
    kind: Kind = "hidden",
    *,
    seed: int,
    sandbox_mode: SandboxMode = "auto",
    task_ids: list[str] | None = None,
    record: dict[str, Any] | None = None,
    code: ModuleType | None = None,
    student: str | None = None,
    practice: bool = False,
) -> Run:
    """Grade ``submission`` with the ``kind`` suites of ``unit``.

    ``record`` collects the predictions the suites ask for (a release records the public suites'); ``code`` is
    the unit's course code when the caller has it loaded already; ``student`` says whose numbers the questions
    are (``seed`` is the caller's: see ``seed_for``); ``practice``: read its ``practice.yaml`` too (the run's
    ``practice``).
    """
    started = time.monotonic()
    tasks = [t for t in unit.tasks if task_ids is None or t.id in task_ids]
    files = [str(unit.suite_file(t, kind)) for t in tasks]
    collector = Collector()
    with open_submission(unit, submission, sandbox_mode, practice=practice) as session:
        if kind == "public":  # shown under each check on the student's own machine; hidden grading never shows it
            collector.printing = session
        context = GradingContext(unit, session, seed, code if code is not None else load_code(unit), record, student)
        forget_suites(unit, files)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pytest.main(pytest_args(unit, files), plugins=[collector, _HandOver(context)])
        collector.printed_until(None)
    return collect_run(collector, session, seed, started, unit, student)


def forget_suites(unit: Unit, files: list[str]) -> None:
    """Make the next pytest run import ``files`` afresh.

    pytest imports a test file (and its conftests) under a name made from its path below the rootdir, and takes a
    module of that name from ``sys.modules`` if there is one: another course's suite of the same name, or this
    course's before an edit, would be graded with in a process that lives on (a Dask worker, a test run). So the
    modules of those names are dropped.
    """
    for name in _suite_module_names(unit.root.resolve(), files):
        sys.modules.pop(name, None)


def _suite_module_names(root: Path, files: list[str]) -> set[str]:
    """The names pytest (``--import-mode=importlib``) gives ``files`` and the conftests above them, up to ``root``."""
    names = set()
    for file in files:
        path = Path(file).resolve()
        for candidate in [path, *(folder / "conftest.py" for folder in path.parents if folder.is_relative_to(root))]:
            if candidate.is_relative_to(root):
                names.add(".".join(candidate.relative_to(root).with_suffix("").parts))
    return names


class _HandOver:
    """Hands the grading context over to the fixtures (``hand_over``) as pytest starts."""

    def __init__(self, context: GradingContext) -> None:
        self.context = context

    def pytest_configure(self, config: pytest.Config) -> None:
        hand_over(config, self.context)
