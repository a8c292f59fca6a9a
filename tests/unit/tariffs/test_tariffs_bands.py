"""Time bands from local Tallinn time, weekday, holidays and dated windows."""

from __future__ import annotations

import datetime as dt

import pytest

from vool.common.localtime import TALLINN, UTC
from vool.domain.tariffs.bands import NoBandRules, is_rest_day
from vool.domain.tariffs.tariff_data import default_band_schemes, parse_windows, windows_to_data

SCHEMES = default_band_schemes()
DAY_NIGHT = SCHEMES["EE_DAY_NIGHT"]
V5 = SCHEMES["EE_V5"]


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TALLINN).astimezone(UTC)


class TestCurrentDayNightRule:
    def test_working_day_window_is_seven_to_twenty_two(self) -> None:
        assert DAY_NIGHT.band_at(local(2026, 3, 2, 6, 45)) == "NIGHT"  # Monday
        assert DAY_NIGHT.band_at(local(2026, 3, 2, 7, 0)) == "DAY"
        assert DAY_NIGHT.band_at(local(2026, 3, 2, 21, 45)) == "DAY"
        assert DAY_NIGHT.band_at(local(2026, 3, 2, 22, 0)) == "NIGHT"

    def test_weekend_and_holiday_on_a_weekday_are_night_all_day(self) -> None:
        assert DAY_NIGHT.band_at(local(2026, 3, 7, 12, 0)) == "NIGHT"  # Saturday
        assert DAY_NIGHT.band_at(local(2026, 2, 24, 12, 0)) == "NIGHT"  # Tuesday, holiday
        assert DAY_NIGHT.band_at(local(2026, 5, 1, 12, 0)) == "NIGHT"  # Friday, May Day
        assert DAY_NIGHT.band_at(local(2026, 12, 24, 12, 0)) == "NIGHT"  # Christmas Eve

    def test_band_follows_local_time_not_utc(self) -> None:
        # 05:00 UTC is 07:00 in winter (day) and 08:00 in summer (day); 04:30 UTC in winter
        # is 06:30 local (night).
        assert DAY_NIGHT.band_at(dt.datetime(2026, 1, 5, 4, 30, tzinfo=UTC)) == "NIGHT"
        assert DAY_NIGHT.band_at(dt.datetime(2026, 1, 5, 5, 0, tzinfo=UTC)) == "DAY"
        assert DAY_NIGHT.band_at(dt.datetime(2026, 7, 6, 4, 0, tzinfo=UTC)) == "DAY"

    def test_rest_days(self) -> None:
        assert is_rest_day(dt.date(2025, 4, 18))  # Good Friday
        assert is_rest_day(dt.date(2025, 6, 23))
        assert not is_rest_day(dt.date(2025, 6, 25))


class TestOlderRule:
    def test_winter_07_23_and_summer_08_24(self) -> None:
        assert DAY_NIGHT.band_at(local(2021, 1, 4, 22, 30)) == "DAY"  # winter, Monday
        assert DAY_NIGHT.band_at(local(2021, 1, 4, 7, 0)) == "DAY"
        assert DAY_NIGHT.band_at(local(2021, 1, 4, 23, 0)) == "NIGHT"
        assert DAY_NIGHT.band_at(local(2021, 6, 7, 7, 30)) == "NIGHT"  # summer, Monday
        assert DAY_NIGHT.band_at(local(2021, 6, 7, 23, 30)) == "DAY"

    def test_weekday_holiday_was_an_ordinary_weekday(self) -> None:
        # Wednesday 24 Feb 2021 (Independence Day): day 07-23 like any Wednesday then; the
        # same holiday on Tuesday 24 Feb 2026 is night all day under the 2022 rule
        assert DAY_NIGHT.band_at(local(2021, 2, 24, 12, 0)) == "DAY"
        assert DAY_NIGHT.band_at(local(2021, 12, 24, 12, 0)) == "DAY"  # Friday, Christmas Eve
        assert DAY_NIGHT.band_at(local(2021, 2, 27, 12, 0)) == "NIGHT"  # Saturday
        assert DAY_NIGHT.band_at(local(2026, 2, 24, 12, 0)) == "NIGHT"

    def test_no_rules_is_an_error(self) -> None:
        with pytest.raises(NoBandRules, match="1999-12-31"):
            DAY_NIGHT.band_at(local(1999, 12, 31, 12, 0))


class TestVork5:
    def test_winter_peaks(self) -> None:
        assert V5.band_at(local(2026, 1, 5, 9, 0)) == "DAY_PEAK"
        assert V5.band_at(local(2026, 1, 5, 12, 0)) == "DAY"
        assert V5.band_at(local(2026, 1, 5, 19, 45)) == "DAY_PEAK"
        assert V5.band_at(local(2026, 1, 10, 17, 0)) == "REST_PEAK"  # Saturday
        assert V5.band_at(local(2026, 1, 10, 12, 0)) == "NIGHT"

    def test_no_peaks_in_summer(self) -> None:
        assert V5.band_at(local(2026, 7, 6, 10, 0)) == "DAY"
        assert V5.band_at(local(2026, 7, 11, 17, 0)) == "NIGHT"


def test_windows_round_trip() -> None:
    data = [
        {
            "band": "DAY",
            "start": "08:00",
            "end": "24:00",
            "day_type": "WORKDAY",
            "season": "SUMMER_TIME",
        }
    ]
    assert windows_to_data(parse_windows(data)) == data


def test_bad_window_is_reported() -> None:
    with pytest.raises(ValueError, match="Band window 1: day_type"):
        parse_windows([{"band": "DAY", "start": "07:00", "end": "22:00", "day_type": "X"}])


@pytest.mark.parametrize("scheme", ["EE_DAY_NIGHT", "EE_V5"])
@pytest.mark.parametrize(
    "month",
    [(2021, 2), (2021, 3), (2021, 10), (2022, 2), (2022, 3), (2025, 12), (2026, 3), (2026, 10)],
)
@pytest.mark.parametrize("minutes", [15, 60])
def test_vectorised_bands_equal_band_at(scheme: str, month: tuple[int, int], minutes: int) -> None:
    from vool.common.localtime import Month
    from vool.domain.tariffs.rating import month_grid

    s = SCHEMES[scheme]
    starts = month_grid(Month(*month), minutes).starts
    if scheme == "EE_V5" and month < (2022, 3):
        with pytest.raises(NoBandRules):
            s.band_indices(starts)
        return
    expected = [s.bands.index(s.band_at(t)) for t in starts]
    assert s.band_indices(starts).tolist() == expected
