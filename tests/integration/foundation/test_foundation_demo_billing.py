from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from vool.common.localtime import Month
from vool.domain.billing.models import BillRun, Invoice
from vool.domain.customers.models import BillingAccount
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerTransaction, Posting
from vool.usecases.demo import billing, seed

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 20)


class TestDemoBilling:
    def test_seeded_months_are_billed_and_the_books_reconcile(self):
        seed.seed_demo(customers=25, seed=5, as_of=AS_OF, history_months=3)
        result = billing.bill_history(first_month=Month(2025, 12), as_of=AS_OF, seed=5)

        # December, January and February are billed (on the 5th of the month after each)
        assert result.runs == 3
        assert sorted(BillRun.objects.values_list("period", flat=True)) == [
            "2025-12",
            "2026-01",
            "2026-02",
        ]
        accounts = BillingAccount.objects.count()
        assert result.invoices + result.exceptions == 3 * accounts
        assert result.invoices == Invoice.objects.filter(status="ISSUED").count()
        assert result.payments > 0

        # invoices = ledger = payments + balance, account by account
        balances = ledger_queries.receivable_balances(
            billing_account_ids=BillingAccount.objects.values_list("pk", flat=True)
        )
        for account in BillingAccount.objects.all():
            invoiced = Invoice.objects.filter(billing_account=account, status="ISSUED").aggregate(
                total=Sum("gross_amount")
            )["total"] or Decimal(0)
            paid = -(
                Posting.objects.filter(
                    transaction__billing_account=account,
                    transaction__kind=LedgerTransaction.Kind.PAYMENT,
                    account="RECEIVABLE",
                ).aggregate(total=Sum("amount"))["total"]
                or Decimal(0)
            )
            assert balances.get(account.pk, Decimal(0)) == Decimal(invoiced) - Decimal(paid)
        assert ledger_queries.unbalanced_transactions() == []
