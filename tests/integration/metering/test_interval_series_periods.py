"""``interval_series`` by day and by month (the portal's consumption pages) reads only the
stored days: each period must still be exactly the sum and the worst flag of the quarter
hours (or hours) the same series gives at its own resolution, across DST days, missing days,
days stored at the other resolution, a year boundary and superseded versions."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import numpy as np
import pytest

from factories import MeteringPointFactory
from vool.common.localtime import UTC, Month, intervals_in_day, local_date, local_midnight
from vool.domain.metering import intervals, queries
from vool.domain.metering.models import IntervalDay
from vool.domain.supply.models import MeteringPoint

pytestmark = pytest.mark.django_db

CREATED = dt.datetime(2026, 1, 1, tzinfo=UTC)
START, END = dt.date(2025, 12, 20), dt.date(2026, 11, 3)
DST_DAYS = (dt.date(2026, 3, 29), dt.date(2026, 10, 25))


def _store(point, day, minutes, rng, *, version=1, current=True, direction="OUT"):
    count = intervals_in_day(day, minutes=minutes)
    values = np.array([rng.randrange(0, 5000) for _ in range(count)], dtype=np.int32)
    flags = np.array(
        [rng.choice((0, 0, 0, intervals.ESTIMATED, intervals.MISSING)) for _ in range(count)],
        dtype=np.uint8,
    )
    IntervalDay.objects.create(
        metering_point=point,
        day=day,
        direction=direction,
        resolution_minutes=minutes,
        version=version,
        is_current=current,
        values_wh=intervals.pack_values(values),
        quality=intervals.pack_quality(flags),
        total_wh=int(values.sum()),
        known_at=CREATED,
        superseded_at=None if current else CREATED,
        created_at=CREATED,
    )


def _seeded(point, own_minutes, other_minutes):
    rng = random.Random(point.pk)
    days = [START + dt.timedelta(days=i) for i in range((END - START).days)]
    for day in days:
        pick = 0.6 if day in DST_DAYS else rng.random()  # both DST days have data
        if pick < 0.3:
            continue  # no data: missing
        if pick < 0.4:
            _store(point, day, other_minutes, rng)  # the other resolution
            continue
        if pick < 0.5:
            _store(point, day, own_minutes, rng, version=1, current=False)
            _store(point, day, own_minutes, rng, version=2)
            continue
        _store(point, day, own_minutes, rng)
        if pick > 0.9:
            _store(point, day, own_minutes, rng, direction="IN")


def _expected(point, key):
    """Totals and worst flags from the series at the point's own resolution."""
    fine = queries.interval_series(metering_point=point, start=START, end=END, step="PT15M")
    totals: dict[object, int] = defaultdict(int)
    worst: dict[object, int] = defaultdict(int)
    for start, wh, flag in zip(fine.starts, fine.values_wh, fine.quality, strict=True):
        totals[key(local_date(start))] += int(wh)
        worst[key(local_date(start))] = max(worst[key(local_date(start))], int(flag))
    return list(totals), list(totals.values()), list(worst.values())


@pytest.mark.parametrize(
    ("resolution", "own", "other"),
    [(MeteringPoint.Resolution.PT15M, 15, 60), (MeteringPoint.Resolution.PT60M, 60, 15)],
)
def test_days_and_months_add_up_the_points_own_intervals(resolution, own, other):
    point = MeteringPointFactory(resolution=resolution)
    _seeded(point, own, other)
    days, day_totals, day_worst = _expected(point, key=lambda d: d)
    by_day = queries.interval_series(metering_point=point, start=START, end=END, step="P1D")
    assert by_day.starts == [local_midnight(d) for d in days]
    assert by_day.values_wh.tolist() == day_totals
    assert by_day.quality.tolist() == day_worst
    assert intervals.MISSING in day_worst and 0 in day_totals  # the days without data
    months, month_totals, month_worst = _expected(point, key=Month.of)
    by_month = queries.interval_series(metering_point=point, start=START, end=END, step="P1M")
    assert len(months) == 12
    assert by_month.starts == [local_midnight(m.first_day) for m in months]
    assert by_month.values_wh.tolist() == month_totals
    assert by_month.quality.tolist() == month_worst
    assert by_month.values_wh.dtype == np.int64 and by_month.quality.dtype == np.uint8


def test_a_period_without_any_data_is_zero_and_missing():
    point = MeteringPointFactory()
    series = queries.interval_series(
        metering_point=point, start=dt.date(2026, 10, 30), end=dt.date(2026, 11, 2), step="P1M"
    )
    assert series.values_wh.tolist() == [0, 0]
    assert series.quality.tolist() == [intervals.MISSING] * 2
    empty = queries.interval_series(
        metering_point=point, start=dt.date(2026, 11, 2), end=dt.date(2026, 11, 2), step="P1M"
    )
    assert (empty.values_wh.tolist(), empty.starts) == ([], [])
