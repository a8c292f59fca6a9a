"""vool.common.ranges: half-open date and datetime ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vool.common.localtime import TALLINN
from vool.common.ranges import DateRange, DateTimeRange, any_overlap

D = date


def dr(start: str, end: str | None) -> DateRange:
    return DateRange(D.fromisoformat(start), D.fromisoformat(end) if end else None)


@st.composite
def date_ranges(draw: st.DrawFn) -> DateRange:
    # A narrow window, so that touching and overlapping ranges are drawn often.
    start = draw(st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 4, 30)))
    length = draw(st.none() | st.integers(min_value=1, max_value=120))
    return DateRange(start, None if length is None else start + timedelta(days=length))


def test_construction() -> None:
    assert dr("2026-03-01", "2026-04-01").days == 31
    assert dr("2026-03-01", None).days is None
    with pytest.raises(ValueError, match="end after it starts"):
        dr("2026-03-01", "2026-03-01")
    with pytest.raises(ValueError):
        dr("2026-03-02", "2026-03-01")
    with pytest.raises(TypeError):
        DateRange(datetime(2026, 1, 1, tzinfo=UTC), None)


def test_contains_is_half_open() -> None:
    march = dr("2026-03-01", "2026-04-01")
    assert march.contains(D(2026, 3, 1))
    assert march.contains(D(2026, 3, 31))
    assert not march.contains(D(2026, 4, 1))
    assert not march.contains(D(2026, 2, 28))
    assert dr("2026-03-01", None).contains(D(2099, 1, 1))


def test_overlaps_and_intersection() -> None:
    march = dr("2026-03-01", "2026-04-01")
    april = dr("2026-04-01", "2026-05-01")
    assert not march.overlaps(april)  # consecutive contracts do not overlap
    assert not april.overlaps(march)
    assert april.intersection(march) is None
    assert march.intersection(april) is None
    open_from_mid_march = dr("2026-03-15", None)
    assert march.overlaps(open_from_mid_march)
    assert march.intersection(open_from_mid_march) == dr("2026-03-15", "2026-04-01")
    assert dr("2026-01-01", None).intersection(open_from_mid_march) == open_from_mid_march


def test_clip() -> None:
    contract = dr("2026-03-15", None)
    assert contract.clip(D(2026, 3, 1), D(2026, 4, 1)) == dr("2026-03-15", "2026-04-01")
    assert contract.clip(D(2026, 1, 1), D(2026, 2, 1)) is None
    with pytest.raises(ValueError):
        contract.clip(D(2026, 4, 1), D(2026, 3, 1))


def test_any_overlap() -> None:
    a = dr("2026-01-01", "2026-02-01")
    b = dr("2026-02-01", "2026-03-01")
    c = dr("2026-02-15", None)
    assert any_overlap([]) is None
    assert any_overlap([a, b]) is None
    assert any_overlap([c, a, b]) == (b, c)
    long = dr("2025-01-01", "2027-01-01")
    assert any_overlap([a, long]) == (long, a)


def test_datetime_range() -> None:
    start = datetime(2026, 10, 25, tzinfo=TALLINN)
    end = datetime(2026, 10, 26, tzinfo=TALLINN)
    day = DateTimeRange(start, end)
    assert day.duration == timedelta(hours=25)  # wall-clock arithmetic would say 24
    assert day.start.tzinfo is UTC
    assert day.start == start
    assert day.contains(datetime(2026, 10, 24, 21, tzinfo=UTC))
    assert not day.contains(datetime(2026, 10, 25, 22, tzinfo=UTC))
    later = DateTimeRange(datetime(2026, 10, 25, 12, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    assert day.intersection(later) == DateTimeRange(later.start, day.end)
    after = DateTimeRange(day.end, day.end + timedelta(hours=1))
    assert not day.overlaps(after)
    assert day.intersection(after) is None
    with pytest.raises(ValueError, match="naive"):
        DateTimeRange(datetime(2026, 1, 1), end)
    with pytest.raises(ValueError, match="end after it starts"):
        DateTimeRange(end, start)
    with pytest.raises(ValueError, match="naive"):
        day.contains(datetime(2026, 10, 25, 12))


def _days(r: DateRange, horizon: date) -> set[date]:
    end = r.end or horizon
    return {r.start + timedelta(days=i) for i in range((end - r.start).days)}


HORIZON = D(2027, 1, 1)  # after the end of every range the strategy draws


@given(date_ranges(), date_ranges())
def test_overlap_matches_shared_days(a: DateRange, b: DateRange) -> None:
    shared = _days(a, HORIZON) & _days(b, HORIZON)
    assert a.overlaps(b) == b.overlaps(a) == bool(shared)
    common = a.intersection(b)
    assert common == b.intersection(a)
    if common is None:
        assert not shared
    else:
        assert _days(common, HORIZON) == shared
        assert (common.end is None) == (a.end is None and b.end is None)


@given(date_ranges(), st.integers(min_value=1, max_value=100), st.booleans())
def test_touching_ranges_do_not_overlap(r: DateRange, length: int, open_ended: bool) -> None:
    if r.end is None:
        return
    following = DateRange(r.end, None if open_ended else r.end + timedelta(days=length))
    assert not r.overlaps(following)
    assert not following.overlaps(r)
    assert r.intersection(following) is None
    assert following.intersection(r) is None
    assert any_overlap([following, r]) is None


@given(date_ranges(), st.dates(min_value=D(2025, 12, 1), max_value=HORIZON - timedelta(days=1)))
def test_contains_matches_days(r: DateRange, d: date) -> None:
    assert r.contains(d) == (d in _days(r, HORIZON))


@given(st.lists(date_ranges(), max_size=6))
def test_any_overlap_finds_a_pair_iff_one_exists(ranges: list[DateRange]) -> None:
    found = any_overlap(ranges)
    exists = any(a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1 :])
    assert (found is not None) == exists
    if found is not None:
        first, second = found
        assert first.overlaps(second)
        assert first.start <= second.start


@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=1, max_value=10**6),
)
def test_datetime_intersection_properties(
    start: datetime, length: int, offset: int, other_length: int
) -> None:
    a = DateTimeRange(start, start + timedelta(seconds=length))
    other_start = start + timedelta(seconds=offset)
    b = DateTimeRange(other_start, other_start + timedelta(seconds=other_length))
    common = a.intersection(b)
    assert common == b.intersection(a)
    assert (common is not None) == a.overlaps(b)
    if common is not None:
        assert common.duration <= min(a.duration, b.duration)
        assert a.contains(common.start) and b.contains(common.start)
        assert common.end in (a.end, b.end)
