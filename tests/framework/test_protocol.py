"""The grader's light per-test protocol (``Collector.pytest_runtest_protocol``) records exactly what pytest's own
protocol would: the same outcome, status, message and finding for every test, on every reference submission and on
a suite that does everything a test can do (fail, error in setup or teardown, skip, xfail, exit with a group...).
Items it must not run (skip and xfail marks, a conftest hooking into the protocol) get pytest's protocol."""

import re

from grader.authoring.mistakes import load_mistakes, materialize
from grader.model.course import load_course
from grader.running import pipeline
from grader.running.pipeline import run_suites

SEED = 1234
ODD_TESTS = '''

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup went wrong")


@pytest.fixture
def broken_teardown():
    yield 1
    raise RuntimeError("teardown went wrong")


def test_odd_setup_error(submission, broken_setup):
    pass


def test_odd_teardown_error(submission, broken_teardown):
    value = submission.arith.double(1)
    assert value == 2


def test_odd_teardown_error_after_a_failure(submission, broken_teardown):
    value = submission.arith.double(1)
    assert value == 3


def test_odd_plain_assert(submission):
    value = submission.arith.double(2)
    assert value == 5, "double(2) should be 5 here"


def test_odd_fail_without_trace():
    pytest.fail("failed on purpose", pytrace=False)


def test_odd_skip_inside():
    pytest.skip("skipped inside")


def test_odd_xfail_inside():
    pytest.xfail("xfailed inside")


@pytest.mark.skip(reason="skipped by mark")
def test_odd_skip_mark():
    pass


@pytest.mark.skipif(True, reason="skipped by condition")
def test_odd_skipif_mark():
    pass


@pytest.mark.xfail(reason="expected to fail")
def test_odd_xfail_mark_failing():
    assert False


@pytest.mark.xfail(reason="expected to fail")
def test_odd_xfail_mark_passing(submission):
    value = submission.arith.double(1)
    assert value == 2


def test_odd_exception_group():
    raise ExceptionGroup("several", [ValueError("one"), KeyError("two")])


def test_odd_passes(submission):
    value = submission.arith.double(4)
    assert value == 8
'''


NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def outcomes(run):
    """What each test's outcome says; numbers in messages left out (a known mistake draws its own random
    weights, different in every run, whatever the protocol)."""
    def finding(found):
        return found and (found.text.code, found.hidden.code, found.hidden.params, found.mistake)
    return {name: (o.passed, o.status, NUMBER.sub("#", o.message), finding(o.finding))
            for name, o in run.outcomes.items()}


def both_ways(monkeypatch, unit, path):
    """The run with the light protocol, and with pytest's whole protocol for every test."""
    light = run_suites(unit, path, seed=SEED)
    with monkeypatch.context() as patched:
        patched.setattr(pipeline.Collector, "_may_go_light", lambda self, item: False)
        full = run_suites(unit, path, seed=SEED)
    return light, full


def count_light(monkeypatch):
    """How many items went through the light protocol (a list, filled as the runs go)."""
    went: list[str] = []
    original = pipeline.Collector._may_go_light

    def counting(self, item):
        light = original(self, item)
        if light:
            went.append(item.nodeid)
        return light
    monkeypatch.setattr(pipeline.Collector, "_may_go_light", counting)
    return went


def test_every_reference_submission_gets_the_same_outcomes_either_way(monkeypatch, tmp_path, mini):
    """The mini unit's solutions, stubs and known mistakes (tests/course/ does the same for the real course)."""
    assert_same_outcomes_either_way(monkeypatch, tmp_path, mini)


def assert_same_outcomes_either_way(monkeypatch, tmp_path, unit):
    submissions = [unit.source_dir, unit.stubs_dir]
    for mistake in load_mistakes(unit):
        submissions.append(materialize(unit, mistake, tmp_path / mistake.name))
    went = count_light(monkeypatch)
    for path in submissions:
        light, full = both_ways(monkeypatch, unit, path)
        assert outcomes(light) == outcomes(full), path.name
    assert len(went) == len(submissions) * len(light.outcomes)  # every test of these suites went light


def test_a_suite_that_does_everything_gets_the_same_outcomes_either_way(monkeypatch, mini_copy):
    suite = mini_copy / "tests" / "hidden" / "mini" / "test_arith.py"
    suite.write_text(suite.read_text() + ODD_TESTS)
    unit = load_course(mini_copy).unit("mini")
    went = count_light(monkeypatch)
    light, full = both_ways(monkeypatch, unit, unit.source_dir)
    assert outcomes(light) == outcomes(full)
    odd = {name.split("::")[1]: outcome for name, outcome in light.outcomes.items() if "test_odd_" in name}
    assert {name: o.status for name, o in odd.items()} == {
        "test_odd_setup_error": "error", "test_odd_teardown_error": "error",
        "test_odd_teardown_error_after_a_failure": "error", "test_odd_plain_assert": "failed",
        "test_odd_fail_without_trace": "failed", "test_odd_skip_inside": "skipped",
        "test_odd_xfail_inside": "xfail", "test_odd_skip_mark": "skipped", "test_odd_skipif_mark": "skipped",
        "test_odd_xfail_mark_failing": "xfail", "test_odd_xfail_mark_passing": "xpass",
        "test_odd_exception_group": "failed", "test_odd_passes": "passed"}
    assert [name for name, o in odd.items() if o.passed] == ["test_odd_passes"]
    assert odd["test_odd_setup_error"].message == "RuntimeError: setup went wrong"
    assert odd["test_odd_fail_without_trace"].message == "failed on purpose"
    assert odd["test_odd_plain_assert"].message.startswith("double(2) should be 5 here")
    marked = {n for n in went if "mark" in n and "test_odd_" in n}
    assert not marked and any("test_odd_passes" in n for n in went)  # marks went through pytest's protocol


def test_a_conftest_that_hooks_into_the_protocol_gets_pytests_protocol(monkeypatch, mini_copy):
    (mini_copy / "tests" / "hidden" / "mini" / "conftest.py").write_text(
        "def pytest_runtest_setup(item):\n    item.user_properties.append(('seen', True))\n", encoding="utf-8")
    unit = load_course(mini_copy).unit("mini")
    went = count_light(monkeypatch)
    run = run_suites(unit, unit.source_dir, seed=SEED)
    assert run.outcomes and all(o.passed for o in run.outcomes.values())
    assert not [n for n in went if "/mini/" in n], "the conftest's hook would have been skipped"


def test_a_pytest_without_the_internals_it_uses_gets_pytests_protocol(monkeypatch, mini):
    """The light protocol runs on two private parts of pytest (the session's setup state, an item's fresh request);
    where a pytest lacks them, every test goes through pytest's protocol, and grading is the same."""
    went = count_light(monkeypatch)
    before = outcomes(run_suites(mini, mini.source_dir, seed=SEED))
    assert went
    went.clear()
    monkeypatch.setattr(pipeline, "_LIGHT_NEEDS", {**pipeline._LIGHT_NEEDS, "item": "_a_part_this_pytest_lacks"})
    after = outcomes(run_suites(mini, mini.source_dir, seed=SEED))
    assert not went and after == before
