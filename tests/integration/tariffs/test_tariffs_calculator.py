"""The package calculator ranks a known profile (hand-computed amounts)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command

from factories import (
    MeteringPointFactory,
    ProductFactory,
    ProductPriceFactory,
    SupplyContractFactory,
)
from vool.common.localtime import Month
from vool.domain.metering.intervals import pack_quality, pack_values
from vool.domain.metering.models import IntervalDay
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs import operations
from vool.domain.tariffs.models import Product
from vool.domain.tariffs.rating import month_grid
from vool.domain.tariffs.tariff_data import default_band_schemes
from vool.usecases import calculator

pytestmark = pytest.mark.django_db
D = Decimal
FEB = Month(2026, 2)


@pytest.fixture
def night_owl() -> MeteringPoint:
    """An hourly V1 25 A point that used 1 kWh in every night hour of February 2026 only:
    387 night hours (672 - 19 working days x 15 day hours) = 387 kWh; on FIX today."""
    operations.load_default_tariffs()
    fix = ProductFactory(code="FIX", kind=Product.Kind.FIXED, monthly_fee_amount=D("2.99"))
    ProductPriceFactory(product=fix, energy_price=D("0.129"))
    pn = ProductFactory(code="PN", kind=Product.Kind.DAY_NIGHT, monthly_fee_amount=D("2.99"))
    ProductPriceFactory(product=pn, energy_price=None, day_price=D("0.149"), night_price=D("0.099"))
    bors = ProductFactory(code="BORS", kind=Product.Kind.EXCHANGE, monthly_fee_amount=D("1.99"))
    ProductPriceFactory(product=bors, energy_price=None, margin=D("0.0069"))
    off = ProductFactory(
        code="OLD",
        kind=Product.Kind.FIXED,
        on_sale_from=dt.date(2020, 1, 1),
        on_sale_to=dt.date(2025, 1, 1),
    )
    ProductPriceFactory(product=off, energy_price=D("0.01"))
    point = MeteringPointFactory(
        resolution=MeteringPoint.Resolution.PT60M, network_package_code="V1", main_fuse_a=25
    )
    SupplyContractFactory(metering_point=point, product=fix)
    scheme = default_band_schemes()["EE_DAY_NIGHT"]
    starts = month_grid(FEB, 60).starts
    night = scheme.band_indices(starts) == 1
    values = np.where(night, 1000, 0).astype(np.int32)
    for d in range(FEB.days):
        day = FEB.first_day + dt.timedelta(days=d)
        chunk = values[d * 24 : (d + 1) * 24]
        IntervalDay.objects.create(
            metering_point=point,
            day=day,
            direction="OUT",
            resolution_minutes=60,
            values_wh=pack_values(chunk),
            quality=pack_quality(np.zeros(24, dtype=np.uint8)),
            total_wh=int(chunk.sum()),
            known_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
            created_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )
    start, _ = FEB.bounds()
    operations.store_market_prices(
        area="ee",
        prices=[(start + dt.timedelta(hours=h), 60, D("150")) for h in range(672)],
        source="test",
        imported_at=start,
    )
    return point


class TestComparePackages:
    def test_ranks_a_night_profile(self, night_owl: MeteringPoint) -> None:
        result = calculator.compare_packages(metering_point=night_owl, as_of=dt.date(2026, 3, 15))
        assert result.months == (FEB,)
        assert result.consumption_kwh == D("387.000")
        assert result.sources == ("INTERVAL",)
        # Per month, common to all: network 0.0772 x 387 = 29.88, fee 25 A 5.22, renewable
        # 3.25, balancing 1.44, security of supply 2.93, excise 0.81 = 43.53.
        # PN  38.31 + 2.99 + 43.53 = 84.83 + VAT 20.36 = 105.19 -> x 12 = 1262.28
        # FIX 49.92 + 2.99 + 43.53 = 96.44 + VAT 23.15 = 119.59 -> x 12 = 1435.08
        # BORS 58.05 + 2.67 + 1.99 + 43.53 = 106.24 + VAT 25.50 = 131.74 -> 1580.88
        assert [
            (
                p.code,
                p.yearly_with_vat,
                p.monthly_average_with_vat,
                p.difference_to_current,
                p.is_current,
            )
            for p in result.packages
        ] == [
            ("PN", D("1262.28"), D("105.19"), D("-172.80"), False),
            ("FIX", D("1435.08"), D("119.59"), D("0.00"), True),
            ("BORS", D("1580.88"), D("131.74"), D("145.80"), False),
        ]
        assert any("scaled to 12 months" in n for n in result.notes)

    def test_exchange_without_market_prices_is_unavailable(self, night_owl: MeteringPoint) -> None:
        from vool.domain.tariffs.models import MarketPrice

        MarketPrice.objects.filter(start_at__gte=dt.datetime(2026, 2, 10, tzinfo=dt.UTC)).delete()
        result = calculator.compare_packages(metering_point=night_owl, as_of=dt.date(2026, 3, 15))
        bors = result.packages[-1]
        assert bors.code == "BORS" and bors.yearly_with_vat is None
        assert bors.unavailable_reason is not None
        assert "2026-02: No market price" in bors.unavailable_reason

    def test_cli(self, night_owl: MeteringPoint) -> None:
        out = io.StringIO()
        call_command("calculator", night_owl.eic, "--as-of", "2026-03-15", stdout=out)
        text = out.getvalue()
        assert "387.000 kWh in 1 months" in text
        assert " 1  PN" in text and "€1,262.28" in text and "-€172.80" in text

    def test_no_history(self, night_owl: MeteringPoint) -> None:
        with pytest.raises(calculator.UnableToCompare, match="no interval data"):
            calculator.compare_packages(metering_point=night_owl, as_of=dt.date(2025, 1, 15))
