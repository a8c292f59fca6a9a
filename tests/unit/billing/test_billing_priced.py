"""The parts pricing is built of that need no database: what it gives back
(``billing.priced``), each line's revenue account and the figures the guard judges
(``billing.month_lines``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from vool.domain.billing.assembly import Assembled
from vool.domain.billing.month_lines import draft_lines, guard_figures, ledger_account_of
from vool.domain.billing.priced import DraftLine, PointKey, PricedAccounts, settle_failures
from vool.domain.tariffs.rating import AccountMonth, Line

D = Decimal
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def line(component: str = "ENERGY", unit: str = "KWH", amount: str = "12.00") -> Line:
    return Line(component, "ALL", *OCTOBER, D("100.000"), unit, D("0.12"), D(amount), D("0.24"))


def draft(account_line: Line, *, true_up: bool = False) -> DraftLine:
    return DraftLine(7, account_line, "REVENUE_ENERGY", False, true_up, {})


class TestPricedAccounts:
    def test_the_first_reason_an_account_fails_for_is_kept(self) -> None:
        result = PricedAccounts()
        result.fail(1, "MISSING_PRICE", "no price")
        result.fail(1, "IMPLAUSIBLE_BILL", "too large")
        assert result.failed == {1: ("MISSING_PRICE", "no price")}

    def test_a_failed_account_keeps_nothing_but_its_exception(self) -> None:
        result = PricedAccounts()
        result.add_lines(1, [draft(line())])
        result.add_lines(2, [draft(line())])
        result.corrections[1] = [10]
        result.interval_terms[1] = ["term"]
        result.fail(1, "MISSING_PRICE", "no price")
        settle_failures(result)
        assert result.exceptions == {1: ("MISSING_PRICE", "no price")}
        assert list(result.lines) == [2]
        assert result.corrections == {} and result.interval_terms == {}
        assert result.failed == {}

    def test_lines_add_up_per_account(self) -> None:
        result = PricedAccounts()
        result.add_lines(1, [draft(line())])
        result.add_lines(1, [draft(line("MARGIN"))])
        assert [d.line.component for d in result.lines[1]] == ["ENERGY", "MARGIN"]


class TestLines:
    def test_revenue_accounts(self) -> None:
        assert ledger_account_of("ENERGY") == "REVENUE_ENERGY"
        assert ledger_account_of("NETWORK_FEE") == "REVENUE_NETWORK"
        assert ledger_account_of("PRODUCT_FEE") == "REVENUE_FEES"
        assert ledger_account_of("EXCISE") == "REVENUE_LEVIES"  # any other: a levy

    def test_only_kwh_lines_carry_the_estimate_and_the_basis(self) -> None:
        fee = Line("PRODUCT_FEE", "ALL", *OCTOBER, D(31), "DAY", D("0.1"), D("3.10"), D("0.24"))
        month = AccountMonth((1, 7, False), 60, np.zeros(0, dtype=np.int64), ())
        item = Assembled(PointKey(1, 7), month, True, {"method": "ESTIMATE"}, [])
        drafts = draft_lines(item, [line(), fee])
        assert [(d.is_estimated, d.basis, d.ledger_account) for d in drafts] == [
            (True, {"method": "ESTIMATE"}, "REVENUE_ENERGY"),
            (False, {}, "REVENUE_FEES"),
        ]
        assert all(d.metering_point_id == 7 and not d.is_true_up for d in drafts)

    def test_the_guard_judges_the_lines_of_accounts_not_failed(self) -> None:
        result = PricedAccounts()
        result.add_lines(1, [draft(line()), draft(line(amount="-1.00"), true_up=True)])
        result.add_lines(2, [draft(line())])
        result.fail(2, "MISSING_PRICE", "no price")
        figures = guard_figures(result)
        assert list(figures) == [1]
        assert [(f.amount, f.is_true_up) for f in figures[1]] == [
            (D("12.00"), False),
            (D("-1.00"), True),
        ]
