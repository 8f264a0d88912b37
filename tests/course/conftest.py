"""The real course's checks: the long ones run as background jobs (``tests/background.py``).

These hooks live here, for the real course's checks alone: the grader's own grading sessions (which run the units'
suites) and the framework's tests know nothing of jobs.
"""

import background


def pytest_collection_modifyitems(session, config, items):
    """The tests that wait for a job run last: until then, the rest of the suite runs beside the jobs."""
    items.sort(key=lambda item: item.get_closest_marker("background") is not None)  # stable: order kept


def pytest_collection_finish(session):
    background.start({marker.args[0] for item in session.items for marker in item.iter_markers("background")})


def pytest_sessionfinish(session):
    background.stop()
