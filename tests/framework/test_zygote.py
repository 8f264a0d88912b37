"""Workers forked from a zygote: they start with what the zygote loaded, and the session asks them less."""

import pytest

from grader.running.pipeline import open_submission
from grader.running.session import StudentError, fetch
from grader.trust.sandbox import Zygote, zygotes_work

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
