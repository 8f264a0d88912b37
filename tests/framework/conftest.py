"""The framework's tests run on fixture courses of their own (``fixtures/``), never on the real course.

``mini`` is a small course with one unit (two tasks: numbers, then arrays)
that uses every extension point: course code (reference and predictions),
helpers, data, hints, mistakes, styles, a hidden test, a notebook and a
student README. Tests that change a course work on a copy (``mini_copy``).
"""

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from grader.authoring.mistakes import Mistake, materialize
from grader.model.course import load_course
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"
SEED = 1234

# --- the real course is out of reach -------------------------------------------------------------
# Each framework test fails if it, or any Python it starts, opens or lists a file of the real course: an audit
# hook here (for this process, while the test runs) and one in every Python the test starts (``audit/``, first on
# PYTHONPATH) record such paths. So the framework's tests pass whatever the course holds.

ROOT = Path(__file__).resolve().parents[2]
COURSE_PATHS = tuple(str(ROOT / part) for part in ("course.yaml", "solutions", "exercises", "tests/units",
                                                   "tests/course", "tests/adversarial"))
AUDIT = Path(__file__).parent / "audit"
_armed = threading.Event()
_opened: list[str] = []
_MAIN = threading.main_thread().ident
_TESTS = itertools.count()


def _course_path(args: tuple) -> str | None:
    path = args[0] if args else None
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        return None
    path = os.path.normpath(path if os.path.isabs(path) else os.path.join(os.getcwd(), path))
    return path if any(path == top or path.startswith(top + os.sep) for top in COURSE_PATHS) else None


HYPOTHESIS = os.sep + "hypothesis" + os.sep


def _by_hypothesis() -> bool:
    """Whether Hypothesis itself is reading: it reads the source of every module of the working folder a process
    has imported (constants to try, "local constants"), the real course's too when an earlier test of this process
    imported it; that read is not the test's."""
    frame = sys._getframe(2)
    while frame is not None:
        if HYPOTHESIS in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _audit(event: str, args: tuple) -> None:
    if _armed.is_set() and event in ("open", "os.listdir", "os.scandir") and threading.get_ident() == _MAIN:
        path = _course_path(args)
        if path is not None and not _by_hypothesis():
            _opened.append(f"{event} {path}")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def _the_real_course_is_never_read(request):
    if FIXTURES in request.node.path.parents:  # a fixture course's own suite, run by the grader: not ours
        yield
        return
    tmp_path_factory, monkeypatch = (request.getfixturevalue(name) for name in ("tmp_path_factory", "monkeypatch"))
    # a log of this test's own: a process a test leaves running (a zygote kept for the next grading, which a
    # course test may then use to read the real course) writes to its own test's log, never to a later test's
    log = tmp_path_factory.getbasetemp() / f"course-audit-{os.getpid()}-{next(_TESTS)}.log"
    log.unlink(missing_ok=True)
    monkeypatch.setenv("GRADER_TEST_COURSE_AUDIT", str(log))
    monkeypatch.setenv("GRADER_TEST_COURSE_PATHS", os.pathsep.join(COURSE_PATHS))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(AUDIT), os.environ.get("PYTHONPATH")])))
    _opened.clear()
    _armed.set()
    try:
        yield
    finally:
        _armed.clear()
    seen = _opened + (log.read_text(encoding="utf-8").splitlines() if log.exists() else [])
    log.unlink(missing_ok=True)
    if seen:
        pytest.fail("a framework test read the real course (it must use a fixture course): "
                    + "; ".join(sorted(set(seen))[:10]), pytrace=False)


@pytest.fixture(scope="session")
def mini():
    """The mini course's one unit, read-only."""
    return load_course(MINI).unit()


@pytest.fixture
def mini_copy(tmp_path):
    """A copy of the mini course to change: its root folder."""
    return Path(shutil.copytree(MINI, tmp_path / "mini", ignore=shutil.ignore_patterns("__pycache__")))


@pytest.fixture
def make_class(mini):
    """``make_class(folder)``: a class of six in the mini unit (two correct, two known mistakes, the stubs, one
    with a module missing), as folders named by student; returns student -> folder."""
    from grader.authoring.mistakes import load_mistakes

    mistakes = {m.name: m for m in load_mistakes(mini)}

    def make(folder: Path, correct: int = 2) -> dict[str, Path]:
        folder.mkdir()
        students = {}
        for index in range(correct):
            students[f"ok{index}"] = Path(shutil.copytree(mini.source_dir, folder / f"ok{index}"))
        for name in ("double_adds", "first_row"):
            students[name] = materialize(mini, mistakes[name], folder / name)
        students["stubs"] = Path(shutil.copytree(mini.stubs_dir, folder / "stubs"))
        missing = Path(shutil.copytree(mini.source_dir, folder / "missing"))
        (missing / "arrays.py").unlink()
        students["missing"] = missing
        return students
    return make


@pytest.fixture
def variant(mini, tmp_path):
    """``variant(name, (module, old, new), ...)``: the mini solutions with exact text edits, as a new folder."""
    def make(name, *edits):
        spec = Mistake(name, "", [{"module": m, "old": o, "new": n} for m, o, n in edits], [])
        return materialize(mini, spec, tmp_path / name)
    return make


@pytest.fixture
def grade(mini):
    """``grade(path, kind="hidden", **options)``: (score, run) of a submission in the mini unit."""
    def run(path, kind="hidden", unit=None, **options):
        unit = unit or mini
        result = run_suites(unit, Path(path), kind, seed=options.pop("seed", SEED), **options)
        return score_run(unit, result), result
    return run


@pytest.fixture
def cli():
    """``cli(*args, course=MINI)``: the grader's command line on a course, as a user runs it, from a folder of
    no course (a name the grader opens relative to a folder's descriptor, ``solutions`` say, is told to the
    audit as relative: from the repository's root it would look like the real course's)."""
    def run(*args, course=MINI, **kwargs):
        kwargs.setdefault("cwd", tempfile.gettempdir())
        return subprocess.run([sys.executable, "-m", "grader", "--course", str(course), *args], capture_output=True,
                              text=True, timeout=600, **kwargs)
    return run


# Property tests (Hypothesis): a fixed budget of examples, the same ones every run, so that the suite is quick
# and repeatable; GRADER_FUZZ=1 runs many more, drawn afresh (a longer search, on demand). Each example's time
# is bounded by the tests themselves (tests/bounded.py), not by Hypothesis's deadline, which a busy machine trips.
settings.register_profile("suite", max_examples=80, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=4000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("fuzz" if os.environ.get("GRADER_FUZZ") else "suite")


@pytest.fixture
def released_quiz(tmp_path, mini_copy, cli):
    """The quiz released (a copy of the fixture given what a release needs: a notebook and a README)."""
    quiz = mini_copy / "tests" / "units" / "quiz"
    (quiz / "notebook").mkdir()
    (quiz / "notebook" / "questions.test_cell.tmpl").write_text("assert ANSWERS\n")
    (quiz / "notebook" / "questions.md").write_text("# Questions\n")
    shutil.copy(mini_copy / "tests" / "units" / "mini" / "student.md", quiz / "student.md")
    text = (mini_copy / "course.yaml").read_text()
    (mini_copy / "course.yaml").write_text(text + "    notebook: {assignment: quiz, name: quiz}\n")
    out = tmp_path / "release"
    done = cli("release", "--unit", "quiz", "--out", str(out), course=mini_copy)
    assert done.returncode == 0, done.stderr
    return out
