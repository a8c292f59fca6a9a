from decimal import Decimal

from vool.domain.metering.plausibility import HistoryPeriod, assess, expected_daily_kwh

DAILY_10 = expected_daily_kwh([HistoryPeriod(kwh=Decimal(300), days=Decimal(30))])


class TestPlausibility:
    def test_expected_daily_is_total_over_days(self) -> None:
        history = [
            HistoryPeriod(kwh=Decimal(300), days=Decimal(30)),
            HistoryPeriod(kwh=Decimal(320), days=Decimal(32)),
        ]
        assert expected_daily_kwh(history) == Decimal(10)
        assert expected_daily_kwh([]) is None

    def test_three_times_expected_is_still_plausible(self) -> None:
        verdict = assess(consumption_kwh=Decimal(930), days=Decimal(31), daily_kwh=DAILY_10)
        assert verdict.plausible
        assert verdict.expected_kwh == Decimal("310.000")

    def test_above_three_times_is_flagged(self) -> None:
        verdict = assess(consumption_kwh=Decimal("930.001"), days=Decimal(31), daily_kwh=DAILY_10)
        assert not verdict.plausible
        assert verdict.reason == (
            "Consumption 930.001 kWh is more than 3 times the 310 kWh expected from the "
            "history. Please check the reading."
        )

    def test_below_a_third_is_flagged(self) -> None:
        # 310 / 3 = 103.33: 103 is too low, 104 is fine
        low = assess(consumption_kwh=Decimal(103), days=Decimal(31), daily_kwh=DAILY_10)
        assert not low.plausible
        assert "less than 1/3 of the 310 kWh" in low.reason
        assert assess(consumption_kwh=Decimal(104), days=Decimal(31), daily_kwh=DAILY_10).plausible

    def test_no_history_or_tiny_expectation_is_not_judged(self) -> None:
        assert assess(consumption_kwh=Decimal(5000), days=Decimal(31), daily_kwh=None).plausible
        tiny = assess(consumption_kwh=Decimal(500), days=Decimal(1), daily_kwh=Decimal("9.9"))
        assert tiny.plausible
