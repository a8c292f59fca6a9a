"""Late-payment interest and a dunning fee billed on the next invoice as their own lines,
exactly once (hand-computed; October 2026 as in test_billing_invoices: 58.25 net)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_factories import add_intervals, fixed_product, remote_account
from receivables_factories import (
    AS_OF,
    credit,
    issued_invoice,
    our_bank_account,
    statement_file,
    statutory_rates,
)
from vool.common.localtime import Month
from vool.domain.billing import charges
from vool.domain.billing.models import Invoice, PendingCharge
from vool.domain.ledger.models import Posting
from vool.domain.receivables import dunning, late_charges
from vool.domain.receivables.models import DunningLevel
from vool.usecases import bill_run, import_bank_statement

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
D = Decimal
OLD_DUE = dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def _rates() -> None:
    statutory_rates()


@pytest.fixture
def overdue():  # type: ignore[no-untyped-def]
    """A customer on a fixed price whose September bill (100.00, due 30 September) is
    unpaid, with a reminder at 10 days that costs 1.50."""
    DunningLevel.objects.all().delete()
    DunningLevel.objects.create(
        level="REMINDER",
        days_after_due=10,
        fee_amount=D("1.50"),
        minimum_amount=D("5.00"),
        valid_from=dt.date(2026, 1, 1),
    )
    contract = remote_account(product=fixed_product())
    add_intervals(contract.metering_point, OCTOBER, wh=100)
    old = issued_invoice(contract.billing_account, number=9_000_001, gross="100.00", due=OLD_DUE)
    return contract, old


def lines_of(invoice: Invoice) -> list[tuple[str, Decimal, str, Decimal | None, Decimal]]:
    return [
        (line.component, line.quantity, line.unit, line.unit_price, line.amount)
        for line in invoice.lines.order_by("position")
    ]


class TestChargesOnTheNextInvoice:
    def test_interest_and_the_fee_are_lines_of_the_next_bill_once(self, overdue) -> None:  # type: ignore[no-untyped-def]
        contract, old = overdue
        dunning.run_dunning(run_date=dt.date(2026, 10, 10), as_of=AS_OF, by="test")
        dunning.run_dunning(run_date=dt.date(2026, 11, 5), as_of=AS_OF, by="test")
        run = bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        invoice = Invoice.objects.get(run=run, billing_account=contract.billing_account)
        # interest on 100.00 at 2.15 + 8 = 10.15 % a year: 100 x 0.1015 / 365 = 0.027808219
        # a day. The run of 10 October accrues 1-9 October: 9 days -> 0.250273971 -> 0.25,
        # and the reminder's fee 1 x 1.50; the run of 5 November 10 October .. 4 November:
        # 26 days -> 0.723013694 -> 0.72.
        assert lines_of(invoice)[-3:] == [
            ("LATE_INTEREST", D("9.000"), "DAY", D("0.027808219"), D("0.25")),
            ("DUNNING_FEE", D("1.000"), "PCS", D("1.500000000"), D("1.50")),
            ("LATE_INTEREST", D("26.000"), "DAY", D("0.027808219"), D("0.72")),
        ]
        # 58.25 + 0.97 + 1.50 net; VAT 24 % only on the 58.25 (the charges are outside VAT)
        assert (invoice.net_amount, invoice.vat_amount, invoice.gross_amount) == (
            D("60.72"),
            D("13.98"),
            D("74.70"),
        )
        assert set(PendingCharge.objects.values_list("invoice_id", flat=True)) == {invoice.pk}
        revenue = dict(
            Posting.objects.filter(transaction__document_id=invoice.pk)
            .filter(account__in=["REVENUE_INTEREST", "REVENUE_DUNNING"])
            .values_list("account", "amount")
        )
        assert revenue == {"REVENUE_INTEREST": D("-0.97"), "REVENUE_DUNNING": D("-1.50")}

        # accruing to the same day again adds nothing; the next month only the new days
        again = late_charges.accrue_interest(through=dt.date(2026, 11, 4), now=AS_OF)
        assert again.charges == 0
        add_intervals(contract.metering_point, NOVEMBER, wh=100)
        dunning.run_dunning(run_date=dt.date(2026, 12, 3), as_of=AS_OF, by="test")
        december = bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 3))
        later = Invoice.objects.get(run=december, billing_account=contract.billing_account)
        # the old bill: 5 November .. 2 December = 28 days x 0.027808219 = 0.778630132 -> 0.78;
        # October's bill of 74.70 (due 19 November) is overdue too, on 74.70 - 0.97 = 73.73
        # (no interest on interest): 73.73 x 0.1015 / 365 = 0.020503000 a day, 20 November ..
        # 2 December = 13 days -> 0.266539 -> 0.27. The old bill's reminder is not charged
        # again; October's bill gets its own reminder (due + 10 days) and fee.
        assert [ln for ln in lines_of(later) if ln[0] in ("LATE_INTEREST", "DUNNING_FEE")] == [
            ("LATE_INTEREST", D("28.000"), "DAY", D("0.027808219"), D("0.78")),
            ("LATE_INTEREST", D("13.000"), "DAY", D("0.020503000"), D("0.27")),
            ("DUNNING_FEE", D("1.000"), "PCS", D("1.500000000"), D("1.50")),
        ]
        assert invoice.due_date == dt.date(2026, 11, 19)
        assert old.interest_charges.count() == 3

    def test_a_charge_another_run_billed_meanwhile_fails_the_claim(self, overdue) -> None:  # type: ignore[no-untyped-def]
        contract, old = overdue
        late_charges.accrue_interest(through=dt.date(2026, 10, 10), now=AS_OF)
        charge = PendingCharge.objects.get()
        # 10 days x 0.027808219 = 0.27808219 -> 0.28
        assert (charge.quantity, charge.amount) == (D("10.000"), D("0.28"))
        PendingCharge.objects.filter(pk=charge.pk).update(invoice=old)
        with pytest.raises(charges.ChargeTakenMeanwhile):
            charges.claim(charge_ids={contract.billing_account_id: [charge.pk]}, invoices=[old])

    def test_a_late_payment_ends_the_interest_on_its_value_date(self, overdue, tmp_path) -> None:  # type: ignore[no-untyped-def]
        contract, _ = overdue
        our_bank_account()
        reference = contract.billing_account.reference_number
        import_bank_statement.import_bank_file(
            path=statement_file(
                tmp_path / "s.xml",
                credit("P1", "100.00", reference=reference, day=dt.date(2026, 10, 6)),
            ),
            as_of=AS_OF,
        )
        result = late_charges.accrue_interest(through=dt.date(2026, 10, 31), now=AS_OF)
        # paid on 6 October: 1-5 October = 5 days x 0.027808219 = 0.139041095 -> 0.14
        assert (result.charges, result.amount) == (1, D("0.14"))
        charge = PendingCharge.objects.get()
        assert (charge.period_start, charge.period_end) == (
            dt.date(2026, 10, 1),
            dt.date(2026, 10, 6),
        )
        assert charge.basis["rate"] == "statutory 10.15 % a year / 365"


class TestChunkRunAgain:
    def test_a_chunk_run_again_bills_the_charges_on_its_new_draft_once(self, overdue) -> None:  # type: ignore[no-untyped-def]
        from vool.domain.billing import operations
        from vool.domain.billing.models import BillRunChunk

        contract, _ = overdue
        late_charges.accrue_interest(through=dt.date(2026, 10, 10), now=AS_OF)
        run = operations.create_run(
            period=OCTOBER,
            today=dt.date(2026, 11, 5),
            as_of=AS_OF,
            now=AS_OF,
        )
        chunk = BillRunChunk.objects.get(run=run)
        bill_run.run_chunk(chunk_id=chunk.pk)
        first_draft = Invoice.objects.get(run=run, status="DRAFT")
        assert PendingCharge.objects.get().invoice_id == first_draft.pk
        # the chunk runs again (a message delivered twice after a failure): its draft is
        # replaced and the charge goes onto the new one, once
        BillRunChunk.objects.filter(pk=chunk.pk).update(state=BillRunChunk.State.FAILED)
        bill_run.run_chunk(chunk_id=chunk.pk)
        draft = Invoice.objects.get(run=run, status="DRAFT")
        assert draft.pk != first_draft.pk
        assert PendingCharge.objects.get().invoice_id == draft.pk
        assert draft.lines.filter(component="LATE_INTEREST").count() == 1
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5), resume_run_id=run.pk)
        issued = Invoice.objects.get(run=run, billing_account=contract.billing_account)
        # 1-10 October: 10 days x 0.027808219 = 0.28
        assert issued.lines.get(component="LATE_INTEREST").amount == D("0.28")


def test_a_disputed_invoice_accrues_once_the_dispute_ends(overdue) -> None:  # type: ignore[no-untyped-def]
    _, old = overdue
    dunning.add_hold(
        kind="DISPUTED",
        invoice_id=old.pk,
        reason="the customer disputes the reading",
        by="clerk",
        valid_from=dt.date(2026, 10, 1),
        valid_to=dt.date(2026, 10, 20),
        as_of=AS_OF,
    )
    assert late_charges.accrue_interest(through=dt.date(2026, 10, 10), now=AS_OF).charges == 0
    after = late_charges.accrue_interest(through=dt.date(2026, 10, 20), now=AS_OF)
    # the hold ended on 20 October: 1-20 October = 20 days x 0.027808219 = 0.556 -> 0.56
    assert (after.charges, after.amount) == (1, D("0.56"))
