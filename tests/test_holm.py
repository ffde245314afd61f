"""Holm's correction of the scorecard's family of comparisons (made-up numbers)."""

import pytest

from alexnet_lib.book.scorecard import UNRESOLVED, holm, holm_verdict, paired_difference, t_test_p


def test_holm_multiplies_the_sorted_p_values_by_m_m_minus_1_and_keeps_them_monotone():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": None})
    assert adjusted["a"] == pytest.approx(0.03)  # 3 x 0.01
    assert adjusted["c"] == pytest.approx(0.06)  # 2 x 0.03
    assert adjusted["b"] == pytest.approx(0.06)  # 1 x 0.04, raised to the one before
    assert adjusted["d"] is None


def test_holm_never_exceeds_one():
    assert holm({"a": 0.6, "b": 0.7}) == {"a": 1.0, "b": 1.0}


def test_the_t_test_p_value_agrees_with_the_interval():
    # an interval that just excludes 0 has p just under 0.05, and the other way round
    def record(acc):
        return {"test": {"single_top1": acc}}
    base = {s: record(0.5) for s in range(3)}
    for shift, resolved in ((0.0, False), (0.02, False), (0.03, True)):
        row = {s: record(0.5 + shift + d) for s, d in enumerate((-0.01, 0.0, 0.012))}
        d = paired_difference(row, base)
        assert (d["p"] < 0.05) == resolved == (d["low"] > 0 or d["high"] < 0)


def test_holm_verdict_reads_the_adjusted_p_value():
    diff = {"n": 3, "mean": -0.01, "low": -0.02, "high": -0.001, "p": 0.03}
    assert holm_verdict(diff, 0.03) == "lower than baseline"
    assert holm_verdict(diff, 0.3) == UNRESOLVED
    assert holm_verdict(diff, None) == "lower than baseline"  # no family: the plain one


def test_t_test_p_of_a_difference_with_no_spread():
    assert t_test_p(0.0, 0.0, 2) == 1.0
    assert t_test_p(0.01, 0.0, 2) == 0.0


def test_the_p_value_without_scipy_matches_scipy():
    from scipy.stats import t

    from alexnet_lib.book.scorecard import _t_two_sided

    for x, dof in ((2.0, 2), (4.83, 2), (1.0, 4), (10.0, 3)):
        assert _t_two_sided(x, dof) == pytest.approx(2 * t.sf(x, dof), abs=1e-6)
