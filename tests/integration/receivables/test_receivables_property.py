"""Property: after any mix of invoices, credit notes, bank payments (matched or not), clerk
allocations, refunds and bank reversals, each account's ledger balance equals its invoices
minus what payments put on it, allocated + suspense + refunded = received, and the ledger
says so: its SUSPENSE balance is the payments' suspense total and its CASH balance what was
received less what was refunded or returned, at every step."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receivables_factories import AS_OF, DAY, OURS, account, issued_invoice, our_bank_account
from vool.domain.billing import operations as billing_operations
from vool.domain.billing.models import Invoice
from vool.domain.ledger import queries as ledger_queries
from vool.domain.receivables import operations, queries
from vool.domain.receivables.models import InvoiceSettlement, Payment
from vool.integrations.bank import camt, camt_writer
from vool.usecases.import_bank_statement import to_statement

REFERENCES = ("10000016", "10000029")
PAYER_IBANS = ("EE462200221011112222", "EE437700771003334444")

step = st.one_of(
    st.tuples(st.just("invoice"), st.integers(0, 1), st.integers(1, 10_000)),
    st.tuples(st.just("credit"), st.integers(0, 7)),
    st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 10_000)),
    st.tuples(st.just("reverse"), st.integers(0, 7)),
    st.tuples(st.just("allocate"), st.integers(0, 7), st.integers(0, 1)),
    st.tuples(st.just("refund"), st.integers(0, 7)),
)


class Book:
    """Runs the steps through the real operations and bank-file import."""

    def __init__(self) -> None:
        our_bank_account()
        self.accounts = [account(ref).pk for ref in REFERENCES]
        self.invoices: list[int] = []
        self.payments: list[int] = []
        self.files = 0

    def _import(self, *lines: camt_writer.StatementLine) -> None:
        self.files += 1
        data = camt_writer.write(
            account_iban=OURS, statement_id=f"S{self.files}", created_at=AS_OF, lines=lines
        )
        parsed = camt.parse(data, schemas_dir=django_settings.VOOL_SCHEMAS_DIR)
        operations.import_statement(
            statement=to_statement(parsed, file_name=f"s{self.files}.xml"), as_of=AS_OF
        )

    def invoice(self, who: int, cents: int) -> None:
        n = len(self.invoices)
        invoice = issued_invoice(
            account_of(self.accounts[who]),
            number=1_000_000 + n,
            gross=str(Decimal(cents).scaleb(-2)),
            due=dt.date(2026, 1, 20) + dt.timedelta(days=n),
            period=f"{2000 + n}-01",
        )
        self.invoices.append(invoice.pk)

    def credit(self, index: int) -> None:
        if index >= len(self.invoices):
            return
        number = Invoice.objects.get(pk=self.invoices[index]).number
        assert number is not None
        with contextlib.suppress(billing_operations.UnableToCreditInvoice):
            billing_operations.credit_invoice(
                number=number, reason="property", today=DAY, now=AS_OF
            )

    def pay(self, who: int, cents: int) -> None:
        key = f"P{len(self.payments)}"
        reference = REFERENCES[who] if who < 2 else ""
        self._import(
            camt_writer.StatementLine(
                key,
                Decimal(cents).scaleb(-2),
                True,
                DAY,
                iban=PAYER_IBANS[who % 2],
                reference=reference,
                text="" if reference else "no reference",
                end_to_end_id=f"E2E-{key}",
            )
        )
        self.payments.append(Payment.objects.get(entry_key=key).pk)

    def reverse(self, index: int) -> None:
        if index >= len(self.payments):
            return
        payment = Payment.objects.get(pk=self.payments[index])
        self._import(
            camt_writer.StatementLine(
                f"R{self.files}",
                payment.amount,
                False,
                DAY,
                is_reversal=True,
                iban=payment.payer_iban,
                end_to_end_id=payment.end_to_end_id,
            )
        )

    def allocate(self, index: int, who: int) -> None:
        if index >= len(self.payments):
            return
        payment = Payment.objects.get(pk=self.payments[index])
        left = queries.unallocated_amount(payment=payment)
        if left > 0:
            operations.allocate_from_suspense(
                payment_id=payment.pk,
                parts=[operations.Part(self.accounts[who], left)],
                by="clerk",
                reason="property",
                as_of=AS_OF,
            )

    def refund(self, index: int) -> None:
        if index >= len(self.payments):
            return
        payment = Payment.objects.get(pk=self.payments[index])
        if queries.unallocated_amount(payment=payment) > 0:
            operations.refund_from_suspense(
                payment_id=payment.pk, by="clerk", reason="property", as_of=AS_OF
            )


def account_of(pk: int):  # type: ignore[no-untyped-def]
    from vool.domain.customers.models import BillingAccount

    return BillingAccount.objects.get(pk=pk)


def check(book: Book) -> None:
    for account_id in book.accounts:
        ledger = ledger_queries.receivable_balance(billing_account_id=account_id)
        documents = queries.invoiced_total(
            billing_account_id=account_id
        ) - queries.allocated_to_account(billing_account_id=account_id)
        assert ledger == documents
        # payments settle invoices only with money that is on the account
        settled = sum(
            (
                s.amount
                for s in InvoiceSettlement.objects.filter(allocation__billing_account_id=account_id)
            ),
            Decimal(0),
        )
        assert (
            Decimal(0)
            <= settled
            <= max(queries.allocated_to_account(billing_account_id=account_id), Decimal(0))
        )
    totals = queries.payment_totals()
    assert totals.allocated + totals.suspense + totals.refunded == totals.received
    assert totals.received == sum((p.amount for p in Payment.objects.all()), Decimal("0.00"))
    assert ledger_queries.unbalanced_transactions() == []
    assert ledger_queries.suspense_balance() == totals.suspense
    assert ledger_queries.account_totals().get("CASH", Decimal("0.00")) == (
        totals.received - totals.refunded
    )
    for payment in Payment.objects.all():
        left = queries.unallocated_amount(payment=payment)
        assert Decimal(0) <= left <= payment.amount
        assert (left > 0) == (payment.status == Payment.Status.SUSPENSE)
    for invoice in Invoice.objects.filter(kind="INVOICE"):
        settled = sum(
            (s.amount for s in InvoiceSettlement.objects.filter(invoice=invoice)), Decimal(0)
        )
        assert Decimal(0) <= settled <= invoice.amount_due


@pytest.mark.django_db
@settings(
    max_examples=30,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, max_size=12))
def test_every_payment_is_allocated_in_suspense_or_refunded(
    steps: list[tuple[object, ...]],
) -> None:
    with transaction.atomic():
        book = Book()
        for action, *args in steps:
            getattr(book, str(action))(*args)
            check(book)
        transaction.set_rollback(True)
