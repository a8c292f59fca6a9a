"""Net billing of prosumer points on named rows (``billing.consumption``, ``tariffs.net_rules``,
no database): which days are net-billed, net OUT on the grid instead of gross OUT, the surplus
as a negative-Wh production month at the piece's production terms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from vool.common.localtime import Month, intervals_in_day
from vool.domain.billing.consumption import (
    PRODUCTION_ACCOUNT,
    ContractPiece,
    PointMonth,
    production_month,
    remote_energy,
)
from vool.domain.billing.reasons import MISSING_PRICE, NO_CONSUMPTION_DATA, Unbillable
from vool.domain.metering import intervals
from vool.domain.metering.intervals import KnownDay
from vool.domain.tariffs import rating
from vool.domain.tariffs.net_rules import NetRule, net_days, surplus_vat

AUGUST = Month(2026, 8)
PRODUCT = (1, False)
RULE = NetRule(dt.date(2026, 8, 1), None, True, Decimal(0))
PRODUCTION = rating.Tariff(
    "PRODUCTION:SOLAR",
    (
        rating.EnergyComponent(
            "PRODUCTION", (rating.PriceVersion(dt.date(2025, 1, 1), None, {"ALL": 80_000}),)
        ),
    ),
)


def prosumer_day(d: dt.date, *, net: bool = True, given: bool = True) -> KnownDay:
    """Gross 100 Wh a quarter; net +100 in the first half of the day, -200 in the second."""
    n = intervals_in_day(d, minutes=15)
    signed = np.where(np.arange(n) < n // 2, 100, -200)
    shown = np.ones(n, dtype=bool) if given else np.arange(n) != 5
    return KnownDay(
        15,
        intervals.pack_values(np.full(n, 100)),
        intervals.pack_quality(np.zeros(n, dtype=np.uint8)),
        1,
        intervals.pack_net(signed, shown) if net else b"",
    )


def last_days(month: Month, first: int, **kwargs: bool) -> dict[dt.date, KnownDay]:
    return {
        dt.date(month.year, month.month, d): prosumer_day(
            dt.date(month.year, month.month, d), **kwargs
        )
        for d in range(first, month.days + 1)
    }


def point(first: int = 29, production: int | None = 5, month: Month = AUGUST) -> PointMonth:
    piece = ContractPiece(
        PRODUCT, dt.date(month.year, month.month, first), month.next().first_day, production
    )
    return PointMonth(point_id=7, account_id=3, remote=True, pieces=[piece])


class TestTheRule:
    def test_net_days_start_on_the_rules_first_day(self) -> None:
        days = net_days([RULE], dt.date(2026, 7, 30), dt.date(2026, 8, 3))
        assert days == [False, False, True, True]

    def test_a_rule_that_does_not_bill_net_is_no_net_day(self) -> None:
        off = NetRule(dt.date(2026, 8, 1), None, False, Decimal(0))
        assert net_days([off], dt.date(2026, 8, 1), dt.date(2026, 8, 2)) == [False]
        assert surplus_vat([off]) == ()

    def test_the_surplus_vat_follows_the_rule(self) -> None:
        registered = NetRule(dt.date(2026, 8, 1), None, True, Decimal("0.24"))
        assert surplus_vat([registered]) == (
            rating.VatVersion(dt.date(2026, 8, 1), None, Decimal("0.24")),
        )


class TestNetEnergy:
    def test_net_days_bill_net_out_and_return_the_surplus(self) -> None:
        energy = remote_energy(
            point(),
            AUGUST,
            last_days(AUGUST, 29),
            net_days([RULE], AUGUST.first_day, AUGUST.next().first_day),
        )
        # 3 days: net OUT 3 x 48 x 100 = 14,400 Wh; net IN 3 x 48 x 200 = 28,800 Wh
        assert energy.basis["total_wh"] == int(energy.energy_wh.sum()) == 14_400
        assert energy.surplus_wh is not None and int(energy.surplus_wh.sum()) == 28_800
        assert energy.basis["gross_wh"] == 28_800 and energy.basis["net_days"] == 3

    def test_before_the_rule_the_same_data_is_billed_gross(self) -> None:
        july = Month(2026, 7)
        rule_days = net_days([RULE], july.first_day, july.next().first_day)
        energy = remote_energy(point(month=july), july, last_days(july, 29), rule_days)
        assert int(energy.energy_wh.sum()) == 28_800 and energy.surplus_wh is None

    def test_a_point_without_net_data_is_billed_gross(self) -> None:
        rule_days = net_days([RULE], AUGUST.first_day, AUGUST.next().first_day)
        energy = remote_energy(point(), AUGUST, last_days(AUGUST, 29, net=False), rule_days)
        assert int(energy.energy_wh.sum()) == 28_800 and energy.surplus_wh is None

    def test_a_net_day_with_a_gap_in_the_net_values_is_refused(self) -> None:
        days = last_days(AUGUST, 29)
        days[dt.date(2026, 8, 30)] = prosumer_day(dt.date(2026, 8, 30), given=False)
        rule_days = net_days([RULE], AUGUST.first_day, AUGUST.next().first_day)
        with pytest.raises(
            Unbillable, match=r"1 interval\(s\) of 2026-08-30 have no net value"
        ) as exc:
            remote_energy(point(), AUGUST, days, rule_days)
        assert exc.value.code == NO_CONSUMPTION_DATA


class TestProductionMonth:
    def rule_days(self) -> list[bool]:
        return net_days([RULE], AUGUST.first_day, AUGUST.next().first_day)

    def test_the_surplus_is_negative_energy_at_the_production_terms(self) -> None:
        p = point()
        energy = remote_energy(p, AUGUST, last_days(AUGUST, 29), self.rule_days())
        month = production_month(p, AUGUST, energy, self.rule_days(), lambda _: PRODUCTION)
        assert month is not None and month.account_id == (3, 7, PRODUCTION_ACCOUNT)
        assert int(month.energy_wh.sum()) == -28_800
        assert [(pc.first_day, pc.end_day) for pc in month.pieces] == [
            (dt.date(2026, 8, 29), dt.date(2026, 9, 1))
        ]
        lines, failures = rating.rate_accounts(
            month=AUGUST, accounts=[month], vat=surplus_vat([RULE]), market=None
        )
        assert failures == {}
        (line,) = lines[month.account_id]
        # -28.8 kWh x 0.08 = -2.304 -> -2.30, no VAT
        assert (line.quantity, line.unit_price, line.amount, line.vat_rate) == (
            Decimal("-28.800"), Decimal("0.080000"), Decimal("-2.30"), Decimal(0),
        )  # fmt: skip

    def test_a_surplus_without_production_terms_is_unbillable(self) -> None:
        p = point(production=None)
        energy = remote_energy(p, AUGUST, last_days(AUGUST, 29), self.rule_days())
        with pytest.raises(Unbillable, match=r"fed 28\.800 kWh into the grid") as exc:
            production_month(p, AUGUST, energy, self.rule_days(), lambda _: PRODUCTION)
        assert exc.value.code == MISSING_PRICE

    def test_no_surplus_no_production_month(self) -> None:
        p = point(production=None)
        days = {
            d: KnownDay(
                k.minutes,
                k.values,
                k.quality,
                1,
                intervals.pack_net(np.full(96, 50), np.ones(96, dtype=bool)),
            )
            for d, k in last_days(AUGUST, 29).items()
        }
        energy = remote_energy(p, AUGUST, days, self.rule_days())
        assert int(energy.energy_wh.sum()) == 3 * 96 * 50
        assert production_month(p, AUGUST, energy, self.rule_days(), lambda _: PRODUCTION) is None
