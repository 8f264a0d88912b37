"""Every error the grader defines crosses a process boundary whole: pickled (as a worker, a Dask cluster or a pool
sends it) it comes back of its own class, with its own message and attributes, never rebuilt from its message
(which printed a course error one character per line)."""

import importlib
import io
import pickle
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import grader
from grader.model.messages import Text
from grader.model.results import Finding
from grader.model.reviews import Review

PROBLEM = {"code": "decode.yaml", "params": {"line": 3, "inner": {"code": "x", "params": {}}}}
TEXT = Text("report.problem", {"problem": "boom"})

# one instance of each, made as the grader makes it: a new error type must be added here
SAMPLES = {
    "CourseError": lambda m: m.CourseError(["course.yaml: one problem", "unit a: another"]),
    "ReleaseError": lambda m: m.ReleaseError("unit conv has no notebook"),
    "StubError": lambda m: m.StubError("layer.py:3: a region inside another"),
    "CatalogueError": lambda m: m.CatalogueError("mistakes.yaml: off_by_one does not apply"),
    "Conflict": lambda m: m.Conflict(Review(("a",), "c", "ta", "", 0.5, "why", 3), 3),
    "ReviewsError": lambda m: m.ReviewsError("reviews/q.json: cannot be read"),
    "HintsError": lambda m: m.HintsError("hints.yaml: line 2"),
    "AnswerError": lambda m: m.AnswerError(TEXT),
    "Mismatch": lambda m: m.Mismatch(Finding(TEXT, Text("report.hidden"), "off_by_one")),
    "DecodeFailed": lambda m: m.DecodeFailed(TEXT),
    "StudentError": lambda m: m.StudentError(TEXT, Text("report.hidden")),
    "NotImplementedYet": lambda m: m.NotImplementedYet(TEXT),
    "UsageError": lambda m: m.UsageError("--lms needs --roster"),
    "RosterError": lambda m: m.RosterError("roster.csv: no column 'SIS Login ID'"),
    "BadClass": lambda m: m.BadClass("ada/ and ada.zip are one student"),
    "NotGraded": lambda m: m.NotGraded("the submission could not be graded"),
    "ClusterError": lambda m: m.ClusterError("no worker"),
    "RequestError": lambda m: m.RequestError(409, "changed meanwhile", review=None, version=2),
    "_Overran": lambda m: m._Overran(),
    "DocumentError": lambda m: m.DocumentError("not a document"),
    "Refused": lambda m: m.Refused(PROBLEM),
    "NotPlain": lambda m: m.NotPlain(PROBLEM),
    "CommitError": lambda m: m.CommitError("not a repository"),
    "WorkerFailure": lambda m: m.WorkerFailure(TEXT),
    "WireError": lambda m: m.WireError("a frame too large"),
}


def grader_errors() -> dict[str, tuple[type, object]]:
    """Each exception class defined in a module of the grader, by name, with its module."""
    found = {}
    for info in pkgutil.walk_packages(grader.__path__, "grader."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == info.name:
                found[value.__name__] = (value, module)
    return found


ERRORS = grader_errors()


def crossed(error: BaseException) -> BaseException:
    """``error`` pickled and unpickled as a plain Python does it: importing every module above let a library
    (Dask's tblib) register its own way of pickling every exception, which a worker that grades does not have."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer)
    pickler.dispatch_table = {}
    pickler.dump(error)
    return pickle.loads(buffer.getvalue())


def test_every_error_type_of_the_grader_has_a_sample_here():
    assert set(SAMPLES) == set(ERRORS), "add each new error type to SAMPLES (and make it cross whole)"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_an_error_comes_back_from_pickle_as_it_went(name):
    kind, module = ERRORS[name]
    error = SAMPLES[name](module)
    assert type(error) is kind
    back = crossed(error)
    assert type(back) is kind and str(back) == str(error) and back.args == error.args
    assert vars(back) == vars(error)


def test_a_course_error_printed_after_crossing_a_process_is_its_lines(tmp_path):
    """The error as a user sees it: raised in another process, received, printed by the command line."""
    script = (
        "import multiprocessing, sys\n"
        "from grader.model.errors import CourseError\n"
        "def fail(_):\n"
        "    raise CourseError(['course.yaml: unit conv has no hidden suites here'])\n"
        "if __name__ == '__main__':\n"
        "    with multiprocessing.get_context('spawn').Pool(1) as pool:\n"
        "        try:\n"
        "            pool.map(fail, [0])\n"
        "        except CourseError as error:\n"
        "            print(f'grader: {error}')\n")
    (tmp_path / "cross.py").write_text(script)
    done = subprocess.run([sys.executable, str(tmp_path / "cross.py")], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={"PYTHONPATH": str(Path(grader.__file__).parents[1]), "PATH": ""})
    assert done.stdout == "grader: course.yaml: unit conv has no hidden suites here\n", done.stdout + done.stderr
