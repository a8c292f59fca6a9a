"""Credit notes, rebills, the billing window and idempotent runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from billing_factories import (
    add_intervals,
    add_reading,
    fixed_product,
    manual_account,
    remote_account,
    superuser,
)
from vool.common.localtime import Month
from vool.domain.billing import operations
from vool.domain.billing.models import BillRun, Invoice
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerTransaction
from vool.domain.metering.window import DEFAULT_WINDOW
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
BILL_DAY = dt.date(2026, 11, 5)
D = Decimal


def three_accounts() -> list[int]:
    product = fixed_product()
    ids = []
    for wh in (100, 200, 300):
        contract = remote_account(product=product)
        add_intervals(contract.metering_point, OCTOBER, wh=wh)
        ids.append(contract.billing_account_id)
    return ids


class TestBillingWindow:
    @pytest.mark.parametrize("today", [dt.date(2026, 10, 31), dt.date(2026, 11, 10)])
    def test_refuses_outside_days_1_to_9(self, today: dt.date) -> None:
        three_accounts()
        with pytest.raises(operations.OutsideBillingWindow, match="2026-11-01 kuni 2026-11-09"):
            bill_run.run_billing(period=OCTOBER, today=today)
        assert not BillRun.objects.exists()

    def test_forced_run_records_who_and_why(self) -> None:
        three_accounts()
        run = bill_run.run_billing(
            period=OCTOBER,
            today=dt.date(2026, 11, 12),
            forced_by=superuser("mari"),
            forced_reason="bank holiday delayed the run",
        )
        assert run.status == "DONE" and run.forced
        assert (run.forced_by, run.forced_reason) == ("mari", "bank holiday delayed the run")

    def test_forcing_needs_who_and_why(self) -> None:
        with pytest.raises(operations.UnableToStartRun, match="kes selle käivitab, kui ka põhjust"):
            bill_run.run_billing(
                period=OCTOBER, today=dt.date(2026, 11, 12), forced_by=superuser("mari")
            )

    def test_never_bills_a_month_that_is_not_over(self) -> None:
        with pytest.raises(operations.UnableToStartRun, match="veel lõppenud"):
            bill_run.run_billing(
                period=Month(2026, 11),
                today=dt.date(2026, 11, 20),
                forced_by=superuser("x"),
                forced_reason="y",
            )


class TestRunsAndNumbers:
    def test_numbers_are_consecutive_in_account_order(self) -> None:
        ids = three_accounts()
        run = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, chunk_size=1)
        numbers = list(
            Invoice.objects.filter(run=run)
            .order_by("billing_account_id")
            .values_list("number", flat=True)
        )
        assert numbers == [1, 2, 3]
        assert (run.first_number, run.last_number) == (1, 3)
        assert run.chunks.count() == 3
        # 298, 596 and 894 kWh x (0.12 + 0.05 + 0.002) + fees 2.99 + 4.00 each (lines rounded):
        # net 58.25 + 109.50 + 160.76, VAT 13.98 + 26.28 + 38.58
        assert (run.net_amount, run.vat_amount, run.gross_amount) == (
            D("328.51"),
            D("78.84"),
            D("407.35"),
        )
        assert run.report["by_component"] == {
            "ENERGY": "214.56",
            "EXCISE": "3.58",
            "NETWORK_ENERGY": "89.40",
            "NETWORK_FEE": "12.00",
            "PRODUCT_FEE": "8.97",
        }
        assert run.report["by_vat_rate"] == {"0.24": {"base": "328.51", "vat": "78.84"}}
        assert sorted(ids) == sorted(
            Invoice.objects.filter(run=run).values_list("billing_account_id", flat=True)
        )

    def test_a_second_run_bills_nobody_twice(self) -> None:
        three_accounts()
        first = bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        second = bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 6))
        assert first.invoice_count == 3
        assert second.invoice_count == 0 and second.first_number is None
        assert Invoice.objects.count() == 3

    def test_the_database_refuses_a_second_invoice_for_the_period(self) -> None:
        three_accounts()
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        invoice = Invoice.objects.first()
        assert invoice is not None
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.create(
                billing_account_id=invoice.billing_account_id,
                period=invoice.period,
                net_amount=0,
                vat_amount=0,
                gross_amount=0,
                created_at=invoice.created_at,
            )

    def test_an_unfinished_run_blocks_a_new_one_until_resumed(self) -> None:
        three_accounts()
        as_of = dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
        run = operations.create_run(
            period=OCTOBER, today=BILL_DAY, as_of=as_of, now=as_of, chunk_size=1
        )
        operations.run_chunk(
            chunk_id=run.chunks.get(index=0).pk,
            clock=lambda: as_of,
            window=DEFAULT_WINDOW,
            limits=bill_run.guard_limits(),
        )
        with pytest.raises(operations.UnableToStartRun, match=f"--resume {run.pk}"):
            bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        with pytest.raises(operations.UnableToIssue):
            operations.issue_run(run_id=run.pk, now=as_of)
        # a chunk run twice is the same as once
        operations.run_chunk(
            chunk_id=run.chunks.get(index=0).pk,
            clock=lambda: as_of,
            window=DEFAULT_WINDOW,
            limits=bill_run.guard_limits(),
        )
        done = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run.pk)
        assert done.status == "DONE" and done.invoice_count == 3
        assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3]


class TestCreditNotes:
    def test_a_credit_note_reverses_the_invoice_in_the_ledger(self) -> None:
        three_accounts()
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        invoice = Invoice.objects.get(number=1)
        note = bill_run.credit_invoice(
            number=1, reason="wrong meter", today=dt.date(2026, 11, 20), user="mari"
        )
        invoice.refresh_from_db()
        assert invoice.status == "CANCELLED"
        assert (note.kind, note.status, note.number) == ("CREDIT_NOTE", "ISSUED", 4)
        assert (note.net_amount, note.vat_amount, note.gross_amount) == (
            D("-58.25"),
            D("-13.98"),
            D("-72.23"),
        )
        assert [line.amount for line in note.lines.order_by("position")] == [
            D("-35.76"),
            D("-2.99"),
            D("-14.90"),
            D("-4.00"),
            D("-0.60"),
        ]
        assert note.credited_invoice_id == invoice.pk and note.created_by == "mari"
        account = invoice.billing_account_id
        assert ledger_queries.receivable_balance(billing_account_id=account) == D("0.00")
        assert (
            LedgerTransaction.objects.filter(billing_account_id=account, kind="CREDIT_NOTE").count()
            == 1
        )
        assert ledger_queries.unbalanced_transactions() == []

    def test_an_invoice_is_credited_once(self) -> None:
        three_accounts()
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        bill_run.credit_invoice(number=2, reason="x", today=BILL_DAY)
        with translation.override("en"):
            with pytest.raises(operations.UnableToCreditInvoice, match="is Cancelled, not Issued"):
                bill_run.credit_invoice(number=2, reason="x", today=BILL_DAY)
            with pytest.raises(operations.UnableToCreditInvoice, match="credit note"):
                bill_run.credit_invoice(number=4, reason="x", today=BILL_DAY)
            with pytest.raises(operations.UnableToCreditInvoice, match="no invoice number 99"):
                bill_run.credit_invoice(number=99, reason="x", today=BILL_DAY)


class TestRebill:
    def test_rebill_after_a_corrected_reading(self) -> None:
        contract, register = manual_account(product=fixed_product())
        add_reading(register, Month(2026, 9), "1000")
        wrong = add_reading(register, OCTOBER, "1250")
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        first = Invoice.objects.get(number=1)
        assert first.gross_amount == D("61.99")
        # the reading is corrected (a new reading supersedes the old one)
        add_reading(register, OCTOBER, "1150", supersedes=wrong)
        reference = contract.billing_account.reference_number
        invoice = bill_run.rebill_account(
            reference_or_id=reference, period=OCTOBER, today=dt.date(2026, 11, 20)
        )
        # 150 kWh: 18.00 + 7.50 + 0.30; fees 2.99 + 4.00; net 32.79, VAT 24 % = 7.8696
        assert (invoice.number, invoice.gross_amount) == (3, D("40.66"))
        first.refresh_from_db()
        assert first.status == "CANCELLED"
        credit = Invoice.objects.get(number=2)
        assert (credit.kind, credit.gross_amount) == ("CREDIT_NOTE", D("-61.99"))
        account = contract.billing_account_id
        assert ledger_queries.receivable_balance(billing_account_id=account) == D("40.66")

    def test_rebill_of_an_unknown_account(self) -> None:
        with pytest.raises(operations.UnableToRebill, match="No billing account"):
            bill_run.rebill_account(reference_or_id="0000", period=OCTOBER, today=BILL_DAY)
