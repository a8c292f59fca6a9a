"""The register rules of manual points on plain readings (``billing.manual``, no database):
signed advances from estimates, rollovers, true-ups over several estimated months and after
an interim reading, and move readings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vool.common.localtime import TALLINN, Month
from vool.domain.billing.advances import ReadingRow, RegisterRow, advance_kwh, register_use
from vool.domain.billing.unbillable import Unbillable

D = Decimal
SINGLE = RegisterRow(1, "SINGLE", 6, D(1), None)
OCTOBER = Month(2026, 10)
WHOLE_OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
_ids = iter(range(1, 1000))


def month_end(month: Month, value: str, *, estimated: bool = False) -> ReadingRow:
    read_at = dt.datetime.combine(month.last_day, dt.time(18), tzinfo=TALLINN)
    source = "ESTIMATED" if estimated else "PORTAL"
    return ReadingRow(next(_ids), read_at, D(value), source, str(month), "ACCEPTED", {})


def on_day(day: dt.date, value: str) -> ReadingRow:
    read_at = dt.datetime.combine(day, dt.time(11), tzinfo=TALLINN)
    return ReadingRow(next(_ids), read_at, D(value), "BACKOFFICE", "", "ACCEPTED", {})


class TestAdvance:
    def test_an_actual_below_an_estimate_is_negative_not_a_rollover(self) -> None:
        estimate = month_end(Month(2026, 9), "5730", estimated=True)
        assert advance_kwh(estimate, month_end(OCTOBER, "5710"), SINGLE) == D("-20.000")

    def test_actual_to_actual_rolls_over_when_plausible(self) -> None:
        five_digits = RegisterRow(1, "SINGLE", 5, D(1), None)
        start, end = month_end(Month(2026, 9), "99900"), month_end(OCTOBER, "150")
        assert advance_kwh(start, end, five_digits) == D("250.000")

    def test_actual_to_actual_far_below_is_refused(self) -> None:
        start, end = month_end(Month(2026, 9), "5000"), month_end(OCTOBER, "4900")
        with pytest.raises(Unbillable, match="lower than the previous reading 5000"):
            advance_kwh(start, end, SINGLE)

    def test_the_multiplier(self) -> None:
        x30 = RegisterRow(1, "SINGLE", 6, D(30), None)
        start, end = month_end(Month(2026, 9), "100.5"), month_end(OCTOBER, "110")
        assert advance_kwh(start, end, x30) == D("285.000")


class TestTrueUps:
    def test_two_estimated_months_each_get_their_own_true_up(self) -> None:
        august = month_end(Month(2026, 8), "1000")
        september = month_end(Month(2026, 9), "1200", estimated=True)
        october = month_end(OCTOBER, "1400", estimated=True)
        november = month_end(Month(2026, 11), "1500")
        use = register_use(
            SINGLE,
            [october, november],
            [august, september],
            Month(2026, 11),
            (dt.date(2026, 11, 1), dt.date(2026, 12, 1)),
        )
        assert use is not None
        # 500 kWh over 30 + 31 + 30 days: 164.835, 170.330 (largest remainder), 164.835;
        # September and October billed 200 each
        assert use.kwh == D("164.835")
        assert use.true_ups == {Month(2026, 9): D("-35.165"), OCTOBER: D("-29.670")}
        assert use.basis["billed_on_estimates_kwh"] == "400.000"

    def test_since_an_interim_reading(self) -> None:
        interim = on_day(dt.date(2026, 9, 20), "1100")
        september = month_end(Month(2026, 9), "1200", estimated=True)
        use = register_use(
            SINGLE, [september, month_end(OCTOBER, "1350")], [interim], OCTOBER, WHOLE_OCTOBER
        )
        assert use is not None
        # 250 kWh over 11 days of September (20th to 30th) and 31 of October: 65.476 and
        # 184.524; September billed 100 since the interim reading
        assert use.kwh == D("184.524")
        assert use.true_ups == {Month(2026, 9): D("-34.524")}


class TestMoves:
    def test_moving_out_ends_on_the_move_reading(self) -> None:
        readings = [
            month_end(Month(2026, 9), "1000"),
            on_day(dt.date(2026, 10, 15), "1100"),
            month_end(OCTOBER, "1250"),
        ]
        out = register_use(
            SINGLE, readings, [], OCTOBER, (dt.date(2026, 10, 1), dt.date(2026, 10, 15))
        )
        moved_in = register_use(
            SINGLE, readings, [], OCTOBER, (dt.date(2026, 10, 15), dt.date(2026, 11, 1))
        )
        assert out is not None and moved_in is not None
        assert (out.kwh, moved_in.kwh) == (D("100.000"), D("150.000"))

    def test_without_the_move_reading_it_says_what_is_needed(self) -> None:
        readings = [month_end(Month(2026, 9), "1000"), month_end(OCTOBER, "1250")]
        with pytest.raises(Unbillable, match="2026-10-15: register SINGLE needs an actual"):
            register_use(
                SINGLE, readings, [], OCTOBER, (dt.date(2026, 10, 1), dt.date(2026, 10, 15))
            )
