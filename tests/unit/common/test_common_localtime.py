"""vool.common.localtime: Tallinn days and months as UTC bounds, DST-aware interval counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vool.common.localtime import (
    TALLINN,
    Month,
    as_local,
    day_bounds,
    interval_starts,
    intervals_in_day,
    intervals_in_range,
    local_date,
    local_midnight,
)
from vool.common.localtime import UTC as LOCALTIME_UTC

SPRING_FORWARD = date(2026, 3, 29)  # 23 hours
FALL_BACK = date(2026, 10, 25)  # 25 hours
ORDINARY = date(2026, 11, 27)

days_2020s = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_utc_is_the_stdlib_utc() -> None:
    assert LOCALTIME_UTC is UTC
    assert str(TALLINN) == "Europe/Tallinn"


@pytest.mark.parametrize(
    ("day", "quarters", "hours"),
    [
        (SPRING_FORWARD, 92, 23),
        (FALL_BACK, 100, 25),
        (ORDINARY, 96, 24),
        (date(2026, 7, 1), 96, 24),
    ],
)
def test_intervals_in_day(day: date, quarters: int, hours: int) -> None:
    assert intervals_in_day(day, minutes=15) == quarters
    assert intervals_in_day(day, minutes=60) == hours


def test_day_bounds_on_dst_days() -> None:
    assert day_bounds(SPRING_FORWARD) == (utc(2026, 3, 28, 22), utc(2026, 3, 29, 21))
    assert day_bounds(FALL_BACK) == (utc(2026, 10, 24, 21), utc(2026, 10, 25, 22))
    assert day_bounds(ORDINARY) == (utc(2026, 11, 26, 22), utc(2026, 11, 27, 22))


def test_local_midnight() -> None:
    assert local_midnight(date(2026, 1, 1)) == utc(2025, 12, 31, 22)
    assert local_midnight(date(2026, 7, 1)) == utc(2026, 6, 30, 21)
    assert local_midnight(date(2026, 7, 1)).tzinfo is UTC
    with pytest.raises(TypeError):
        local_midnight(datetime(2026, 7, 1, tzinfo=UTC))


def test_as_local_and_local_date() -> None:
    instant = utc(2026, 3, 28, 22, 30)
    assert as_local(instant) == instant
    assert as_local(instant).utcoffset() == timedelta(hours=2)
    assert local_date(instant) == date(2026, 3, 29)
    assert local_date(utc(2026, 3, 28, 21, 59)) == date(2026, 3, 28)
    assert as_local(utc(2026, 7, 1, 12)).utcoffset() == timedelta(hours=3)
    with pytest.raises(ValueError, match="naive"):
        as_local(datetime(2026, 1, 1, 12))
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 1, 1, 12))


def test_month_parse_and_str() -> None:
    assert Month.parse("2026-03") == Month(2026, 3)
    assert Month.parse(" 2026-12 ") == Month(2026, 12)
    assert str(Month(2026, 3)) == "2026-03"
    for bad in ["2026-13", "2026-00", "2026-3", "26-03", "2026/03", "", "march"]:
        with pytest.raises(ValueError, match=r"YYYY-MM|01\.\.12"):
            Month.parse(bad)
    with pytest.raises(ValueError):
        Month(2026, 13)


def test_month_calendar() -> None:
    feb = Month(2028, 2)
    assert feb.first_day == date(2028, 2, 1)
    assert feb.last_day == date(2028, 2, 29)
    assert feb.days == 29
    assert Month(2026, 2).days == 28
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month(2026, 12).last_day == date(2026, 12, 31)
    assert Month.of(date(2026, 5, 17)) == Month(2026, 5)
    # An aware instant belongs to the Tallinn month: 31 Mar 21:30 UTC is 1 Apr in Tallinn.
    assert Month.of(utc(2026, 3, 31, 21, 30)) == Month(2026, 4)
    assert Month(2026, 1) < Month(2026, 2) < Month(2027, 1)
    assert sorted([Month(2027, 1), Month(2026, 12)]) == [Month(2026, 12), Month(2027, 1)]


def test_month_range() -> None:
    assert Month.range(Month(2025, 11), Month(2026, 2)) == [
        Month(2025, 11),
        Month(2025, 12),
        Month(2026, 1),
    ]
    assert Month.range(Month(2026, 2), Month(2026, 2)) == []
    assert Month.range(Month(2026, 3), Month(2026, 2)) == []


def test_month_bounds_and_intervals() -> None:
    october = Month.parse("2026-10")
    start, end = october.bounds()
    assert (start, end) == (utc(2026, 9, 30, 21), utc(2026, 10, 31, 22))
    assert len(interval_starts(start, end, minutes=15)) == 31 * 96 + 4
    assert intervals_in_range(start, end, minutes=60) == 31 * 24 + 1
    march_start, march_end = Month(2026, 3).bounds()
    assert intervals_in_range(march_start, march_end, minutes=15) == 31 * 96 - 4


def test_interval_starts() -> None:
    starts = interval_starts(utc(2026, 1, 1, 0), utc(2026, 1, 1, 1), minutes=15)
    assert starts == [utc(2026, 1, 1, 0, m) for m in (0, 15, 30, 45)]
    assert all(s.tzinfo is UTC for s in starts)
    # Tallinn-zoned inputs give the same UTC starts; the spring-forward day has 23 hourly starts.
    local_start = datetime(2026, 3, 29, tzinfo=TALLINN)
    local_end = datetime(2026, 3, 30, tzinfo=TALLINN)
    hours = interval_starts(local_start, local_end, minutes=60)
    assert len(hours) == 23
    assert hours[0] == utc(2026, 3, 28, 22)
    assert hours[-1] == utc(2026, 3, 29, 20)
    assert interval_starts(utc(2026, 1, 1), utc(2026, 1, 1), minutes=15) == []


def test_interval_starts_validation() -> None:
    with pytest.raises(ValueError, match="15 or 60"):
        interval_starts(utc(2026, 1, 1), utc(2026, 1, 2), minutes=30)
    with pytest.raises(ValueError, match="boundary"):
        interval_starts(utc(2026, 1, 1, 0, 10), utc(2026, 1, 2), minutes=15)
    with pytest.raises(ValueError, match="boundary"):
        interval_starts(utc(2026, 1, 1), utc(2026, 1, 1, 0, 45), minutes=60)
    with pytest.raises(ValueError, match="boundary"):
        intervals_in_range(utc(2026, 1, 1, 0, 0, 1), utc(2026, 1, 2), minutes=15)
    with pytest.raises(ValueError, match="naive"):
        interval_starts(datetime(2026, 1, 1), utc(2026, 1, 2), minutes=15)
    with pytest.raises(ValueError, match="before"):
        intervals_in_range(utc(2026, 1, 2), utc(2026, 1, 1), minutes=15)


@given(days_2020s)
def test_interval_starts_fill_each_local_day(day: date) -> None:
    start, end = day_bounds(day)
    quarters = interval_starts(start, end, minutes=15)
    assert len(quarters) == intervals_in_day(day, minutes=15)
    assert len(interval_starts(start, end, minutes=60)) == intervals_in_day(day, minutes=60)
    assert intervals_in_day(day, minutes=15) in (92, 96, 100)
    assert intervals_in_day(day, minutes=15) == 4 * intervals_in_day(day, minutes=60)
    assert all(local_date(q) == day for q in quarters)
    assert quarters[0] == start
    assert quarters[-1] + timedelta(minutes=15) == end
    assert end == day_bounds(day + timedelta(days=1))[0]


@given(days_2020s)
def test_month_bounds_are_first_and_last_day_bounds(day: date) -> None:
    month = Month.of(day)
    start, end = month.bounds()
    assert start == day_bounds(month.first_day)[0]
    assert end == day_bounds(month.last_day)[1]
    assert month.first_day <= day <= month.last_day
    assert Month.parse(str(month)) == month
    assert month.next().previous() == month
    total = sum(
        intervals_in_day(month.first_day + timedelta(days=i), minutes=15) for i in range(month.days)
    )
    assert intervals_in_range(start, end, minutes=15) == total
