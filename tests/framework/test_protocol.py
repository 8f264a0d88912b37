"""The grader's light per-test protocol (``Collector.pytest_runtest_protocol``) records exactly what pytest's own
protocol would: the same outcome, status, message and finding for every test, on every reference submission and on
a suite that does everything a test can do (fail, error in setup or teardown, skip, xfail, exit with a group...).
Items it must not run (skip and xfail marks, a conftest hooking into the protocol) get pytest's protocol. Where it
can, it makes a test's arguments itself (parameters, the grader's fixtures, the course's plain ones), and where it
cannot (a teardown, ``request``, a wider scope, autouse) pytest's fixtures do: either way, the same outcomes."""

import re
import warnings

import pytest

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


@pytest.fixture
def doubled(submission):
    return submission.arith.double(3)


@pytest.fixture
def doubled_again(doubled, submission):
    return submission.arith.double(doubled)


@pytest.fixture
def broken_after(doubled):
    raise ValueError(f"broken after {doubled}")


@pytest.fixture(scope="module")
def shelf():
    return []


@pytest.fixture
def named(request):
    return request.node.name


@pytest.fixture
def unit(unit):
    return unit.id


def test_odd_overridden_fixture(unit):
    assert unit == "mini"


def test_odd_fixture_chain(doubled_again, doubled):
    assert (doubled, doubled_again) == (6, 12)


def test_odd_broken_course_fixture(broken_after):
    pass


def test_odd_module_fixture_first(shelf):
    shelf.append(1)
    assert shelf == [1]


def test_odd_module_fixture_second(shelf):
    shelf.append(2)
    assert shelf == [1, 2]


def test_odd_request(named):
    assert named == "test_odd_request"


SEEN = []


def test_odd_one_submission_a_module(submission, predictions):
    SEEN.append((submission, predictions))


def test_odd_one_submission_a_module_still(predictions, submission):
    assert SEEN[-1][0] is submission and SEEN[-1][1] is predictions


def test_odd_own_rng(rng):
    SEEN.append(rng)


def test_odd_own_rng_again(rng):
    assert rng is not SEEN[-1]


def test_odd_returns_a_value(submission):
    return submission.arith.double(1)


async def test_odd_async(submission):
    pass


def test_odd_unit_data_a(unit_data):
    pass


def test_odd_unit_data_b(unit_data):
    pass
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
    """The run with the light protocol, and with pytest's whole protocol for every test; the light run's outcomes
    are checked against a light run whose fixtures are all pytest's too."""
    light = run_suites(unit, path, seed=SEED)
    with monkeypatch.context() as patched:
        patched.setattr(pipeline.Collector, "_arguments_of", lambda self, item: None)
        with_pytests_fixtures = run_suites(unit, path, seed=SEED)
        patched.setattr(pipeline.Collector, "_may_go_light", lambda self, item: False)
        full = run_suites(unit, path, seed=SEED)
    assert outcomes(light) == outcomes(with_pytests_fixtures), path.name
    return light, full


def answered_yes(monkeypatch, decision):
    """The tests for which the collector's ``decision`` said yes (neither False nor None): a list, filled as the runs
    go. ``_may_go_light``: the test went through the light protocol; ``_arguments_of``: it made the arguments."""
    tests: list[str] = []
    original = getattr(pipeline.Collector, decision)

    def counting(self, item):
        answer = original(self, item)
        if answer is not None and answer is not False:
            tests.append(item.nodeid)
        return answer
    monkeypatch.setattr(pipeline.Collector, decision, counting)
    return tests


def test_every_reference_submission_gets_the_same_outcomes_either_way(monkeypatch, tmp_path, mini):
    """The mini unit's solutions, stubs and known mistakes (tests/course/ does the same for the real course)."""
    assert_same_outcomes_either_way(monkeypatch, tmp_path, mini)


def assert_same_outcomes_either_way(monkeypatch, tmp_path, unit):
    submissions = [unit.source_dir, unit.stubs_dir]
    for mistake in load_mistakes(unit):
        submissions.append(materialize(unit, mistake, tmp_path / mistake.name))
    went, made = answered_yes(monkeypatch, "_may_go_light"), answered_yes(monkeypatch, "_arguments_of")
    for path in submissions:
        light, full = both_ways(monkeypatch, unit, path)
        assert outcomes(light) == outcomes(full), path.name
    assert len(went) == 2 * len(submissions) * len(light.outcomes)  # every test of these suites went light (twice)
    assert len(made) == len(submissions) * len(light.outcomes)  # with its arguments made by the light protocol


