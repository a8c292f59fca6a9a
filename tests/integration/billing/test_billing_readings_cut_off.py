"""Register readings on the one time model: a run bills the readings known at its data cut-off
(``as_of``). A reading corrected after the cut-off (a new reading that supersedes, known from
the correction's as-of) is not on that run's bills, also when a chunk runs or is resumed later;
the next bill takes the corrected reading (a register's advances add up, so nothing is billed
twice or lost), and a rebill of the month takes it too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from billing_factories import add_reading, fixed_product, manual_account
from vool.common.localtime import Month, local_midnight
from vool.domain.billing import operations
from vool.domain.billing.models import BillRunChunk, Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.metering import operations as metering
from vool.domain.metering.models import Reading, Register
from vool.domain.metering.queries import readings_known_at
from vool.domain.metering.window import DEFAULT_WINDOW
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

D = Decimal
SEPTEMBER, OCTOBER, NOVEMBER = Month(2026, 9), Month(2026, 10), Month(2026, 11)
BILL_DAY = dt.date(2026, 11, 5)
CUT_OFF = local_midnight(BILL_DAY)


def live(contract: SupplyContract, month: Month) -> Invoice:
    return Invoice.objects.get(
        billing_account=contract.billing_account,
        period=str(month),
        kind="INVOICE",
        status="ISSUED",
    )


def energy(invoice: Invoice, *, of: Month, true_up: bool) -> Decimal:
    """kWh of the ENERGY lines of ``invoice`` that bill days of ``of``."""
    lines = invoice.lines.filter(
        component="ENERGY",
        is_true_up=true_up,
        period_start__gte=of.first_day,
        period_start__lt=of.next().first_day,
    )
    return sum((line.quantity for line in lines), D("0.000"))


def october_in_total(contract: SupplyContract) -> Decimal:
    """kWh of October on every live invoice of the account (its bill and true-ups)."""
    return sum(
        (
            energy(invoice, of=OCTOBER, true_up=flag)
            for invoice in Invoice.objects.filter(
                billing_account=contract.billing_account, kind="INVOICE", status="ISSUED"
            )
            for flag in (False, True)
        ),
        D("0.000"),
    )


def account() -> tuple[SupplyContract, Register, Reading]:
    """September ends at 1000, October at 1200 (200 kWh), both known when read."""
    contract, register = manual_account(product=fixed_product())
    add_reading(register, SEPTEMBER, "1000")
    return contract, register, add_reading(register, OCTOBER, "1200")


def correct(reading: Reading, value: str, *, as_of: dt.datetime) -> Reading:
    return metering.correct_reading(
        reading=reading, value_kwh=D(value), reason="Customer sent a photo.", as_of=as_of
    )


def start_october(chunk_size: int = 500) -> int:
    run = operations.create_run(
        period=OCTOBER, today=BILL_DAY, as_of=CUT_OFF, now=CUT_OFF, chunk_size=chunk_size
    )
    return int(run.pk)


class TestReadingsKnownAtTheCutOff:
    def test_a_reading_superseded_after_the_cut_off_is_still_the_current_one_then(self) -> None:
        _, register, original = account()
        corrected = correct(original, "1250", as_of=CUT_OFF + dt.timedelta(minutes=30))
        october = {r.pk for r in readings_known_at(CUT_OFF).filter(register=register)}
        assert original.pk in october and corrected.pk not in october
        later = {
            r.pk
            for r in readings_known_at(CUT_OFF + dt.timedelta(hours=1)).filter(register=register)
        }
        assert corrected.pk in later and original.pk not in later

    def test_a_correction_cannot_be_known_before_the_reading_it_replaces(self) -> None:
        _, _, original = account()
        later = correct(original, "1250", as_of=CUT_OFF + dt.timedelta(days=1))
        with (
            translation.override("en"),
            pytest.raises(metering.UnableToSubmitReading, match="known only from"),
        ):
            correct(later, "1260", as_of=CUT_OFF)
        assert Reading.objects.filter(supersedes=later).count() == 0


class TestACorrectionAfterTheCutOff:
    def test_is_not_billed_by_the_run_and_the_next_bill_takes_it(self) -> None:
        contract, register, original = account()
        run_id = start_october()
        # 00:30, after the cut-off, before the chunk runs: October's reading 1200 -> 1250
        correct(original, "1250", as_of=CUT_OFF + dt.timedelta(minutes=30))
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run_id)
        # 1200 - 1000, as known at the cut-off
        assert energy(live(contract, OCTOBER), of=OCTOBER, true_up=False) == D("200.000")

        add_reading(register, NOVEMBER, "1400")
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        november = live(contract, NOVEMBER)
        # November from the corrected 1250 to 1400, and a true-up of October: 1250 - 1200
        assert energy(november, of=NOVEMBER, true_up=False) == D("150.000")
        true_up = november.lines.get(component="ENERGY", is_true_up=True)
        assert (true_up.quantity, true_up.unit_price, true_up.amount) == (
            D("50.000"),
            D("0.120000"),
            D("6.00"),
        )
        assert true_up.basis["corrects_period"] == "2026-10"
        assert october_in_total(contract) == D("250.000")

        add_reading(register, Month(2026, 12), "1500")
        bill_run.run_billing(period=Month(2026, 12), today=dt.date(2027, 1, 5))
        assert not live(contract, Month(2026, 12)).lines.filter(is_true_up=True).exists()
        assert october_in_total(contract) == D("250.000")

    def test_a_rebill_after_the_true_up_takes_it_back(self) -> None:
        contract, register, original = account()
        run_id = start_october()
        correct(original, "1250", as_of=CUT_OFF + dt.timedelta(minutes=30))
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run_id)
        add_reading(register, NOVEMBER, "1400")
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        again = bill_run.rebill_account(
            reference_or_id=contract.billing_account.reference_number,
            period=OCTOBER,
            today=dt.date(2026, 12, 10),
            as_of=local_midnight(dt.date(2026, 12, 10)),
        )
        # October again on 1250, and November's 50 kWh true-up of October taken back
        assert energy(again, of=OCTOBER, true_up=False) == D("250.000")
        assert energy(again, of=OCTOBER, true_up=True) == D("-50.000")
        assert october_in_total(contract) == D("250.000")
        # November credited and billed again: no true-up of October is due any more
        november = live(contract, NOVEMBER)
        assert november.number is not None
        bill_run.credit_invoice(number=november.number, reason="x", today=dt.date(2026, 12, 11))
        rebilled = bill_run.rebill_account(
            reference_or_id=contract.billing_account.reference_number,
            period=NOVEMBER,
            today=dt.date(2026, 12, 11),
            as_of=local_midnight(dt.date(2026, 12, 11)),
        )
        assert energy(rebilled, of=NOVEMBER, true_up=False) == D("150.000")
        assert october_in_total(contract) == D("250.000")

    def test_a_rebill_of_the_month_takes_the_correction(self) -> None:
        contract, _, original = account()
        run_id = start_october()
        correct(original, "1250", as_of=CUT_OFF + dt.timedelta(minutes=30))
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run_id)
        again = bill_run.rebill_account(
            reference_or_id=contract.billing_account.reference_number,
            period=OCTOBER,
            today=dt.date(2026, 11, 10),
            as_of=local_midnight(dt.date(2026, 11, 10)),
        )
        assert energy(again, of=OCTOBER, true_up=False) == D("250.000")
        assert october_in_total(contract) == D("250.000")

    def test_a_resumed_run_bills_as_of_its_original_cut_off(self) -> None:
        first, second = account(), account()
        run_id = start_october(chunk_size=1)
        chunk = operations.run_chunk(
            chunk_id=int(BillRunChunk.objects.get(run_id=run_id, index=0).pk),
            clock=lambda: CUT_OFF + dt.timedelta(minutes=5),
            window=DEFAULT_WINDOW,
            limits=bill_run.guard_limits(),
        )
        assert chunk.state == "DONE"
        # the run stops here; both accounts' October readings are corrected meanwhile
        for _, _, original in (first, second):
            correct(original, "1250", as_of=CUT_OFF + dt.timedelta(hours=2))
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run_id)
        for contract, _, _ in (first, second):
            assert energy(live(contract, OCTOBER), of=OCTOBER, true_up=False) == D("200.000")
