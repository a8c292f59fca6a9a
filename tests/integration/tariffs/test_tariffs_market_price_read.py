"""The month's market prices read set-based (integers from SQL, placed by numpy) equal the
row-by-row read they replaced, on varied data (hourly and quarter rows, DST months, gaps,
superseded versions, rows off the grid); the per-month cache sees every change of the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vool.common.localtime import Month
from vool.domain.tariffs import operations, rating
from vool.domain.tariffs import queries as tariff_queries
from vool.domain.tariffs.models import MarketPrice

pytestmark = pytest.mark.django_db

IMPORTED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# a winter month, the two DST months (92 and 100 local hours a day short / long), a summer one
MONTHS = (Month(2026, 2), Month(2026, 3), Month(2026, 10), Month(2026, 7))


def row_by_row(month: Month, *, area: str = "ee") -> rating.MarketPrices:
    """The read before the set-based one (kept here as the reference it must equal)."""
    grid = rating.month_grid(month, 15)
    start, end = month.bounds()
    values = np.zeros(grid.count, dtype=np.int64)
    missing = np.ones(grid.count, dtype=np.bool_)
    index = {t: i for i, t in enumerate(grid.starts)}
    step = dt.timedelta(minutes=15)
    rows = MarketPrice.objects.filter(
        area=area, is_current=True, start_at__gte=start - dt.timedelta(hours=1), start_at__lt=end
    ).values_list("start_at", "resolution_minutes", "price_eur_mwh")
    for start_at, minutes, price in rows:
        micro = int(price.scaleb(3))
        for k in range(minutes // 15):
            i = index.get((start_at + k * step).astimezone(dt.UTC))
            if i is not None:
                values[i] = micro
                missing[i] = False
    return rating.MarketPrices(month, values, missing)


def assert_same(got: rating.MarketPrices, want: rating.MarketPrices) -> None:
    assert got.month == want.month
    np.testing.assert_array_equal(got.missing, want.missing)
    np.testing.assert_array_equal(got.values_micro, want.values_micro)
    assert got.values_micro.dtype == want.values_micro.dtype == np.int64


def price(thousandths: int) -> Decimal:
    return Decimal(thousandths).scaleb(-3)


# (quarter offset from the month's start, hourly?, EUR/MWh in thousandths, superseded
# versions before it, µs off the grid)
ROW = st.tuples(
    st.integers(min_value=-8, max_value=3000),
    st.booleans(),
    st.one_of(
        st.integers(min_value=-500_000, max_value=4_000_000),
        st.integers(min_value=-10_000_000, max_value=10_000_000),  # the kernel's limits
        st.integers(min_value=-999_999_999_999, max_value=999_999_997_000),  # refused
    ),
    st.integers(min_value=0, max_value=2),
    st.sampled_from([0, 0, 0, 0, 0, 0, 1, 500_000, 7 * 60 * 1_000_000]),
)


def store_rows(month: Month, rows: list[tuple[int, bool, int, int, int]], area: str) -> None:
    start, _ = month.bounds()
    objects: list[MarketPrice] = []
    seen: set[dt.datetime] = set()
    for quarter, hourly, thousandths, earlier, off_us in rows:
        at = start + dt.timedelta(minutes=15 * quarter, microseconds=off_us)
        if at in seen:
            continue
        seen.add(at)
        for version in range(1, earlier + 2):
            current = version == earlier + 1
            objects.append(
                MarketPrice(
                    area=area,
                    start_at=at,
                    resolution_minutes=60 if hourly else 15,
                    # superseded versions carry other prices that must not show
                    price_eur_mwh=price(thousandths if current else thousandths + 1000 * version),
                    imported_at=IMPORTED,
                    version=version,
                    is_current=current,
                    superseded_at=None if current else IMPORTED,
                )
            )
    MarketPrice.objects.bulk_create(objects)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    month=st.sampled_from(MONTHS),
    rows=st.lists(ROW, max_size=60),
    other_area=st.lists(ROW, max_size=5),
)
def test_set_based_read_equals_row_by_row(
    month: Month, rows: list[tuple[int, bool, int, int, int]], other_area: list
) -> None:
    MarketPrice.objects.all().delete()
    store_rows(month, rows, "ee")
    store_rows(month, other_area, "lv")  # another bidding zone is never read
    for area in ("ee", "lv"):
        try:
            want = row_by_row(month, area=area)
        except ValueError as out_of_range:  # |price| > 10 EUR/kWh: refused by both
            with pytest.raises(ValueError, match=str(out_of_range)):
                tariff_queries.read_market_prices(month, area=area)
            continue
        assert_same(tariff_queries.read_market_prices(month, area=area), want)
        assert_same(tariff_queries.market_prices(month, area=area), want)


@pytest.mark.parametrize("month", MONTHS, ids=str)
def test_full_month_hourly_with_missing_hours(month: Month) -> None:
    start, end = month.bounds()
    hours = int((end - start) / dt.timedelta(hours=1))
    prices = [
        (start + dt.timedelta(hours=h), 60, Decimal(h % 200) - Decimal("20.125"))
        for h in range(-1, hours + 1)
        if h % 17 != 5  # every 17th hour has no price
    ]
    operations.store_market_prices(area="ee", prices=prices, source="t", imported_at=IMPORTED)
    got = tariff_queries.market_prices(month)
    assert_same(got, row_by_row(month))
    assert got.missing.sum() == 4 * sum(1 for h in range(hours) if h % 17 == 5)


def test_quarter_rows_cycled_over_a_dst_month() -> None:
    month = Month(2026, 3)
    grid = rating.month_grid(month, 15)
    prices = [(t, 15, Decimal("-1.5") + Decimal(i % 97)) for i, t in enumerate(grid.starts)]
    operations.store_market_prices(area="ee", prices=prices, source="t", imported_at=IMPORTED)
    got = tariff_queries.market_prices(month)
    assert_same(got, row_by_row(month))
    assert not got.missing.any()
    assert got.values_micro[0] == -1500 and got.values_micro[98] == 1 * 1000 - 1500


class TestCache:
    MONTH = Month(2026, 10)

    def store(self, eur: str, *, hours: int = 24, at: dt.datetime = IMPORTED) -> None:
        start, _ = self.MONTH.bounds()
        operations.store_market_prices(
            area="ee",
            prices=[(start + dt.timedelta(hours=h), 60, Decimal(eur)) for h in range(hours)],
            source="t",
            imported_at=at,
        )

    def test_a_cached_month_costs_one_aggregate_and_is_read_only(self) -> None:
        self.store("40")
        first = tariff_queries.market_prices(self.MONTH)
        with CaptureQueriesContext(connection) as queries:
            again = tariff_queries.market_prices(self.MONTH)
        assert again is first
        assert len(queries) == 1 and "COUNT(*)" in queries[0]["sql"]
        with pytest.raises(ValueError, match="read-only"):
            again.values_micro[0] = 1

    def test_a_reimport_is_seen_at_once(self) -> None:
        self.store("40")
        assert tariff_queries.market_prices(self.MONTH).values_micro[0] == 40_000
        self.store("41.5", hours=2, at=IMPORTED + dt.timedelta(days=1))  # two new versions
        got = tariff_queries.market_prices(self.MONTH)
        assert got.values_micro[0] == 41_500 and got.values_micro[8] == 40_000
        assert_same(got, row_by_row(self.MONTH))

    def test_a_price_edited_in_place_is_seen(self) -> None:
        self.store("40")
        tariff_queries.market_prices(self.MONTH)
        start, _ = self.MONTH.bounds()
        MarketPrice.objects.filter(start_at=start + dt.timedelta(hours=3)).update(
            price_eur_mwh=Decimal("40.001")
        )
        assert tariff_queries.market_prices(self.MONTH).values_micro[12] == 40_001

    def test_prices_swapped_between_hours_are_seen(self) -> None:
        start, _ = self.MONTH.bounds()
        operations.store_market_prices(
            area="ee",
            prices=[(start, 60, Decimal("10")), (start + dt.timedelta(hours=1), 60, Decimal("20"))],
            source="t",
            imported_at=IMPORTED,
        )
        tariff_queries.market_prices(self.MONTH)
        a, b = MarketPrice.objects.filter(area="ee").order_by("start_at")
        MarketPrice.objects.filter(pk=a.pk).update(price_eur_mwh=Decimal("20"))
        MarketPrice.objects.filter(pk=b.pk).update(price_eur_mwh=Decimal("10"))
        got = tariff_queries.market_prices(self.MONTH)
        assert list(got.values_micro[:8]) == [20_000] * 4 + [10_000] * 4

    def test_rows_moved_within_the_month_are_seen(self) -> None:
        self.store("40", hours=1)
        tariff_queries.market_prices(self.MONTH)
        start, _ = self.MONTH.bounds()
        MarketPrice.objects.update(start_at=start + dt.timedelta(hours=5))
        got = tariff_queries.market_prices(self.MONTH)
        assert got.missing[0] and not got.missing[20]