def test_a_suite_that_does_everything_gets_the_same_outcomes_either_way(monkeypatch, mini_copy):
    suite = mini_copy / "tests" / "units" / "mini" / "hidden" / "test_arith.py"
    suite.write_text(suite.read_text() + ODD_TESTS)
    # no data: the module-scoped unit_data fails, at each test that asks for it
    (mini_copy / "tests" / "units" / "mini" / "data.json").unlink()
    unit = load_course(mini_copy).unit("mini")
    went, made = answered_yes(monkeypatch, "_may_go_light"), answered_yes(monkeypatch, "_arguments_of")
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        light, full = both_ways(monkeypatch, unit, unit.source_dir)
    assert outcomes(light) == outcomes(full)
    returned = [w for w in warned if issubclass(w.category, pytest.PytestReturnNotNoneWarning)]
    assert len(returned) == 3 and all("test_odd_returns_a_value" in str(w.message) for w in returned)  # each run
    odd = {name.split("::")[1]: outcome for name, outcome in light.outcomes.items() if "test_odd_" in name}
    assert {name: o.status for name, o in odd.items()} == {
        "test_odd_setup_error": "error", "test_odd_teardown_error": "error",
        "test_odd_teardown_error_after_a_failure": "error", "test_odd_plain_assert": "failed",
        "test_odd_fail_without_trace": "failed", "test_odd_skip_inside": "skipped",
        "test_odd_xfail_inside": "xfail", "test_odd_skip_mark": "skipped", "test_odd_skipif_mark": "skipped",
        "test_odd_xfail_mark_failing": "xfail", "test_odd_xfail_mark_passing": "xpass",
        "test_odd_exception_group": "failed", "test_odd_passes": "passed",
        "test_odd_overridden_fixture": "passed", "test_odd_fixture_chain": "passed",
        "test_odd_broken_course_fixture": "error",
        "test_odd_module_fixture_first": "passed", "test_odd_module_fixture_second": "passed",
        "test_odd_request": "passed", "test_odd_one_submission_a_module": "passed",
        "test_odd_one_submission_a_module_still": "passed", "test_odd_own_rng": "passed",
        "test_odd_own_rng_again": "passed", "test_odd_unit_data_a": "error", "test_odd_unit_data_b": "error",
        "test_odd_returns_a_value": "passed", "test_odd_async": "failed"}
    fixtures = {"test_odd_overridden_fixture", "test_odd_fixture_chain", "test_odd_module_fixture_first",
                "test_odd_module_fixture_second",
                "test_odd_request", "test_odd_one_submission_a_module", "test_odd_one_submission_a_module_still",
                "test_odd_own_rng", "test_odd_own_rng_again", "test_odd_returns_a_value"}
    assert [name for name, o in odd.items() if o.passed] == ["test_odd_passes", *sorted(fixtures, key=list(odd).index)]
    assert odd["test_odd_broken_course_fixture"].message == "ValueError: broken after 6"
    assert odd["test_odd_unit_data_a"].message == odd["test_odd_unit_data_b"].message
    assert "has no data (data.json in its folder" in odd["test_odd_unit_data_b"].message
    assert odd["test_odd_async"].message.startswith("async def functions are not natively supported")
    own = {name.split("::")[1] for name in made if "test_odd_" in name}
    assert {"test_odd_fixture_chain", "test_odd_broken_course_fixture", "test_odd_one_submission_a_module_still",
            "test_odd_own_rng_again", "test_odd_unit_data_b", "test_odd_setup_error", "test_odd_passes",
            "test_odd_returns_a_value"} <= own
    pytests = {"test_odd_module_fixture_first", "test_odd_request", "test_odd_overridden_fixture",
               "test_odd_teardown_error", "test_odd_async"}
    assert not own & pytests  # a wider scope, request, an override that asks for its own name, a teardown
    assert odd["test_odd_setup_error"].message == "RuntimeError: setup went wrong"
    assert odd["test_odd_fail_without_trace"].message == "failed on purpose"
    assert odd["test_odd_plain_assert"].message.startswith("double(2) should be 5 here")
    marked = {n for n in went if "mark" in n and "test_odd_" in n}
    assert not marked and any("test_odd_passes" in n for n in went)  # marks went through pytest's protocol


def test_a_conftest_that_hooks_into_the_protocol_gets_pytests_protocol(monkeypatch, mini_copy):
    (mini_copy / "tests" / "units" / "mini" / "hidden" / "conftest.py").write_text(
        "def pytest_runtest_setup(item):\n    item.user_properties.append(('seen', True))\n", encoding="utf-8")
    unit = load_course(mini_copy).unit("mini")
    went = answered_yes(monkeypatch, "_may_go_light")
    run = run_suites(unit, unit.source_dir, seed=SEED)
    assert run.outcomes and all(o.passed for o in run.outcomes.values())
    assert not [n for n in went if "/mini/" in n], "the conftest's hook would have been skipped"


def test_a_conftest_that_calls_the_tests_itself_gets_pytests_protocol(monkeypatch, mini_copy):
    """A course's ``pytest_pyfunc_call`` runs: the light protocol, which calls tests itself, leaves them to pytest."""
    (mini_copy / "tests" / "units" / "mini" / "hidden" / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.hookimpl(tryfirst=True)\ndef pytest_pyfunc_call(pyfuncitem):\n"
        "    if 'clip' in pyfuncitem.name:\n        raise AssertionError('the course decides')\n", encoding="utf-8")
    unit = load_course(mini_copy).unit("mini")
    went = answered_yes(monkeypatch, "_may_go_light")
    run = run_suites(unit, unit.source_dir, seed=SEED)
    clips = [o for name, o in run.outcomes.items() if "clip" in name]
    assert clips and all(o.status == "failed" and o.message == "the course decides" for o in clips)
    assert not [n for n in went if "/mini/" in n]


@pytest.mark.parametrize("missing", ["an attribute", "PARAMETER"])
def test_a_pytest_without_the_internals_it_uses_gets_pytests_protocol(monkeypatch, mini, missing):
    """The light protocol runs on a few private parts of pytest (``grader.running.pytest_internals``); where a
    pytest lacks one, every test goes through pytest's protocol, and grading is the same."""
    from grader.running import pytest_internals

    went = answered_yes(monkeypatch, "_may_go_light")
    before = outcomes(run_suites(mini, mini.source_dir, seed=SEED))
    assert went
    went.clear()
    if missing == "PARAMETER":
        monkeypatch.setattr(pytest_internals, "PARAMETER", None)
    else:  # as if this pytest lacked one of the attributes it checks (its setup state, a request, a closure)
        monkeypatch.setattr(pytest_internals, "available", lambda item: False)
    after = outcomes(run_suites(mini, mini.source_dir, seed=SEED))
    assert not went and after == before
