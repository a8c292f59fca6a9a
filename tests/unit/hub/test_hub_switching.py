"""The legal lead times of a supplier switch and the withdrawal window."""

from __future__ import annotations

import datetime as dt

from vool.domain.hub import switching

D = dt.date


class TestEarliestStart:
    def test_fourteen_days_when_the_customer_has_another_supplier(self) -> None:
        assert switching.earliest_start(
            submitted_on=D(2026, 11, 2), open_supply_elsewhere=True
        ) == D(2026, 11, 16)

    def test_one_day_from_general_service(self) -> None:
        assert switching.earliest_start(
            submitted_on=D(2026, 12, 31), open_supply_elsewhere=False
        ) == D(2027, 1, 1)


class TestWithdrawal:
    def test_possible_within_fourteen_days_and_before_the_start(self) -> None:
        assert (
            switching.withdrawal_problem(
                concluded_on=D(2026, 11, 2), starts_on=D(2026, 12, 1), today=D(2026, 11, 16)
            )
            is None
        )

    def test_not_after_fourteen_days(self) -> None:
        problem = switching.withdrawal_problem(
            concluded_on=D(2026, 11, 2), starts_on=D(2026, 12, 1), today=D(2026, 11, 17)
        )
        assert problem is not None and "until 2026-11-16" in problem

    def test_not_on_the_day_supply_starts(self) -> None:
        problem = switching.withdrawal_problem(
            concluded_on=D(2026, 11, 2), starts_on=D(2026, 11, 10), today=D(2026, 11, 10)
        )
        assert problem is not None and "at least one day before it starts" in problem
