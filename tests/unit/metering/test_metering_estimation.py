from decimal import Decimal

import pytest

from vool.common.localtime import Month
from vool.domain.metering import estimation
from vool.domain.metering.plausibility import HistoryPeriod


class TestEstimationMethods:
    def test_same_month_last_year_scaled_by_days(self) -> None:
        # 412 kWh over 30 days last year; 31 days now: 412 * 31 / 30 = 425.73 -> 426
        result = estimation.from_same_month_last_year(
            last_year=HistoryPeriod(kwh=Decimal(412), days=Decimal(30)), days=Decimal(31)
        )
        assert result.kwh == Decimal(426)
        assert result.method == "SAME_MONTH_LAST_YEAR"
        assert result.inputs == {"last_year_kwh": "412", "last_year_days": "30", "days": "31"}

    def test_average_daily_of_recent_periods(self) -> None:
        # (300 + 280) / (30 + 31) = 9.508 kWh a day; 30 days -> 285.25 -> 285
        result = estimation.from_average_daily(
            recent=[
                HistoryPeriod(kwh=Decimal(300), days=Decimal(30)),
                HistoryPeriod(kwh=Decimal(280), days=Decimal(31)),
            ],
            days=Decimal(30),
        )
        assert result.kwh == Decimal(285)
        assert result.method == "AVERAGE_DAILY"
        assert result.inputs["daily_kwh"] == "9.508"

    def test_load_profile_for_an_apartment_in_november(self) -> None:
        # 2000 kWh a year * 10 % in November * 30/30 days = 200
        result = estimation.from_load_profile(
            segment="APARTMENT", month=Month(2026, 11), days=Decimal(30)
        )
        assert result.kwh == Decimal(200)
        assert result.method == "LOAD_PROFILE"
        assert result.inputs["month_share"] == "0.100"

    def test_load_profile_for_part_of_a_leap_february(self) -> None:
        # 6000 * 0.098 * 14 / 29 = 283.86 -> 284
        result = estimation.from_load_profile(
            segment="HOUSE", month=Month(2028, 2), days=Decimal(14)
        )
        assert result.kwh == Decimal(284)

    def test_load_profile_on_a_meter_with_a_multiplier_is_a_register_advance(self) -> None:
        # 6000 * 0.06 * 30/30 = 360 kWh; a x5 meter advances 72, a x7 one 51.429 (0.001)
        x5 = estimation.estimate(
            month=Month(2026, 6),
            days=Decimal(30),
            same_month_last_year=None,
            recent=[],
            segment="HOUSE",
            multiplier=Decimal(5),
        )
        assert (x5.method, x5.kwh, x5.inputs["profile_kwh"]) == ("LOAD_PROFILE", 72, "360")
        x7 = estimation.from_load_profile(
            segment="HOUSE", month=Month(2026, 6), days=Decimal(30), multiplier=Decimal(7)
        )
        assert x7.kwh == Decimal("51.429")

    def test_monthly_shares_add_up_to_one(self) -> None:
        assert sum(estimation.MONTHLY_SHARE.values()) == Decimal(1)

    def test_cascade_prefers_last_year_then_recent_then_profile(self) -> None:
        last_year = HistoryPeriod(kwh=Decimal(300), days=Decimal(30))
        recent = [HistoryPeriod(kwh=Decimal(100), days=Decimal(10))]
        kwargs = {"month": Month(2026, 11), "days": Decimal(30), "segment": "APARTMENT"}
        assert (
            estimation.estimate(same_month_last_year=last_year, recent=recent, **kwargs).kwh == 300
        )
        by_recent = estimation.estimate(same_month_last_year=None, recent=recent, **kwargs)
        assert (by_recent.method, by_recent.kwh) == ("AVERAGE_DAILY", Decimal(300))
        by_profile = estimation.estimate(same_month_last_year=None, recent=[], **kwargs)
        assert (by_profile.method, by_profile.kwh) == ("LOAD_PROFILE", Decimal(200))

    def test_unknown_segment(self) -> None:
        with pytest.raises(estimation.UnableToEstimate, match="segment 'SPACESHIP'"):
            estimation.from_load_profile(segment="SPACESHIP", month=Month(2026, 1), days=Decimal(1))


class TestApportion:
    def test_parts_add_up_exactly(self) -> None:
        parts = estimation.apportion(
            total_kwh=Decimal(100),
            weights=[("2026-09", Decimal(30)), ("2026-10", Decimal(31)), ("2026-11", Decimal(30))],
        )
        assert parts == {
            "2026-09": Decimal("32.967"),
            "2026-10": Decimal("34.066"),
            "2026-11": Decimal("32.967"),
        }
        assert sum(parts.values()) == Decimal(100)

    def test_negative_total(self) -> None:
        parts = estimation.apportion(
            total_kwh=Decimal(-10), weights=[("a", Decimal(1)), ("b", Decimal(2))]
        )
        assert parts == {"a": Decimal("-3.333"), "b": Decimal("-6.667")}


class TestDayNightProfile:
    def test_night_register_gets_its_share(self) -> None:
        # 6000 kWh a year x 40 % on the night register x 11.6 % in December x 31/31 = 278.4
        result = estimation.from_load_profile(
            segment="HOUSE",
            month=Month(2026, 12),
            days=Decimal(31),
            register_share=estimation.REGISTER_SHARE["NIGHT"],
        )
        assert result.kwh == Decimal(278)
        assert result.inputs["annual_kwh"] == "2400.0"
