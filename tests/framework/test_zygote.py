"""Workers forked from a zygote: they start with what the zygote loaded, run the code the intake compiled, and
are asked less."""

import importlib.util
import marshal

import pytest
from intake_here import intake_here

from grader.running.session import StudentError, fetch, open_submission
from grader.trust.bubblewrap import SANDBOX_ROOT
from grader.trust.policy import zygotes_work
from grader.trust.zygote import Zygote

needs_zygotes = pytest.mark.skipif(not zygotes_work("auto"), reason="zygotes need bubblewrap and control groups")

# helpers that say which process ran them: the one a worker is forked from, or the worker itself
HELPERS = "import os\nBORN = os.getpid()\n\ndef pid():\n    return os.getpid()\n"


def born_and_running(session):
    """(the pid of the process that ran the helpers, the worker's pid), both as the sandbox numbers them."""
    return fetch(session.helper("BORN")), session.helper("pid")()


@needs_zygotes
def test_a_zygote_runs_the_helpers_once_and_its_workers_start_with_them(mini):
    zygote = Zygote(mini.limits, helpers=HELPERS)
    try:
        assert zygote.helpers == HELPERS
        for _ in range(2):
            with open_submission(mini, mini.source_dir, "auto", zygote, HELPERS) as session:
                born, running = born_and_running(session)
                assert born != running  # run before the fork, in the zygote; not sent again to the worker
    finally:
        zygote.close()


@needs_zygotes
@pytest.mark.parametrize("given", ["raise ValueError('a broken helper')\n", "OTHER = 1\n", None])
def test_a_worker_is_sent_the_helpers_when_its_zygote_does_not_have_these(mini, given):
    """A zygote whose helpers failed, or were others, or none: each worker runs the session's helpers itself."""
    zygote = Zygote(mini.limits, helpers=given)
    try:
        assert zygote.helpers == ("OTHER = 1\n" if given == "OTHER = 1\n" else None)
        with open_submission(mini, mini.source_dir, "auto", zygote, HELPERS) as session:
            born, running = born_and_running(session)
            assert born == running
    finally:
        zygote.close()


def test_a_helper_is_looked_up_once_per_worker(mini, monkeypatch):
    with open_submission(mini, mini.source_dir, "auto", None, HELPERS) as session:
        asked = []
        original = session.request

        def counting(message, *args, **kwargs):
            asked.append(message["op"])
            return original(message, *args, **kwargs)

        monkeypatch.setattr(session, "request", counting)
        first = session.helper("pid")
        assert session.helper("pid") is first and asked.count("helper") == 1
        session.close()  # the next request starts a fresh worker, where the old handle means nothing
        with pytest.raises(StudentError):
            first()
        again = session.helper("pid")
        assert again is not first and asked.count("helper") == 2
        assert isinstance(again(), int)


# what the intake's code says of itself, to tell it from the source's: not a line of this is in the source
MARKED = ("import sys\nMARK = 'compiled by the intake'\n\n"
          "def compiled_as():\n    return sys._getframe().f_code.co_filename\n")


def intake_code(session, module, source):
    """Make ``source`` the code the intake compiled for ``module`` (its source stays the file's)."""
    session.intake.code[module] = marshal.dumps(compile(source, f"{module}.py", "exec", dont_inherit=True))


@needs_zygotes
def test_a_worker_forked_warm_runs_the_code_the_intake_compiled(mini):
    zygote = Zygote(mini.limits)
    try:
        with open_submission(mini, mini.source_dir, "auto", zygote) as session:
            assert set(session.intake.code) == {"arith", "arrays"}
            intake_code(session, "arith", MARKED)
            arith = session.module("arith")
            assert arith.MARK == "compiled by the intake"
            # as if compiled from the file the worker would have read, so that errors name the student's file
            assert arith.compiled_as() == f"{SANDBOX_ROOT}/{session.intake.package}/arith.py"
    finally:
        zygote.close()


@needs_zygotes
def test_code_of_another_python_is_compiled_again_from_the_source(mini, monkeypatch):
    zygote = Zygote(mini.limits)
    try:
        with open_submission(mini, mini.source_dir, "auto", zygote) as session:
            intake_code(session, "arith", MARKED)
            monkeypatch.setattr(importlib.util, "MAGIC_NUMBER", b"\x00\x00\r\n")
            arith = session.module("arith")
            assert arith.double(4) == 8
            with pytest.raises(StudentError, match="MARK"):
                _ = arith.MARK
    finally:
        zygote.close()


def test_a_module_the_compiler_warns_about_is_left_for_the_worker_to_compile(tmp_path):
    (tmp_path / "clean.py").write_text("X = 1\n")
    (tmp_path / "warned.py").write_text("PATTERN = '\\d+'\n")  # an invalid escape: the compiler warns
    taken = intake_here((["clean", "warned"], 64), tmp_path)
    assert taken.accepted == ["clean", "warned"] and not taken.problems
    assert list(taken.code) == ["clean"]
