"""On every line of every invoice of a seeded and billed demo, quantity x unit price rounded
half-up to cents is the amount (what a customer, an auditor or an e-invoice checks)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vool.common.localtime import Month
from vool.common.money import RoundingMode, round_money
from vool.domain.billing.models import InvoiceLine
from vool.usecases.demo import billing, seed

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 7, 20)  # bills May and June 2026: a network-fee change on 1 June


class TestEveryDemoLineMultipliesOut:
    def test_seeded_and_billed_demo(self) -> None:
        seed.seed_demo(customers=30, seed=11, as_of=AS_OF, history_months=3)
        result = billing.bill_history(first_month=Month(2026, 5), as_of=AS_OF, seed=11)
        assert result.runs == 2 and result.invoices > 0

        lines = list(
            InvoiceLine.objects.only("component", "quantity", "unit", "unit_price", "amount")
        )
        wrong = [line for line in lines if not multiplies_out(line)]
        assert wrong == []
        fee_lines = [line for line in lines if line.unit == InvoiceLine.Unit.DAY]
        market_lines = [
            ln for ln in lines if ln.component == "ENERGY" and ln.unit_price is not None
        ]
        assert fee_lines and market_lines
        # a fee line is its days at the daily price (e.g. 31 x 0.096452), never 31 x 2.99
        assert all(line.unit_price < Decimal("5") for line in fee_lines)


def multiplies_out(line: InvoiceLine) -> bool:
    if line.unit_price is None:
        return line.quantity == 0 and line.amount == 0
    return round_money(line.quantity * line.unit_price, mode=RoundingMode.HALF_UP) == line.amount
