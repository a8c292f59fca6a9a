"""Receivables migration 0002 puts money already in suspense on the ledger, once."""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps

from receivables_factories import AS_OF, account, credit, our_bank_account, statement_file
from vool.domain.integrity import operations as integrity_operations
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerTransaction, Posting
from vool.domain.receivables import operations, queries
from vool.domain.receivables.models import Payment
from vool.usecases import import_bank_statement

backfill = importlib.import_module("vool.domain.receivables.migrations.0002_w6_suspense_on_ledger")


@pytest.mark.django_db
def test_payments_in_suspense_before_the_ledger_held_them(tmp_path: Path) -> None:
    our_bank_account()
    target = account("10000016")
    import_bank_statement.import_bank_file(
        path=statement_file(tmp_path / "s.xml", credit("S1", "50.00"), credit("S2", "7.00")),
        as_of=AS_OF,
    )
    first = Payment.objects.get(entry_key="S1")
    operations.allocate_from_suspense(
        payment_id=first.pk,
        parts=[operations.Part(target.pk, Decimal("20.00"))],
        by="clerk",
        reason="phone",
        as_of=AS_OF,
    )
    # as an older database has it: receipts into suspense were never posted, and an
    # allocation from suspense was posted as cash against receivable
    with integrity_operations.maintenance(reason="test: a database from before ledger 0003"):
        receipts = LedgerTransaction.objects.filter(document_type=operations.PAYMENT_DOCUMENT)
        Posting.objects.filter(transaction__in=receipts).delete()
        receipts.delete()
        Posting.objects.filter(account="SUSPENSE").update(account="CASH")
    assert ledger_queries.suspense_balance() == Decimal("0.00")

    backfill.post_suspense(apps, None)
    backfill.post_suspense(apps, None)  # a second run adds nothing

    assert ledger_queries.suspense_balance() == Decimal("37.00")
    assert ledger_queries.suspense_balance() == queries.payment_totals().suspense
    assert ledger_queries.account_totals()["CASH"] == Decimal("57.00")
    assert ledger_queries.receivable_balance(billing_account_id=target.pk) == Decimal("-20.00")
    assert ledger_queries.unbalanced_transactions() == []
