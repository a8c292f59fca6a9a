"""The plausibility guard's rules on plain figures (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from vool.domain.billing.guard import GuardLimits, LineFigures, RecentBill, implausibility
from vool.usecases.bill_run import guard_limits

D = Decimal
LIMITS = GuardLimits()
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def kwh(
    quantity: str, amount: str, *, true_up: bool = False, days: tuple[dt.date, dt.date] = OCTOBER
) -> LineFigures:
    return LineFigures("ENERGY", "DAY", "KWH", D(quantity), D(amount), true_up, *days)


def held(lines: list[LineFigures], recent: RecentBill | None = None) -> str | None:
    return implausibility(lines=lines, recent=recent, limits=LIMITS)


class TestLines:
    def test_an_ordinary_bill_passes(self) -> None:
        fee = LineFigures("PRODUCT_FEE", "ALL", "DAY", D(31), D("2.99"), False, *OCTOBER)
        assert held([kwh("250.000", "30.00"), fee], RecentBill(D("40.00"), 30)) is None

    def test_a_misread_rollover_is_held(self) -> None:
        assert held([kwh("999837.705", "124979.71", true_up=True)]) == (
            "The ENERGY DAY true-up line has 999,837.705 kWh, beyond the limit of 100,000 kWh "
            "a line: check the readings or interval data."
        )

    def test_a_huge_amount_is_held(self) -> None:
        assert "comes to 20,000.01 EUR, beyond the limit" in (
            held([kwh("90000", "20000.01")]) or ""
        )

    def test_negative_consumption_is_held_but_a_negative_true_up_is_not(self) -> None:
        assert "negative consumption (-20.000 kWh)" in (held([kwh("-20.000", "-2.98")]) or "")
        assert held([kwh("-162.295", "-24.18", true_up=True)]) is None


class TestHistory:
    def test_far_beyond_the_largest_daily_bill_and_above_the_floor(self) -> None:
        # October, 31 days; the largest recent bill 40.00 for 31 days: 5 x is 200.00
        recent = RecentBill(D("40.00"), 31)
        assert held([kwh("1000", "200.01")], recent) == (
            "The bill comes to 200.01 EUR without VAT for 31 days, more than 5 times the "
            "account's largest bill of the last 12 months per day (40.00 EUR for 31 days)."
        )
        assert held([kwh("1000", "200.00")], recent) is None

    def test_under_the_floor_a_small_account_may_vary(self) -> None:
        assert held([kwh("1000", "150.00")], RecentBill(D("10.00"), 31)) is None

    def test_a_short_first_bill_does_not_make_a_full_month_suspect(self) -> None:
        # 3 days for 300.00 is 100.00 a day; October 3000.00 is 96.77 a day
        assert held([kwh("20000", "3000.00")], RecentBill(D("300.00"), 3)) is None

    def test_without_history_only_the_line_limits(self) -> None:
        assert held([kwh("1000", "5000.00")]) is None


class TestConfiguredLimits:
    """The use case reads the settings once and hands the limits to the domain."""

    def test_the_settings_become_the_limits(self, settings: Any) -> None:
        settings.VOOL_BILL_GUARD_MAX_LINE_KWH = "100"
        settings.VOOL_BILL_GUARD_HISTORY_FACTOR = "20"
        limits = guard_limits()
        assert limits.max_line_kwh == D(100)
        assert limits.history_factor == D(20)
        assert limits.max_line_amount == D(settings.VOOL_BILL_GUARD_MAX_LINE_AMOUNT)

    def test_without_settings_the_defaults_apply(self, settings: Any) -> None:
        for name in ("MAX_LINE_KWH", "MAX_LINE_AMOUNT", "HISTORY_FACTOR", "HISTORY_FLOOR_AMOUNT"):
            delattr(settings, f"VOOL_BILL_GUARD_{name}")
        assert guard_limits() == GuardLimits()
