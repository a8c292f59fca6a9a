"""The suspense queue: allocate, split and refund with who and why; two imports at once."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import translation

from receivables_factories import (
    AS_OF,
    OURS,
    STRANGER_IBAN,
    account,
    credit,
    debit,
    issued_invoice,
    our_bank_account,
    statement_file,
)
from vool.domain.customers.models import BillingAccount
from vool.domain.ledger import queries as ledger_queries
from vool.domain.receivables import operations, queries
from vool.domain.receivables.models import Allocation, BankDebit, Payment, StatementFile
from vool.usecases import import_bank_statement


def run(path: Path) -> import_bank_statement.FileImported:
    return import_bank_statement.import_bank_file(path=path, as_of=AS_OF)


@pytest.fixture
def in_suspense(tmp_path: Path) -> Payment:
    our_bank_account()
    run(
        statement_file(
            tmp_path / "s.xml",
            credit("S1", "50.00", text="two flats", iban=STRANGER_IBAN, name="Kati Karu"),
        )
    )
    return Payment.objects.get()


@pytest.mark.django_db
class TestSuspense:
    def test_split_onto_two_accounts_with_who_and_why(self, in_suspense: Payment) -> None:
        first, second = account("10000016"), account("10000029")
        issued_invoice(first, number=1, gross="30.00", due=dt.date(2026, 10, 20))
        operations.allocate_from_suspense(
            payment_id=in_suspense.pk,
            parts=[
                operations.Part(first.pk, Decimal("30.00")),
                operations.Part(second.pk, Decimal("15.00")),
            ],
            by="clerk.anu",
            reason="customer called: both flats",
            as_of=AS_OF,
        )
        in_suspense.refresh_from_db()
        assert in_suspense.status == Payment.Status.SUSPENSE  # 5.00 still waits
        assert queries.unallocated_amount(payment=in_suspense) == Decimal("5.00")
        assert ledger_queries.receivable_balance(billing_account_id=first.pk) == Decimal("0.00")
        assert ledger_queries.receivable_balance(billing_account_id=second.pk) == Decimal("-15.00")
        # the ledger moved 45.00 from suspense to the two receivables; 5.00 is still there
        assert ledger_queries.suspense_balance() == Decimal("5.00")
        assert ledger_queries.account_totals(billing_account_id=second.pk) == {
            "RECEIVABLE": Decimal("-15.00"),
            "SUSPENSE": Decimal("15.00"),
        }
        assert ledger_queries.account_totals()["CASH"] == Decimal("50.00")
        rows = list(Allocation.objects.values_list("created_by", "reason").distinct())
        assert rows == [("clerk.anu", "customer called: both flats")]
        # the payer is now known: the next payment from the IBAN suggests both accounts
        suggestions = queries.suggestions_for(payment=Payment(payer_iban=STRANGER_IBAN))
        assert sorted(s.reference_number for s in suggestions) == ["10000016", "10000029"]

    def test_refund_the_rest_then_the_bank_debit_is_matched(
        self, in_suspense: Payment, tmp_path: Path
    ) -> None:
        target = account("10000016")
        operations.allocate_from_suspense(
            payment_id=in_suspense.pk,
            parts=[operations.Part(target.pk, Decimal("20.00"))],
            by="clerk",
            reason="by phone",
            as_of=AS_OF,
        )
        refund = operations.refund_from_suspense(
            payment_id=in_suspense.pk, by="clerk", reason="paid twice", as_of=AS_OF
        )
        assert (refund.amount, refund.refund_iban) == (Decimal("30.00"), STRANGER_IBAN)
        # paid out of suspense: nothing is left there, the bank holds the 20.00 allocated
        assert ledger_queries.suspense_balance() == Decimal("0.00")
        assert ledger_queries.account_totals()["CASH"] == Decimal("20.00")
        in_suspense.refresh_from_db()
        assert in_suspense.status == Payment.Status.ALLOCATED
        totals = queries.payment_totals()
        assert (totals.allocated, totals.refunded, totals.suspense) == (
            Decimal("20.00"),
            Decimal("30.00"),
            Decimal("0.00"),
        )
        run(
            statement_file(
                tmp_path / "d.xml", debit("D1", "30.00", iban=STRANGER_IBAN), statement_id="STMT-2"
            )
        )
        assert BankDebit.objects.get().refund == refund

    def test_refused_operations_say_why(self, in_suspense: Payment) -> None:
        target = account("10000016")
        with translation.override("en"):
            self._refuse(in_suspense, target)
        assert not Allocation.objects.exists()
        assert ledger_queries.suspense_balance() == Decimal("50.00")

    def _refuse(self, in_suspense: Payment, target: BillingAccount) -> None:
        with pytest.raises(operations.UnableToAllocate, match="Say why"):
            operations.allocate_from_suspense(
                payment_id=in_suspense.pk,
                parts=[operations.Part(target.pk, Decimal("1.00"))],
                by="clerk",
                reason=" ",
                as_of=AS_OF,
            )
        with pytest.raises(operations.UnableToAllocate, match=r"has €50\.00 in suspense"):
            operations.allocate_from_suspense(
                payment_id=in_suspense.pk,
                parts=[operations.Part(target.pk, Decimal("50.01"))],
                by="clerk",
                reason="x",
                as_of=AS_OF,
            )
        with pytest.raises(operations.UnableToAllocate, match="whole cents"):
            operations.refund_from_suspense(
                payment_id=in_suspense.pk, amount=Decimal("1.005"), by="c", reason="x", as_of=AS_OF
            )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL's row locks"
)
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_once_store_it_once(tmp_path: Path) -> None:
    our_bank_account()
    account("10000016")
    path = statement_file(
        tmp_path / "s.xml", credit("C1", "30.00", reference="10000016"), credit("C2", "5.00")
    )
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(run(path).result)
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.duplicate_file for o in outcomes) == [False, True]  # type: ignore[attr-defined]
    assert StatementFile.objects.count() == 1
    assert Payment.objects.count() == 2
    assert ledger_queries.receivable_balance(
        billing_account_id=account_id_of("10000016")
    ) == Decimal("-30.00")
    assert OURS


def account_id_of(reference: str) -> int:
    from vool.domain.customers.models import BillingAccount

    return BillingAccount.objects.get(reference_number=reference).pk
