"""Which open invoices a payment pays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vool.domain.receivables.allocation import (
    EXACT_AMOUNT_FIRST,
    OpenInvoice,
    Settlement,
    settle,
)

OCT = OpenInvoice(1, 10, dt.date(2026, 10, 20), Decimal("40.00"))
NOV = OpenInvoice(2, 20, dt.date(2026, 11, 20), Decimal("25.00"))


class TestSettle:
    def test_oldest_first_then_credit(self) -> None:
        settlements, left = settle(amount=Decimal("70.00"), open_invoices=[NOV, OCT])
        assert settlements == [Settlement(1, Decimal("40.00")), Settlement(2, Decimal("25.00"))]
        assert left == Decimal("5.00")

    def test_partial_payment_pays_part_of_the_oldest(self) -> None:
        settlements, left = settle(amount=Decimal("10.00"), open_invoices=[NOV, OCT])
        assert settlements == [Settlement(1, Decimal("10.00"))]
        assert left == 0

    def test_exact_amount_first(self) -> None:
        settlements, left = settle(
            amount=Decimal("25.00"), open_invoices=[OCT, NOV], rule=EXACT_AMOUNT_FIRST
        )
        assert settlements == [Settlement(2, Decimal("25.00"))]
        assert left == 0

    def test_no_open_invoice_is_all_credit(self) -> None:
        assert settle(amount=Decimal("3.00"), open_invoices=[]) == ([], Decimal("3.00"))

    def test_unknown_rule(self) -> None:
        with pytest.raises(ValueError, match="Unknown allocation rule"):
            settle(amount=Decimal("1.00"), open_invoices=[], rule="NEWEST")


def test_a_direct_debit_collection_pays_its_invoice_first() -> None:
    # 30.00 collected for November's invoice: 25.00 to it, the 5.00 left to October's
    settlements, left = settle(
        amount=Decimal("30.00"), open_invoices=[OCT, NOV], first_invoice_id=NOV.invoice_id
    )
    assert settlements == [Settlement(2, Decimal("25.00")), Settlement(1, Decimal("5.00"))]
    assert left == Decimal("0.00")
