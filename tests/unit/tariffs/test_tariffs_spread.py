"""Spreading a register's kWh over the hours of a month (``rating.spread_wh``): exact in
total, and every run of consecutive hours within 1 Wh of its exact share, in int64."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vool.domain.tariffs.rating import spread_wh

# totals far beyond int32 (a business's month, or a data error to be caught later)
totals = st.integers(min_value=-(2**45), max_value=2**45)
whole_weights = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=120)


class TestSpreadWh:
    def test_small_cases_by_hand(self) -> None:
        # 1000 / 3 = 333.33: cumulative 333.33 -> 333, 666.67 -> 667, 1000
        assert spread_wh(1000, np.array([1.0, 1.0, 1.0])).tolist() == [333, 334, 333]
        assert spread_wh(-10, np.array([1.0, 3.0])).tolist() == [-3, -7]
        mask = np.array([True, False, True])
        # 7 / 2 = 3.5: the first half rounds half up to 4
        assert spread_wh(7, np.array([1.0, 5.0, 1.0]), mask).tolist() == [4, 0, 3]

    def test_the_left_over_is_not_given_to_the_first_hours(self) -> None:
        # 745 hours (October with the extra DST hour), 360,372 Wh: 483.72... Wh an hour. A
        # price change after hour 372 splits the month into parts worth exactly
        # 360372 * 372 / 745 = 179,944.14 and 360372 * 373 / 745 = 180,427.86 Wh; giving the
        # 537 left-over Wh to the first hours made them 180,048 and 180,324 (0.1 kWh off).
        out = spread_wh(360_372, np.ones(745))
        assert int(out.sum()) == 360_372
        assert int(out[:372].sum()) == 179_944
        assert int(out[372:].sum()) == 180_428
        assert set(out.tolist()) == {483, 484}

    def test_a_huge_total_stays_exact(self) -> None:
        out = spread_wh(10**15 + 7, np.ones(745))
        assert out.dtype == np.int64
        assert int(out.sum()) == 10**15 + 7

    def test_nothing_to_spread_over(self) -> None:
        with pytest.raises(ValueError, match="no weight"):
            spread_wh(10, np.ones(3), np.zeros(3, dtype=np.bool_))


@given(total=totals, weights=whole_weights, data=st.data())
def test_every_run_of_intervals_is_within_1_wh_of_its_exact_share(
    total: int, weights: list[int], data: st.DataObject
) -> None:
    whole = sum(weights)
    if whole == 0:
        return
    out = spread_wh(total, np.array(weights, dtype=np.float64))
    assert out.dtype == np.int64
    assert int(out.sum()) == total
    assert all(v == 0 for v, w in zip(out.tolist(), weights, strict=True) if w == 0)
    lo = data.draw(st.integers(min_value=0, max_value=len(weights) - 1))
    hi = data.draw(st.integers(min_value=lo + 1, max_value=len(weights)))
    exact = Fraction(total * sum(weights[lo:hi]), whole)
    assert abs(int(out[lo:hi].sum()) - exact) < 1


@given(
    total=st.integers(min_value=-(2**40), max_value=2**40),
    weights=st.lists(
        st.floats(min_value=0.0, max_value=3.0, allow_nan=False), min_size=1, max_size=120
    ),
    mask=st.lists(st.booleans(), min_size=120, max_size=120),
)
def test_profile_weights_spread_exactly_where_the_mask_allows(
    total: int, weights: list[float], mask: list[bool]
) -> None:
    w = np.array(weights, dtype=np.float64)
    m = np.array(mask[: len(weights)], dtype=np.bool_)
    if not (w * m).sum() > 0:
        return
    out = spread_wh(total, w, m)
    assert out.dtype == np.int64
    assert int(out.sum()) == total
    assert not out[~m].any()
    exact = Fraction(total) * Fraction(float(w[m][0])) / Fraction(float((w * m).sum()))
    first = int(np.flatnonzero(m)[0])
    assert abs(int(out[first]) - exact) <= 1
