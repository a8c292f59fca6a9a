"""Invoice totals: sums of rounded lines, VAT per rate, credit balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from vool.domain.billing.totals import credit_applied, invoice_totals
from vool.domain.tariffs.rating import Line

D = Decimal


def line(amount: str, rate: str = "0.24") -> Line:
    return Line(
        "ENERGY",
        "ALL",
        dt.date(2025, 6, 1),
        dt.date(2025, 7, 1),
        D("1.000"),
        "KWH",
        D("0.1"),
        D(amount),
        D(rate),
    )


class TestInvoiceTotals:
    def test_vat_is_rounded_once_per_rate_on_the_sum_of_the_lines(self) -> None:
        # 3 x 0.05 at 24 %: VAT of the sum 0.15 is 0.036 -> 0.04 (per line it would be 0.03)
        totals = invoice_totals([line("0.05"), line("0.05"), line("0.05")])
        assert (totals.net, totals.vat, totals.gross) == (D("0.15"), D("0.04"), D("0.19"))

    def test_a_summary_per_rate_across_the_vat_change(self) -> None:
        totals = invoice_totals(
            [line("10.00", "0.22"), line("20.00", "0.24"), line("0.01", "0.24")]
        )
        assert totals.vat_summary == [
            {"rate": "0.22", "base": "10.00", "vat": "2.20"},
            {"rate": "0.24", "base": "20.01", "vat": "4.80"},  # 4.8024
        ]
        assert (totals.net, totals.vat, totals.gross) == (D("30.01"), D("7.00"), D("37.01"))

    def test_no_lines(self) -> None:
        totals = invoice_totals([])
        assert (totals.net, totals.vat, totals.gross, totals.vat_summary) == (
            D("0.00"),
            D("0.00"),
            D("0.00"),
            [],
        )


class TestCreditApplied:
    def test_a_debt_applies_nothing(self) -> None:
        assert credit_applied(gross=D("48.05"), balance_before=D("10.00")) == D("0.00")

    def test_part_of_the_bill(self) -> None:
        assert credit_applied(gross=D("48.05"), balance_before=D("-20.00")) == D("20.00")

    def test_never_more_than_the_bill(self) -> None:
        assert credit_applied(gross=D("48.05"), balance_before=D("-100.00")) == D("48.05")

    def test_nothing_on_a_negative_bill(self) -> None:
        assert credit_applied(gross=D("-5.00"), balance_before=D("-100.00")) == D("0.00")
