"""Helpers and factories for billing and ledger tests (``from billing_factories import ...``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from factories import (
    BillingAccountFactory,
    MeterFactory,
    MeteringPointFactory,
    ProductFactory,
    ProductPriceFactory,
    RegisterFactory,
    SupplyContractFactory,
)
from vool.common.localtime import TALLINN, Month, day_bounds, interval_starts, intervals_in_day
from vool.domain.bulk import copy_rows
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount
from vool.domain.metering import interval_operations
from vool.domain.metering.interval_operations import INTERVAL_DAY_COLUMNS, IntervalImportResult
from vool.domain.metering.intervals import pack_quality, pack_values
from vool.domain.metering.models import IntervalDay, Reading, Register
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs import operations as tariff_operations
from vool.domain.tariffs import rating
from vool.domain.tariffs.models import (
    MarketPrice,
    NetBillingRule,
    Product,
    ProductionPrice,
    ProductionProduct,
)

CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def fixed_product(code: str = "FIX", price: str = "0.120000", fee: str = "2.99") -> Product:
    product = ProductFactory(code=code, kind=Product.Kind.FIXED)
    if not product.prices.exists():
        ProductPriceFactory(
            product=product, energy_price=Decimal(price), monthly_fee_amount=Decimal(fee)
        )
    return product


def day_night_product(
    code: str = "PN", day: str = "0.149000", night: str = "0.099000", fee: str = "2.99"
) -> Product:
    product = ProductFactory(code=code, kind=Product.Kind.DAY_NIGHT)
    if not product.prices.exists():
        ProductPriceFactory(
            product=product,
            energy_price=None,
            day_price=Decimal(day),
            night_price=Decimal(night),
            monthly_fee_amount=Decimal(fee),
        )
    return product


def exchange_product(code: str = "BORS", margin: str = "0.006900", fee: str = "1.99") -> Product:
    product = ProductFactory(code=code, kind=Product.Kind.EXCHANGE)
    if not product.prices.exists():
        ProductPriceFactory(
            product=product,
            energy_price=None,
            margin=Decimal(margin),
            monthly_fee_amount=Decimal(fee),
        )
    return product


# Tariff data of the billing tests, under their control (not the shipped defaults): the
# day/night bands, a flat network package V1 (0.05 EUR/kWh, 4.00 EUR a month up to 63 A), one
# levy (excise 0.002 EUR/kWh) and VAT 22 % / 24 % from 2025-07-01.
TEST_TARIFFS = {
    "sources": {},
    "band_schemes": [
        {
            "code": "EE_DAY_NIGHT",
            "name": "Day/night",
            "bands": ["DAY", "NIGHT"],
            "rules": [
                {
                    "valid_from": "2022-03-01",
                    "valid_to": None,
                    "default_band": "NIGHT",
                    "windows": [
                        {"band": "DAY", "start": "07:00", "end": "22:00", "day_type": "WORKDAY"}
                    ],
                    "source": "test",
                    "verified": True,
                }
            ],
        }
    ],
    "network_packages": [
        {
            "operator": "ELEKTRILEVI",
            "code": "V1",
            "name": "Test flat",
            "scheme": None,
            "versions": [
                {
                    "valid_from": "2025-01-01",
                    "valid_to": None,
                    "prices": {"ALL": "0.050000"},
                    "monthly_fees": {"APARTMENT": "2.00", "63": "4.00"},
                    "source": "test",
                    "verified": True,
                }
            ],
        }
    ],
    "levies": [
        {
            "code": "EXCISE",
            "name_et": "Aktsiis",
            "name_en": "Excise",
            "versions": [
                {
                    "valid_from": "2025-01-01",
                    "valid_to": None,
                    "price": "0.002000",
                    "source": "test",
                    "verified": True,
                }
            ],
        }
    ],
    "vat": [
        {
            "valid_from": "2024-01-01",
            "valid_to": "2025-07-01",
            "rate": "0.22",
            "source": "test",
            "verified": True,
        },
        {
            "valid_from": "2025-07-01",
            "valid_to": None,
            "rate": "0.24",
            "source": "test",
            "verified": True,
        },
    ],
}


def load_test_tariffs() -> None:
    tariff_operations.load_tariff_data(TEST_TARIFFS)


def add_market_prices(month: Month, eur_mwh_by_quarter: tuple[str, ...]) -> int:
    """Quarter-hour market prices for ``month``, cycling through ``eur_mwh_by_quarter``."""
    starts = rating.month_grid(month, 15).starts
    MarketPrice.objects.bulk_create(
        MarketPrice(
            area="ee",
            start_at=start,
            resolution_minutes=15,
            price_eur_mwh=Decimal(eur_mwh_by_quarter[i % len(eur_mwh_by_quarter)]),
            imported_at=CREATED,
        )
        for i, start in enumerate(starts)
    )
    return len(starts)


def add_intervals(point: MeteringPoint, month: Month, wh: int = 100, *, minutes: int = 15) -> int:
    """``wh`` Wh in every interval of every local day of ``month`` (DST days included)."""
    rows = []
    day = month.first_day
    while day < month.next().first_day:
        count = intervals_in_day(day, minutes=minutes)
        values = np.full(count, wh, dtype=np.int32)
        rows.append(
            (
                point.pk,
                day,
                "OUT",
                minutes,
                1,
                True,
                pack_values(values),
                pack_quality(np.zeros(count, dtype=np.uint8)),
                int(values.sum()),
                CREATED,
                CREATED,
            )
        )
        day += dt.timedelta(days=1)
    return copy_rows(IntervalDay, INTERVAL_DAY_COLUMNS, rows)


def import_day(
    point: MeteringPoint, day: dt.date, wh: int, *, as_of: dt.datetime, minutes: int = 15
) -> IntervalImportResult:
    """What the data hub import does with (corrected) data of a day: ``wh`` Wh in every
    interval, stored by ``store_intervals`` as known since ``as_of`` (a new version, with a
    true-up marker, when the day had data)."""
    starts = interval_starts(*day_bounds(day), minutes=minutes)
    count = len(starts)
    return interval_operations.store_intervals(
        batch=interval_operations.IntervalBatch(
            series=[(point.eic, "OUT", minutes)],
            series_index=np.zeros(count, dtype=np.int32),
            start_s=np.array([int(s.timestamp()) for s in starts], dtype=np.int64),
            wh=np.full(count, wh, dtype=np.int64),
            quality=np.zeros(count, dtype=np.uint8),
            locate=lambda row: f"row {row}",
        ),
        as_of=as_of,
    )


def production_product(
    code: str = "SOLAR", *, margin: str | None = None, buyback: str | None = None
) -> ProductionProduct:
    """Production terms: the exchange price minus ``margin``, or the fixed ``buyback`` price
    (EUR/kWh), from 2025-01-01."""
    kind = ProductionProduct.Kind.EXCHANGE if margin is not None else ProductionProduct.Kind.FIXED
    product = ProductionProduct.objects.create(
        code=code, name_et=code, name_ru=code, name_en=code, kind=kind
    )
    ProductionPrice.objects.create(
        production_product=product,
        valid_from=dt.date(2025, 1, 1),
        margin=Decimal(margin) if margin is not None else None,
        buyback_price=Decimal(buyback) if buyback is not None else None,
    )
    return product


def net_billing_from_august_2026() -> NetBillingRule:
    """The law's rule as the tariffs migration seeds it (again, after a test that flushed the
    database): net billing from 2026-08-01, no VAT on the surplus credit."""
    rule, _ = NetBillingRule.objects.get_or_create(
        valid_from=dt.date(2026, 8, 1), defaults={"bills_net": True, "surplus_vat_rate": 0}
    )
    return rule


def import_prosumer_days(
    point: MeteringPoint,
    first_day: dt.date,
    end_day: dt.date,
    *,
    as_of: dt.datetime,
    out_wh: int = 100,
    morning_net_out_wh: int = 100,
    afternoon_net_in_wh: int = 200,
) -> IntervalImportResult:
    """What the data hub's V2 import stores for a prosumer: gross OUT ``out_wh`` in every
    quarter of the local days ``[first_day, end_day)``, and the net quantities: net OUT
    ``morning_net_out_wh`` in the first half of each day's quarters (00:00-12:00), net IN
    ``afternoon_net_in_wh`` in the second half (the panels produce more than is used)."""
    starts: list[int] = []
    is_out: list[bool] = []
    net_wh: list[int] = []
    day = first_day
    while day < end_day:
        day_starts = interval_starts(*day_bounds(day), minutes=15)
        half = len(day_starts) // 2
        for i, start in enumerate(day_starts):
            starts.append(int(start.timestamp()))
            is_out.append(i < half)
            net_wh.append(morning_net_out_wh if i < half else afternoon_net_in_wh)
        day += dt.timedelta(days=1)
    count = len(starts)
    start_s = np.array(starts, dtype=np.int64)
    return interval_operations.store_intervals(
        batch=interval_operations.IntervalBatch(
            series=[(point.eic, "OUT", 15)],
            series_index=np.zeros(count, dtype=np.int32),
            start_s=start_s,
            wh=np.full(count, out_wh, dtype=np.int64),
            quality=np.zeros(count, dtype=np.uint8),
            locate=lambda row: f"row {row}",
            net=interval_operations.NetBatch(
                series_index=np.zeros(count, dtype=np.int32),
                start_s=start_s,
                wh=np.array(net_wh, dtype=np.int64),
                is_out=np.array(is_out, dtype=np.bool_),
                locate=lambda row: f"net row {row}",
            ),
        ),
        as_of=as_of,
    )


def remote_account(
    *,
    product: Product,
    valid_from: dt.date = dt.date(2025, 1, 1),
    valid_to: dt.date | None = None,
    account: BillingAccount | None = None,
) -> SupplyContract:
    kwargs = {"billing_account": account} if account is not None else {}
    return SupplyContractFactory(
        product=product, valid_from=valid_from, valid_to=valid_to, **kwargs
    )


def manual_account(*, product: Product, digits: int = 6) -> tuple[SupplyContract, Register]:
    point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
    meter = MeterFactory(metering_point=point, digits=digits)
    register = RegisterFactory(meter=meter)
    contract = SupplyContractFactory(product=product, metering_point=point)
    return contract, register


def add_reading(
    register: Register,
    month: Month,
    value: str,
    *,
    source: str = Reading.Source.PORTAL,
    status: str = Reading.Status.ACCEPTED,
    wraps: int = 0,
    supersedes: Reading | None = None,
    known_at: dt.datetime | None = None,
) -> Reading:
    """The month-end reading of ``month``, read on its last day at 18:00 Tallinn time and
    known from then (or from ``known_at``)."""
    read_at = dt.datetime.combine(month.last_day, dt.time(18), tzinfo=TALLINN)
    return Reading.objects.create(
        register=register,
        read_at=read_at,
        value_kwh=Decimal(value),
        source=source,
        status=status,
        period=str(month),
        details={"wraps": wraps} if wraps else {},
        supersedes=supersedes,
        known_at=known_at or read_at,
    )


__all__ = [
    "TEST_TARIFFS",
    "BillingAccountFactory",
    "add_intervals",
    "add_market_prices",
    "add_reading",
    "day_night_product",
    "exchange_product",
    "fixed_product",
    "import_day",
    "import_prosumer_days",
    "load_test_tariffs",
    "manual_account",
    "net_billing_from_august_2026",
    "production_product",
    "remote_account",
]


def superuser(username: str) -> str:
    """An active superuser named ``username`` (who may force a bill run); returns the name."""
    from django.contrib.auth import get_user_model

    users = get_user_model()
    if not users.objects.filter(username=username).exists():
        users.objects.create_superuser(username, f"{username}@example.com", "pw")
    return username
