"""The ledger: balanced transactions only, append-only, balances are sums."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from factories import BillingAccountFactory
from vool.domain.ledger import operations, queries
from vool.domain.ledger.models import LedgerAccount, LedgerTransaction, Posting

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC)
D = Decimal


def new(account_id: int, *postings: tuple[str, Decimal], document_id: int = 1):  # type: ignore[no-untyped-def]
    return operations.NewTransaction(
        billing_account_id=account_id,
        kind=LedgerTransaction.Kind.ADJUSTMENT,
        document_type="test.Document",
        document_id=document_id,
        reference="T1",
        posted_date=AS_OF.date(),
        postings=postings,
    )


class TestPostTransactions:
    def test_a_balanced_transaction_is_written_with_its_postings(self) -> None:
        account = BillingAccountFactory()
        (tid,) = operations.post_transactions(
            transactions=[
                new(
                    account.pk,
                    (LedgerAccount.RECEIVABLE, D("12.40")),
                    (LedgerAccount.REVENUE_ENERGY, D("-10.00")),
                    (LedgerAccount.VAT_PAYABLE, D("-2.40")),
                )
            ],
            created_at=AS_OF,
        )
        assert Posting.objects.filter(transaction_id=tid).count() == 3
        assert queries.receivable_balance(billing_account_id=account.pk) == D("12.40")
        assert queries.account_totals() == {
            "RECEIVABLE": D("12.40"),
            "REVENUE_ENERGY": D("-10.00"),
            "VAT_PAYABLE": D("-2.40"),
        }

    def test_an_unbalanced_transaction_is_refused_and_nothing_is_written(self) -> None:
        account = BillingAccountFactory()
        with pytest.raises(operations.UnbalancedTransaction, match=r"sum to 0\.01"):
            operations.post_transactions(
                transactions=[
                    new(
                        account.pk,
                        (LedgerAccount.RECEIVABLE, D("12.41")),
                        (LedgerAccount.REVENUE_ENERGY, D("-12.40")),
                    ),
                ],
                created_at=AS_OF,
            )
        assert not LedgerTransaction.objects.exists()

    def test_fractions_of_a_cent_are_refused(self) -> None:
        account = BillingAccountFactory()
        with pytest.raises(operations.UnbalancedTransaction, match="fractions of a cent"):
            operations.post_transactions(
                transactions=[
                    new(
                        account.pk,
                        (LedgerAccount.RECEIVABLE, D("0.001")),
                        (LedgerAccount.CASH, D("-0.001")),
                    ),
                ],
                created_at=AS_OF,
            )

    def test_a_document_is_posted_once(self) -> None:
        account = BillingAccountFactory()
        pair = ((LedgerAccount.RECEIVABLE, D("1.00")), (LedgerAccount.CASH, D("-1.00")))
        operations.post_transactions(transactions=[new(account.pk, *pair)], created_at=AS_OF)
        with (
            pytest.raises(Exception, match=r"ledger_one_transaction_per_document|UNIQUE"),
            transaction.atomic(),
        ):
            operations.post_transactions(transactions=[new(account.pk, *pair)], created_at=AS_OF)


class TestPostDocuments:
    """The set-based form the bill run's final step uses (INSERT ... SELECT)."""

    DOCUMENTS = (
        "SELECT id AS billing_account_id, 'ADJUSTMENT' AS kind, id AS document_id, "
        "'R1' AS reference, %s AS posted_date FROM customers_billingaccount WHERE id = %s"
    )

    def postings(self, second: str) -> str:
        return (
            "SELECT id AS document_id, id AS billing_account_id, 'RECEIVABLE' AS account, "
            "1.00 AS amount FROM customers_billingaccount WHERE id = %s UNION ALL "
            f"SELECT id, id, 'CASH', {second} FROM customers_billingaccount WHERE id = %s"
        )

    def test_balanced_documents_are_posted(self) -> None:
        account = BillingAccountFactory()
        count = operations.post_documents(
            document_type="test.Document",
            documents_sql=self.DOCUMENTS,
            documents_params=[AS_OF.date(), account.pk],
            postings_sql=self.postings("-1.00"),
            postings_params=[account.pk, account.pk],
            created_at=AS_OF,
        )
        assert count == 1
        assert queries.receivable_balance(billing_account_id=account.pk) == D("1.00")
        assert queries.unbalanced_transactions() == []

    def test_an_unbalanced_document_is_refused(self) -> None:
        account = BillingAccountFactory()
        with (
            pytest.raises((operations.UnbalancedTransaction, DatabaseError), match="balance"),
            transaction.atomic(),
        ):
            operations.post_documents(
                document_type="test.Document",
                documents_sql=self.DOCUMENTS,
                documents_params=[AS_OF.date(), account.pk],
                postings_sql=self.postings("-0.99"),
                postings_params=[account.pk, account.pk],
                created_at=AS_OF,
            )
        assert not LedgerTransaction.objects.exists()


