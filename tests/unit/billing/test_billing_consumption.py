"""Consumption assembly on named rows (``billing.consumption``, no database): interval days
onto the month's grid (15 and 60 minutes, the DST day, gaps), which versions a bill holds,
and registers spread over the supplied hours (masks, bands, moves)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from vool.common.localtime import Month, intervals_in_day
from vool.domain.billing.advances import ManualReadings, ReadingRow, RegisterRow
from vool.domain.billing.consumption import (
    ContractPiece,
    PointMonth,
    billed_days,
    billed_version,
    manual_energy,
    pieces_in,
    remote_energy,
    spread,
)
from vool.domain.billing.reasons import NO_CONSUMPTION_DATA, Unbillable
from vool.domain.metering import intervals
from vool.domain.metering.intervals import KnownDay
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandRules, BandScheme, BandWindow

OCTOBER = Month(2026, 10)  # 25 October: clocks go back, the day has 25 hours
DST_DAY = dt.date(2026, 10, 25)
PRODUCT = (1, False)
WHOLE_OCTOBER = ContractPiece(PRODUCT, OCTOBER.first_day, OCTOBER.next().first_day)


def day(d: dt.date, wh: int, *, minutes: int = 15, version: int = 1, flag: int = 0) -> KnownDay:
    n = intervals_in_day(d, minutes=minutes)
    return KnownDay(
        minutes,
        intervals.pack_values(np.full(n, wh)),
        intervals.pack_quality(np.full(n, flag, dtype=np.uint8)),
        version,
    )


def whole_month(wh: int, *, minutes: int = 15) -> dict[dt.date, KnownDay]:
    days = (OCTOBER.first_day + dt.timedelta(days=i) for i in range(OCTOBER.days))
    return {d: day(d, wh, minutes=minutes) for d in days}


def point(*pieces: ContractPiece) -> PointMonth:
    return PointMonth(point_id=7, account_id=3, remote=True, pieces=list(pieces))


class TestPiecesIn:
    def test_a_contract_is_cut_to_the_month(self) -> None:
        piece = pieces_in(OCTOBER, PRODUCT, dt.date(2026, 9, 1), dt.date(2026, 10, 11))
        assert piece == ContractPiece(PRODUCT, dt.date(2026, 10, 1), dt.date(2026, 10, 11))
        assert pieces_in(OCTOBER, PRODUCT, dt.date(2026, 10, 20), None) == ContractPiece(
            PRODUCT, dt.date(2026, 10, 20), dt.date(2026, 11, 1)
        )

    def test_a_contract_outside_the_month_has_no_piece(self) -> None:
        assert pieces_in(OCTOBER, PRODUCT, dt.date(2026, 11, 1), None) is None
        assert pieces_in(OCTOBER, PRODUCT, dt.date(2026, 9, 1), dt.date(2026, 10, 1)) is None


class TestRemoteEnergy:
    def test_a_15_minute_month_with_the_dst_day(self) -> None:
        energy = remote_energy(point(WHOLE_OCTOBER), OCTOBER, whole_month(10))
        # 31 days x 96 quarters + the extra hour of 25 October
        assert energy.minutes == 15
        assert energy.energy_wh.size == 31 * 96 + 4
        assert energy.basis["total_wh"] == (31 * 96 + 4) * 10
        assert energy.basis["days"] == 31
        assert not energy.estimated

    def test_one_hourly_day_puts_the_month_on_hours(self) -> None:
        days = whole_month(10)
        days[DST_DAY] = day(DST_DAY, 40, minutes=60)
        energy = remote_energy(point(WHOLE_OCTOBER), OCTOBER, days)
        assert energy.minutes == 60
        assert energy.energy_wh.size == 31 * 24 + 1
        assert set(energy.energy_wh.tolist()) == {40}  # four quarters of 10 Wh, or 40 Wh

    def test_only_the_supplied_days_are_billed(self) -> None:
        moved_in = ContractPiece(PRODUCT, dt.date(2026, 10, 30), OCTOBER.next().first_day)
        energy = remote_energy(point(moved_in), OCTOBER, whole_month(10))
        assert energy.basis["total_wh"] == 2 * 96 * 10
        assert energy.basis["days"] == 2

    def test_estimated_intervals_mark_the_energy_estimated(self) -> None:
        days = whole_month(10)
        days[dt.date(2026, 10, 2)] = day(dt.date(2026, 10, 2), 10, flag=intervals.ESTIMATED)
        energy = remote_energy(point(WHOLE_OCTOBER), OCTOBER, days)
        assert energy.estimated
        assert energy.basis["estimated_or_missing_intervals"] == 96

    def test_missing_days_are_named(self) -> None:
        days = whole_month(10)
        del days[dt.date(2026, 10, 3)], days[dt.date(2026, 10, 9)]
        with pytest.raises(Unbillable, match="2 day\\(s\\) of 2026-10: 2026-10-03, 2026-10-09"):
            remote_energy(point(WHOLE_OCTOBER), OCTOBER, days)

    def test_a_day_with_the_wrong_number_of_values_is_refused(self) -> None:
        days = whole_month(10)
        days[DST_DAY] = day(dt.date(2026, 10, 24), 10)  # 96 values for a 100-quarter day
        with pytest.raises(Unbillable, match="2026-10-25 has 96 values, the day has 100") as e:
            remote_energy(point(WHOLE_OCTOBER), OCTOBER, days)
        assert e.value.code == NO_CONSUMPTION_DATA


class TestBilledDays:
    def test_the_version_of_each_supplied_day(self) -> None:
        piece = ContractPiece(PRODUCT, dt.date(2026, 10, 2), dt.date(2026, 10, 4))
        billed = billed_days(point(piece), OCTOBER, {dt.date(2026, 10, 2): 3, DST_DAY: 5})
        assert billed.versions[:4] == (0, 3, 0, 0)  # 3 October has no data, 25th not supplied
        assert billed_version(billed, dt.date(2026, 10, 2)) == 3
        assert billed_version(billed, dt.date(2026, 10, 3)) is None
        assert billed_version(billed, dt.date(2026, 11, 2)) is None
        assert billed_version(None, dt.date(2026, 10, 2)) is None


DAY_NIGHT = BandScheme(
    "DAY_NIGHT",
    ("DAY", "NIGHT"),
    (
        BandRules(
            dt.date(2020, 1, 1), None, "NIGHT", (BandWindow("DAY", 7 * 60, 23 * 60, "WORKDAY"),)
        ),
    ),
)


class TestSpread:
    def test_a_single_register_over_the_supplied_hours_only(self) -> None:
        spans = [(dt.date(2026, 10, 1), dt.date(2026, 10, 11))]
        energy = spread({"SINGLE": Decimal("240")}, OCTOBER, spans, lambda: DAY_NIGHT)
        assert int(energy.sum()) == 240_000
        assert set(energy[: 10 * 24].tolist()) == {1000}  # 240 kWh over 240 hours
        assert not energy[10 * 24 :].any()

    def test_day_and_night_over_their_own_bands(self) -> None:
        spans = [(OCTOBER.first_day, OCTOBER.next().first_day)]
        energy = spread(
            {"DAY": Decimal("100"), "NIGHT": Decimal("50")}, OCTOBER, spans, lambda: DAY_NIGHT
        )
        grid = rating.month_grid(OCTOBER, 60)
        day = DAY_NIGHT.band_indices(grid.starts) == 0
        assert int(energy[day].sum()) == 100_000
        assert int(energy[~day].sum()) == 50_000

    def test_the_band_scheme_is_only_read_for_day_and_night(self) -> None:
        def no_scheme() -> BandScheme:
            raise AssertionError("a single register needs no bands")

        spans = [(OCTOBER.first_day, OCTOBER.next().first_day)]
        assert int(spread({"SINGLE": Decimal("1")}, OCTOBER, spans, no_scheme).sum()) == 1000

    def test_consumption_finer_than_a_wh_is_refused(self) -> None:
        spans = [(OCTOBER.first_day, OCTOBER.next().first_day)]
        with pytest.raises(Unbillable, match=r"0\.0005 kWh is finer than 1 Wh"):
            spread({"SINGLE": Decimal("0.0005")}, OCTOBER, spans, lambda: DAY_NIGHT)


class TestManualEnergy:
    def test_a_month_between_two_month_end_readings(self) -> None:
        register = RegisterRow(11, "SINGLE", 6, Decimal(1), None)
        read = dt.datetime(2026, 9, 30, 18, tzinfo=dt.UTC)
        readings = [
            ReadingRow(1, read, Decimal("1000"), "PORTAL", "2026-09", "ACCEPTED", {}),
            ReadingRow(
                2,
                read + dt.timedelta(days=31),
                Decimal("1372"),
                "PORTAL",
                "2026-10",
                "ACCEPTED",
                {},
            ),
        ]
        use = manual_energy(
            account_id=3,
            month=OCTOBER,
            spans=[(OCTOBER.first_day, OCTOBER.next().first_day)],
            registers=[register],
            data=ManualReadings(readings={11: readings}),
            scheme=lambda: DAY_NIGHT,
        )
        assert int(use.energy_wh.sum()) == 372_000
        assert use.energy_wh.size == 31 * 24 + 1
        assert not use.estimated and not use.true_ups
        assert use.basis["registers"][0]["kwh"] == "372.000"

    def test_no_readings_at_all(self) -> None:
        with pytest.raises(Unbillable, match="No readings for 2026-10"):
            manual_energy(
                account_id=3,
                month=OCTOBER,
                spans=[(OCTOBER.first_day, OCTOBER.next().first_day)],
                registers=[],
                data=ManualReadings(),
                scheme=lambda: DAY_NIGHT,
            )
