"""The checks' closeness is ``np.isclose``'s rule, computed more cheaply: the two must never disagree."""

import itertools

import numpy as np

from grader.kit.checks import check_array, check_number
from grader.kit.diagnosis import FloatNear, Mismatch, close_number, close_values, same

SPECIAL = [0.0, -0.0, 1.0, 1 + 1e-7, 1 + 1e-10, -1.0, 3.0, 1e-6, 2e-6, 1e-12, 5e-324, 1e308, -1e308,
           np.inf, -np.inf, np.nan]


def test_two_numbers_are_close_exactly_when_numpy_says_so():
    for got, expected in itertools.product(SPECIAL, repeat=2):
        for rtol, atol in [(1e-9, 1e-12), (1e-6, 1e-6), (0.0, 0.0)]:
            assert close_number(got, expected, rtol, atol) == bool(np.isclose(got, expected, rtol=rtol, atol=atol)), (
                got, expected, rtol, atol)


def test_two_arrays_are_close_where_numpy_says_so():
    rng = np.random.default_rng(7)
    pairs = np.array(list(itertools.product(SPECIAL, repeat=2)))
    noisy = rng.uniform(-2, 2, size=500)
    cases = [
        (pairs[:, 0], pairs[:, 1]),
        (noisy, noisy + rng.normal(scale=1e-6, size=500)),  # about half within the tolerance
        (rng.integers(-3, 4, size=(4, 5)), rng.integers(-3, 4, size=(4, 5)).astype(np.float64)),
        (np.array([True, False, True]), np.array([1.0, 0.0, 0.5])),
        (np.array([2**62, -(2**62)], dtype=np.int64), np.array([2.0**62, 1.0])),
    ]
    with np.errstate(over="ignore"):
        for got, expected in cases:
            for atol in (1e-6, 1e-9):
                mine = close_values(got, expected, 1e-6, atol)
                numpys = np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=1e-6, atol=atol)
                assert mine.dtype == bool and np.array_equal(mine, numpys), (got, expected, atol)
    assert 100 < close_values(*cases[1], 1e-6, 1e-6).sum() < 500  # the noisy case has both kinds


def test_the_checks_and_the_suspects_use_that_rule():
    check_array(np.array([1.0, np.inf]), np.array([1.0 + 1e-7, np.inf]), "x")
    try:
        check_array(np.array([1.0, np.nan]), np.array([1.0, np.nan]), "x")
    except Mismatch as mismatch:
        assert mismatch.finding.text.params["index"] == [1]
    else:
        raise AssertionError("NaN passed as close to NaN")
    check_number(1 + 1e-10, 1.0, "x")
    try:
        check_number(1 + 1e-7, 1.0, "x")
    except Mismatch:
        pass
    else:
        raise AssertionError("1 + 1e-7 passed as 1 within 1e-9")
    assert same(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7])) and not same(np.array([1.0]), np.array([1.1]))
    assert same(3, 3.0 + 1e-10) and not same(3, 3.001)
    assert FloatNear(0.5)(0.5 + 1e-12) and not FloatNear(0.5)(0.5 + 1e-6) and not FloatNear(0.5)(1)
