"""The demo's payments come from generated camt.053 statements, and a few wait in suspense."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from vool.common.localtime import Month
from vool.domain.customers.models import FormerReferenceNumber
from vool.domain.ledger import queries as ledger_queries
from vool.domain.receivables import queries
from vool.domain.receivables.models import Allocation, Payment, StatementFile
from vool.integrations.bank import camt
from vool.usecases.demo import billing, seed

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 20)


def test_demo_payments_are_imported_from_statements(tmp_path: Path) -> None:
    seed.seed_demo(customers=25, seed=5, as_of=AS_OF, history_months=3)
    result = billing.bill_history(
        first_month=Month(2025, 12), as_of=AS_OF, seed=5, statements_dir=tmp_path
    )
    assert [p.name for p in result.statements] == [
        "camt053-2025-12.xml",
        "camt053-2026-01.xml",
        "camt053-2026-02.xml",
    ]
    assert StatementFile.objects.count() == 3
    assert result.payments == Payment.objects.count() > 0
    # the statements are what a bank sends: they parse and validate on their own
    statement = camt.parse(result.statements[-1].read_bytes(), schemas_dir=_schemas())
    assert statement.account_iban == billing.RETAILER_IBAN
    # a few payments of the last month wait in suspense, with a suggestion
    assert result.suspense == Payment.objects.filter(status="SUSPENSE").count() >= 1
    item = queries.suspense_queue()[0]
    assert item.suggestions and "invoice number" in item.suggestions[0].why
    totals = queries.payment_totals()
    assert totals.balanced
    assert totals.received == result.paid_amount
    assert totals.suspense > Decimal(0)
    assert ledger_queries.unbalanced_transactions() == []


def test_payments_quoting_a_former_reference_number_reach_the_account(tmp_path: Path) -> None:
    seed.seed_demo(customers=40, seed=5, as_of=AS_OF, history_months=3)
    billing.bill_history(first_month=Month(2025, 12), as_of=AS_OF, seed=5, statements_dir=tmp_path)
    former = dict(
        FormerReferenceNumber.objects.values_list("reference_number", "account__reference_number")
    )
    quoted = list(
        Allocation.objects.filter(payment__reference__in=list(former), kind="ACCOUNT")
        .select_related("payment", "billing_account")
        .order_by("pk")
    )
    assert quoted, "no demo payment quotes a former reference number"
    for allocation in quoted:
        assert allocation.billing_account is not None
        assert allocation.billing_account.reference_number == former[allocation.payment.reference]


def _schemas() -> Path:
    from django.conf import settings

    return Path(settings.VOOL_SCHEMAS_DIR)