class TestPayments:
    def test_a_payment_reduces_the_receivable(self) -> None:
        account = BillingAccountFactory()
        payment = operations.record_payment(
            billing_account_id=account.pk,
            amount=D("25.00"),
            received_date=dt.date(2026, 11, 10),
            reference="bank 1",
            as_of=AS_OF,
        )
        assert payment.kind == "PAYMENT"
        assert queries.receivable_balance(billing_account_id=account.pk) == D("-25.00")
        assert queries.receivable_balances(billing_account_ids=[account.pk, 0]) == {
            account.pk: D("-25.00"),
            0: D("0.00"),
        }

    def test_many_payments_at_once(self) -> None:
        first, second = BillingAccountFactory(), BillingAccountFactory()
        ids = operations.record_payments(
            payments=[
                operations.Payment(first.pk, D("10.00"), dt.date(2026, 11, 10), "a"),
                operations.Payment(second.pk, D("2.50"), dt.date(2026, 11, 11), "b"),
                operations.Payment(first.pk, D("0.01"), dt.date(2026, 11, 12), "c"),
            ],
            as_of=AS_OF,
        )
        assert len(ids) == 3
        assert queries.receivable_balances(billing_account_ids=[first.pk, second.pk]) == {
            first.pk: D("-10.01"),
            second.pk: D("-2.50"),
        }
        assert queries.account_totals()["CASH"] == D("12.51")

    def test_a_payment_is_positive(self) -> None:
        account = BillingAccountFactory()
        with pytest.raises(operations.UnableToRecordPayment):
            operations.record_payment(
                billing_account_id=account.pk,
                amount=D("0.00"),
                received_date=dt.date(2026, 11, 10),
                as_of=AS_OF,
            )


class TestDatabaseGuards:
    def _raw_posting(self, tid: int, account_id: int, amount: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_posting (transaction_id, billing_account_id, account, amount)"
                " VALUES (%s, %s, 'RECEIVABLE', %s)",
                [tid, account_id, amount],
            )

    @pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a balance check at commit needs a deferred constraint trigger; SQLite has none "
        "(there, ledger.operations.post_transactions refuses unbalanced ones)",
    )
    def test_the_database_refuses_an_unbalanced_transaction(self) -> None:
        account = BillingAccountFactory()
        (tid,) = operations.post_transactions(
            transactions=[
                new(
                    account.pk,
                    (LedgerAccount.RECEIVABLE, D("1.00")),
                    (LedgerAccount.CASH, D("-1.00")),
                )
            ],
            created_at=AS_OF,
        )
        with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
            self._raw_posting(tid, account.pk, "5.00")

    def test_the_database_refuses_edits_and_deletes(self) -> None:
        account = BillingAccountFactory()
        operations.post_transactions(
            transactions=[
                new(
                    account.pk,
                    (LedgerAccount.RECEIVABLE, D("1.00")),
                    (LedgerAccount.CASH, D("-1.00")),
                )
            ],
            created_at=AS_OF,
        )
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Posting.objects.update(amount=D("2.00"))
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM ledger_ledgertransaction")


class TestOpeningBalances:
    def test_the_first_is_an_opening_balance_a_later_change_an_adjustment(self) -> None:
        first, second = BillingAccountFactory(), BillingAccountFactory()
        taken = [
            operations.OpeningBalance(first.pk, D("40.00"), "legacy 1"),
            operations.OpeningBalance(second.pk, D("-5.50"), "legacy 2"),
        ]
        operations.post_opening_balances(balances=taken, posted_date=AS_OF.date(), created_at=AS_OF)
        later = [
            operations.OpeningBalance(first.pk, D("-40.00"), "legacy 1"),  # paid in the freeze
            operations.OpeningBalance(second.pk, D("0"), "legacy 2"),  # unchanged: no posting
        ]
        operations.post_opening_balances(balances=later, posted_date=AS_OF.date(), created_at=AS_OF)
        kinds = LedgerTransaction.objects.filter(
            document_type=operations.OPENING_BALANCE_DOCUMENT
        ).values_list("billing_account_id", "kind")
        assert sorted(kinds) == sorted(
            [
                (first.pk, LedgerTransaction.Kind.OPENING_BALANCE),
                (second.pk, LedgerTransaction.Kind.OPENING_BALANCE),
                (first.pk, LedgerTransaction.Kind.ADJUSTMENT),
            ]
        )
        balances = queries.receivable_balances(billing_account_ids=[first.pk, second.pk])
        assert balances == {first.pk: D("0.00"), second.pk: D("-5.50")}
