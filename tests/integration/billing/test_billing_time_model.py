"""One time model: a run bills the data known at its cut-off (``as_of``), every invoice records
the interval versions it billed, and a true-up is chosen by version: no correction is billed
twice or dropped, whenever it arrives (before the cut-off, while a chunk waits, mid-resume).
The issue date and the audit times are separate from the cut-off."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import translation

from billing_factories import add_intervals, fixed_product, import_day, remote_account, superuser
from vool.common.localtime import Month, local_midnight
from vool.domain.billing import operations
from vool.domain.billing.models import (
    BillRunChunk,
    BillRunException,
    Invoice,
    InvoiceIntervalDays,
)
from vool.domain.contracts.models import SupplyContract
from vool.domain.integrity import operations as integrity
from vool.domain.metering.models import IntervalCorrection, IntervalDay
from vool.domain.metering.window import DEFAULT_WINDOW
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
DECEMBER = Month(2026, 12)
BILL_DAY = dt.date(2026, 11, 5)
CUT_OFF = local_midnight(BILL_DAY)  # the run's as_of: midnight starting the issue day
TENTH = dt.date(2026, 10, 10)
D = Decimal


def energy_kwh(invoice: Invoice, *, month: Month, true_up: bool | None = None) -> Decimal:
    """kWh of the ENERGY lines of ``invoice`` that bill days of ``month``."""
    lines = invoice.lines.filter(
        component="ENERGY",
        period_start__gte=month.first_day,
        period_start__lt=month.next().first_day,
    )
    if true_up is not None:
        lines = lines.filter(is_true_up=true_up)
    return sum((line.quantity for line in lines), D("0.000"))


def live_invoice(contract: SupplyContract, month: Month) -> Invoice:
    return Invoice.objects.get(
        billing_account=contract.billing_account,
        period=str(month),
        kind="INVOICE",
        status="ISSUED",
    )


def october_billed_in_total(contract: SupplyContract) -> Decimal:
    """kWh of October on every live invoice of the account (its bill and later true-ups)."""
    return sum(
        (
            energy_kwh(invoice, month=OCTOBER)
            for invoice in Invoice.objects.filter(
                billing_account=contract.billing_account, kind="INVOICE", status="ISSUED"
            )
        ),
        D("0.000"),
    )


@pytest.fixture
def contract() -> SupplyContract:
    contract = remote_account(product=fixed_product())
    for month in (OCTOBER, NOVEMBER):
        add_intervals(contract.metering_point, month, wh=100)  # October 2,980 quarters: 298 kWh
    return contract


def start_october(chunk_size: int = 500) -> int:
    run = operations.create_run(
        period=OCTOBER, today=BILL_DAY, as_of=CUT_OFF, now=CUT_OFF, chunk_size=chunk_size
    )
    return int(run.pk)


class TestTheRace:
    """Reproduced: October 302.8 kWh, then November added a 4.8 kWh true-up of the same data."""

    def test_a_correction_arriving_after_the_cut_off_is_billed_once(
        self, contract: SupplyContract
    ) -> None:
        run_id = start_october()
        # 00:30, after the cut-off, before the chunk runs: 10 October 100 -> 150 Wh a quarter
        import_day(contract.metering_point, TENTH, 150, as_of=CUT_OFF + dt.timedelta(minutes=30))
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run_id)
        october = live_invoice(contract, OCTOBER)
        assert energy_kwh(october, month=OCTOBER) == D("298.000")  # as known at the cut-off
        assert [d.versions[9] for d in InvoiceIntervalDays.objects.filter(invoice=october)] == [1]

        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        november = live_invoice(contract, NOVEMBER)
        assert energy_kwh(november, month=OCTOBER, true_up=True) == D("4.800")
        assert october_billed_in_total(contract) == D("302.800")
        assert IntervalCorrection.objects.get().settled_at is not None

        add_intervals(contract.metering_point, DECEMBER, wh=100)
        bill_run.run_billing(period=DECEMBER, today=dt.date(2027, 1, 5))
        assert energy_kwh(live_invoice(contract, DECEMBER), month=OCTOBER) == D("0.000")
        assert october_billed_in_total(contract) == D("302.800")

    def test_a_correction_known_before_the_cut_off_is_not_trued_up_again(
        self, contract: SupplyContract
    ) -> None:
        import_day(contract.metering_point, TENTH, 150, as_of=CUT_OFF - dt.timedelta(hours=1))
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        assert energy_kwh(live_invoice(contract, OCTOBER), month=OCTOBER) == D("302.800")
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        november = live_invoice(contract, NOVEMBER)
        assert not november.lines.filter(is_true_up=True).exists()
        assert october_billed_in_total(contract) == D("302.800")
        assert IntervalCorrection.objects.get().settled_at is not None

    def test_a_correction_arriving_mid_resume_is_not_dropped(self) -> None:
        product = fixed_product()
        first, second = (remote_account(product=product) for _ in range(2))
        for c in (first, second):
            add_intervals(c.metering_point, OCTOBER, wh=100)
            add_intervals(c.metering_point, NOVEMBER, wh=100)
        run_id = start_october(chunk_size=1)
        chunk = operations.run_chunk(
            chunk_id=int(BillRunChunk.objects.get(run_id=run_id, index=0).pk),
            clock=lambda: CUT_OFF + dt.timedelta(minutes=5),
            window=DEFAULT_WINDOW,
            limits=bill_run.guard_limits(),
        )
        assert chunk.state == "DONE"
        # the run stops here; corrections of both accounts' 10 October come in meanwhile
        for c in (first, second):
            import_day(c.metering_point, TENTH, 150, as_of=CUT_OFF + dt.timedelta(hours=2))
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run_id)
        for c in (first, second):
            assert energy_kwh(live_invoice(c, OCTOBER), month=OCTOBER) == D("298.000")
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        for c in (first, second):
            november = live_invoice(c, NOVEMBER)
            assert energy_kwh(november, month=OCTOBER, true_up=True) == D("4.800")
            assert october_billed_in_total(c) == D("302.800")


class TestCreditAndRebillByVersion:
    def test_a_rebill_offsets_the_true_ups_later_bills_made(self, contract: SupplyContract) -> None:
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        import_day(contract.metering_point, TENTH, 150, as_of=CUT_OFF + dt.timedelta(days=2))
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        assert october_billed_in_total(contract) == D("302.800")
        # October is credited and billed again on the corrected data: the rebill bills
        # 302.8 kWh and takes back the 4.8 kWh November already trued up
        again = bill_run.rebill_account(
            reference_or_id=contract.billing_account.reference_number,
            period=OCTOBER,
            today=dt.date(2026, 12, 10),
            as_of=dt.datetime(2026, 12, 10, tzinfo=dt.UTC),
        )
        assert energy_kwh(again, month=OCTOBER, true_up=False) == D("302.800")
        assert energy_kwh(again, month=OCTOBER, true_up=True) == D("-4.800")
        assert october_billed_in_total(contract) == D("302.800")
        assert again.as_of == dt.datetime(2026, 12, 10, tzinfo=dt.UTC)

    def test_no_rebill_while_a_run_holds_drafts_of_the_account(
        self, contract: SupplyContract
    ) -> None:
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        import_day(contract.metering_point, TENTH, 150, as_of=CUT_OFF + dt.timedelta(days=2))
        run = operations.create_run(
            period=NOVEMBER,
            today=dt.date(2026, 12, 4),
            as_of=local_midnight(dt.date(2026, 12, 4)),
            now=local_midnight(dt.date(2026, 12, 4)),
        )
        operations.run_chunk(
            chunk_id=run.chunks.get().pk,
            clock=lambda: local_midnight(dt.date(2026, 12, 4)),
            window=DEFAULT_WINDOW,
            limits=bill_run.guard_limits(),
        )
        # November's draft trues up 10 October; rebilling October now would bill it twice
        with (
            translation.override("en"),
            pytest.raises(operations.UnableToRebill, match=f"run {run.pk}.*2026-11"),
        ):
            bill_run.rebill_account(
                reference_or_id=contract.billing_account.reference_number,
                period=OCTOBER,
                today=dt.date(2026, 12, 4),
            )
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4), resume_run_id=run.pk)
        assert october_billed_in_total(contract) == D("302.800")

    def test_crediting_a_true_up_opens_it_for_the_next_bill(self, contract: SupplyContract) -> None:
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        import_day(contract.metering_point, TENTH, 150, as_of=CUT_OFF + dt.timedelta(days=2))
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        november = live_invoice(contract, NOVEMBER)
        assert november.number is not None
        bill_run.credit_invoice(number=november.number, reason="x", today=dt.date(2026, 12, 9))
        assert october_billed_in_total(contract) == D("298.000")
        add_intervals(contract.metering_point, DECEMBER, wh=100)
        bill_run.run_billing(period=DECEMBER, today=dt.date(2027, 1, 5))
        assert energy_kwh(live_invoice(contract, DECEMBER), month=OCTOBER) == D("4.800")
        assert october_billed_in_total(contract) == D("302.800")


class TestTrueUpsThatCannotBePriced:
    def test_a_corrected_day_no_contract_covers_any_more_is_a_run_exception(
        self, contract: SupplyContract
    ) -> None:
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        import_day(contract.metering_point, TENTH, 150, as_of=CUT_OFF + dt.timedelta(days=2))
        # the contract is found to have started on 1 November; the October bill stays
        SupplyContract.objects.filter(pk=contract.pk).update(valid_from=NOVEMBER.first_day)
        run = bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        exception = BillRunException.objects.get(run=run)
        assert exception.code == "NO_CONTRACT"
        assert "2026-10-10" in exception.reason and "no supply contract" in exception.reason
        assert IntervalCorrection.objects.get().settled_at is None

    def test_a_corrected_day_with_the_wrong_number_of_values_is_a_run_exception(
        self, contract: SupplyContract
    ) -> None:
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        import_day(contract.metering_point, TENTH, 150, as_of=CUT_OFF + dt.timedelta(days=2))
        # a version written around the import, with one value short
        broken = IntervalDay.objects.get(
            metering_point=contract.metering_point, day=TENTH, version=2
        )
        with integrity.maintenance(reason="test: a version stored one value short"):
            IntervalDay.objects.filter(pk=broken.pk).update(values_wh=bytes(broken.values_wh)[:-4])
        run = bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        exception = BillRunException.objects.get(run=run)
        assert exception.code == "NO_CONSUMPTION_DATA"
        assert "has 95 values, the day has 96" in exception.reason


class TestTimes:
    def test_issue_date_cut_off_and_audit_times_are_three_things(
        self, contract: SupplyContract
    ) -> None:
        ticks = (
            dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=s)
            for s in itertools.count()
        )
        run = bill_run.run_billing(
            period=OCTOBER,
            today=BILL_DAY,
            as_of=CUT_OFF,
            clock=lambda: next(ticks),
        )
        invoice = live_invoice(contract, OCTOBER)
        assert run.as_of == invoice.as_of == CUT_OFF
        assert run.issue_date == invoice.issue_date == BILL_DAY
        assert run.created_at == dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC)
        assert run.started_at is not None and run.finished_at is not None
        assert run.created_at < run.started_at < run.finished_at
        assert invoice.issued_at == run.finished_at
        assert invoice.created_at is not None and invoice.created_at > run.started_at
        chunk = run.chunks.get()
        assert chunk.started_at is not None and chunk.finished_at is not None
        assert run.started_at < chunk.started_at < chunk.finished_at < run.finished_at

    def test_a_forced_run_of_a_billed_month_says_so_and_points_to_rebill(
        self, contract: SupplyContract
    ) -> None:
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        with pytest.raises(operations.UnableToStartRun, match="juba arveldatud") as caught:
            bill_run.run_billing(
                period=OCTOBER,
                today=dt.date(2026, 11, 20),
                forced_by=superuser("mari"),
                forced_reason="again",
            )
        assert "vool billing rebill" in str(caught.value)

    def test_a_forced_run_bills_the_accounts_left_and_counts_the_others(self) -> None:
        product = fixed_product()
        contracts = [remote_account(product=product) for _ in range(2)]
        for c in contracts:
            add_intervals(c.metering_point, OCTOBER, wh=100)
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)
        first = live_invoice(contracts[0], OCTOBER)
        assert first.number is not None
        bill_run.credit_invoice(number=first.number, reason="x", today=dt.date(2026, 11, 20))
        run = bill_run.run_billing(
            period=OCTOBER,
            today=dt.date(2026, 11, 20),
            forced_by=superuser("mari"),
            forced_reason="again",
        )
        assert run.invoice_count == 1 and run.report["already_billed"] == 1
        assert live_invoice(contracts[0], OCTOBER).run_id == run.pk
