"""The plausibility guard's rules on plain figures (no database)."""

from __future__ import annotations

from decimal import Decimal

from vool.domain.billing.guard import GuardLimits, LineFigures, implausibility

D = Decimal
LIMITS = GuardLimits()


def kwh(quantity: str, amount: str, *, true_up: bool = False) -> LineFigures:
    return LineFigures("ENERGY", "DAY", "KWH", D(quantity), D(amount), true_up)


class TestImplausibility:
    def test_an_ordinary_bill_passes(self) -> None:
        lines = [
            kwh("250.000", "30.00"),
            LineFigures("PRODUCT_FEE", "ALL", "DAY", D(31), D("2.99"), False),
        ]
        assert implausibility(lines=lines, largest_recent_net=D("40.00"), limits=LIMITS) is None

    def test_a_misread_rollover_is_held(self) -> None:
        reason = implausibility(
            lines=[kwh("999837.705", "124979.71", true_up=True)],
            largest_recent_net=None,
            limits=LIMITS,
        )
        assert reason == (
            "The ENERGY DAY true-up line has 999,837.705 kWh, beyond the limit of 100,000 kWh "
            "a line: check the readings or interval data."
        )

    def test_a_huge_amount_is_held(self) -> None:
        reason = implausibility(
            lines=[kwh("90000", "20000.01")], largest_recent_net=None, limits=LIMITS
        )
        assert reason is not None and "20,000.01 EUR" in reason

    def test_negative_consumption_is_held_but_a_negative_true_up_is_not(self) -> None:
        assert "negative consumption (-20.000 kWh)" in (
            implausibility(lines=[kwh("-20.000", "-2.98")], largest_recent_net=None, limits=LIMITS)
            or ""
        )
        assert (
            implausibility(
                lines=[kwh("-162.295", "-24.18", true_up=True)],
                largest_recent_net=None,
                limits=LIMITS,
            )
            is None
        )

    def test_far_beyond_the_history_but_not_below_the_floor(self) -> None:
        # 5 x 40.00 = 200.00: 200.01 is beyond both the history and the 200 EUR floor
        assert implausibility(
            lines=[kwh("1000", "200.01")], largest_recent_net=D("40.00"), limits=LIMITS
        )
        assert (
            implausibility(
                lines=[kwh("1000", "200.00")], largest_recent_net=D("40.00"), limits=LIMITS
            )
            is None
        )
        # 150.00 is 15 x 10.00 but under the floor: a small account may vary
        assert (
            implausibility(
                lines=[kwh("1000", "150.00")], largest_recent_net=D("10.00"), limits=LIMITS
            )
            is None
        )
        # no history: only the line limits
        assert (
            implausibility(lines=[kwh("1000", "5000.00")], largest_recent_net=None, limits=LIMITS)
            is None
        )
