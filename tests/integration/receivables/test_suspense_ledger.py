"""The ledger holds money no billing account holds yet: cash against SUSPENSE, without a
billing account; nothing else may be posted without one (in Python and at the database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from receivables_factories import AS_OF, DAY
from vool.domain.ledger import operations, queries
from vool.domain.ledger.models import LedgerAccount, LedgerTransaction


def retailer_level(*postings: tuple[str, Decimal]) -> operations.NewTransaction:
    return operations.NewTransaction(
        billing_account_id=None,
        kind=LedgerTransaction.Kind.PAYMENT,
        document_type="test.Receipt",
        document_id=1,
        reference="S1",
        posted_date=DAY,
        postings=postings,
    )


@pytest.mark.django_db
class TestSuspenseOnTheLedger:
    def test_cash_into_suspense_without_a_billing_account(self) -> None:
        operations.post_transactions(
            transactions=[
                retailer_level(
                    (LedgerAccount.CASH, Decimal("12.30")),
                    (LedgerAccount.SUSPENSE, Decimal("-12.30")),
                )
            ],
            created_at=AS_OF,
        )
        assert queries.suspense_balance() == Decimal("12.30")
        assert queries.account_totals() == {"CASH": Decimal("12.30"), "SUSPENSE": Decimal("-12.30")}

    def test_a_receivable_needs_a_billing_account(self) -> None:
        with pytest.raises(operations.UnbalancedTransaction, match="without a billing account"):
            operations.post_transactions(
                transactions=[
                    retailer_level(
                        (LedgerAccount.RECEIVABLE, Decimal("-1.00")),
                        (LedgerAccount.CASH, Decimal("1.00")),
                    )
                ],
                created_at=AS_OF,
            )
        assert not LedgerTransaction.objects.exists()

    def test_the_database_refuses_a_receivable_without_a_billing_account(self) -> None:
        (tid,) = operations.post_transactions(
            transactions=[
                retailer_level(
                    (LedgerAccount.CASH, Decimal("1.00")),
                    (LedgerAccount.SUSPENSE, Decimal("-1.00")),
                )
            ],
            created_at=AS_OF,
        )
        with (
            pytest.raises(IntegrityError, match="posting_without_account_is_cash_or_suspense"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "INSERT INTO ledger_posting (transaction_id, billing_account_id, account, amount)"
                " VALUES (%s, NULL, 'RECEIVABLE', -1), (%s, NULL, 'RECEIVABLE', 1)",
                [tid, tid],
            )
