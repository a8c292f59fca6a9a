from decimal import Decimal

import pytest

from vool.domain.metering.registers import Advance, ReadingBelowPrevious, register_advance


class TestRegisterAdvance:
    def test_forward(self) -> None:
        assert register_advance(
            previous_kwh=Decimal("12345.5"), current_kwh=Decimal("12600"), digits=6
        ) == Advance(kwh=Decimal("254.5"), rolled_over=False)

    def test_same_value_is_zero(self) -> None:
        assert register_advance(
            previous_kwh=Decimal(500), current_kwh=Decimal(500), digits=6
        ) == Advance(kwh=Decimal(0), rolled_over=False)

    def test_rollover_of_six_digits(self) -> None:
        # 999950 -> 1000000 (= 0) is 50 kWh, then 30 more
        assert register_advance(
            previous_kwh=Decimal(999950), current_kwh=Decimal(30), digits=6
        ) == Advance(kwh=Decimal(80), rolled_over=True)

    def test_rollover_limit_is_a_tenth_of_the_range(self) -> None:
        ok = register_advance(previous_kwh=Decimal(95000), current_kwh=Decimal(5000), digits=5)
        assert ok == Advance(kwh=Decimal(10000), rolled_over=True)
        with pytest.raises(ReadingBelowPrevious, match="lower than the previous reading 95000"):
            register_advance(previous_kwh=Decimal(95000), current_kwh=Decimal(5001), digits=5)

    def test_lower_reading_is_refused(self) -> None:
        with pytest.raises(ReadingBelowPrevious):
            register_advance(previous_kwh=Decimal(5000), current_kwh=Decimal(4900), digits=6)

    def test_value_must_fit_the_register(self) -> None:
        with pytest.raises(ValueError, match="does not fit a 5-digit register"):
            register_advance(previous_kwh=Decimal(0), current_kwh=Decimal(100000), digits=5)
