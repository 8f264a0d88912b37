"""The real course's checks: the long ones run as background jobs (``tests/background.py``).

These hooks live here, for the real course's checks alone: the grader's own grading sessions (which run the units'
suites) and the framework's tests know nothing of jobs.

Run by one pytest process, the jobs start as soon as collection ends, in a thread beside the tests, and the tests
that wait for them run last. Run by several (pytest-xdist, as the suite's configuration asks), every worker collects
every test, so none starts a job at collection: a job starts when the test that waits for it runs, and those tests
run first, each beside the other workers' tests.
"""

import os

import background


def _distributed() -> bool:
    return bool(os.environ.get("PYTEST_XDIST_WORKER"))


def pytest_collection_modifyitems(session, config, items):
    waits = lambda item: item.get_closest_marker("background") is not None  # noqa: E731
    items.sort(key=(lambda item: not waits(item)) if _distributed() else waits)  # stable: order kept otherwise


def pytest_collection_finish(session):
    if not _distributed():
        background.start({marker.args[0] for item in session.items for marker in item.iter_markers("background")})


def pytest_sessionfinish(session):
    background.stop()
