"""Property: any interleaving of interval imports and corrections, bill runs (with corrections
arriving while a run is stopped and then resumed), credit notes and rebills bills every Wh
exactly once: once every month is billed and a last run has trued up, the live invoices of each
account bill, for each month, exactly the month's interval data as it stands."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from billing_factories import add_intervals, fixed_product, import_day, remote_account, superuser
from vool.common.localtime import Month
from vool.domain.billing import operations
from vool.domain.billing.models import BillRunChunk, Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.metering.models import IntervalDay
from vool.usecases import bill_run

MONTHS = (Month(2026, 9), Month(2026, 10), Month(2026, 11))
LAST = Month(2026, 12)
START = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
FINAL = dt.datetime(2027, 1, 5, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)

correction = st.tuples(
    st.integers(0, 1),  # account
    st.integers(0, len(MONTHS) - 1),  # month
    st.integers(1, 28),  # day
    st.sampled_from((0, 40, 150, 333)),  # Wh in every quarter
)
step = st.one_of(
    st.tuples(st.just("import"), correction),
    st.tuples(st.just("run"), st.integers(0, len(MONTHS) - 1), st.one_of(st.none(), correction)),
    st.tuples(st.just("credit"), st.integers(0, 1), st.integers(0, len(MONTHS) - 1)),
    st.tuples(st.just("rebill"), st.integers(0, 1), st.integers(0, len(MONTHS) - 1)),
)


class Scenario:
    def __init__(self) -> None:
        product = fixed_product()
        self.contracts: list[SupplyContract] = []
        for wh in (100, 200):
            contract = remote_account(product=product)
            for month in (*MONTHS, LAST):
                add_intervals(contract.metering_point, month, wh=wh)
            self.contracts.append(contract)
        self.now = START

    def tick(self) -> dt.datetime:
        self.now += HOUR
        return self.now

    def correct(self, account: int, month: int, day: int, wh: int) -> None:
        point = self.contracts[account].metering_point
        import_day(point, MONTHS[month].first_day.replace(day=day), wh, as_of=self.tick())

    def run(self, month: Month, mid_run: tuple[int, int, int, int] | None) -> None:
        as_of = self.tick()
        try:
            run = operations.create_run(
                period=month,
                today=as_of.date(),
                as_of=as_of,
                now=as_of,
                chunk_size=1,
                forced_by=superuser("property"),
                forced_reason="any day",
            )
        except operations.UnableToStartRun:
            return  # the month is billed already
        if mid_run is not None:
            first = BillRunChunk.objects.filter(run=run).order_by("index").first()
            assert first is not None
            bill_run.run_chunk(chunk_id=first.pk)
            self.correct(*mid_run)  # arrives after the cut-off, before the run resumes
        bill_run.run_billing(period=month, today=as_of.date(), resume_run_id=run.pk)

    def live(self, account: int, month: Month) -> Invoice | None:
        return Invoice.objects.filter(
            billing_account=self.contracts[account].billing_account,
            period=str(month),
            kind="INVOICE",
            status="ISSUED",
        ).first()

    def credit(self, account: int, month: Month) -> None:
        invoice = self.live(account, month)
        if invoice is not None and invoice.number is not None:
            bill_run.credit_invoice(
                number=invoice.number, reason="property", today=self.tick().date()
            )

    def rebill(self, account: int, month: Month, as_of: dt.datetime | None = None) -> None:
        as_of = as_of or self.tick()
        bill_run.rebill_account(
            reference_or_id=self.contracts[account].billing_account.reference_number,
            period=month,
            today=as_of.date(),
            as_of=as_of,
        )

    def billed_wh(self, account: int, month: Month) -> int:
        kwh = Invoice.objects.filter(
            billing_account=self.contracts[account].billing_account,
            kind="INVOICE",
            status="ISSUED",
            lines__component="ENERGY",
            lines__period_start__gte=month.first_day,
            lines__period_start__lt=month.next().first_day,
        ).aggregate(kwh=Sum("lines__quantity"))["kwh"]
        return int(Decimal(kwh or 0) * 1000)

    def data_wh(self, account: int, month: Month) -> int:
        total = IntervalDay.objects.filter(
            metering_point=self.contracts[account].metering_point,
            day__gte=month.first_day,
            day__lt=month.next().first_day,
            is_current=True,
        ).aggregate(wh=Sum("total_wh"))["wh"]
        return int(total or 0)


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, max_size=6))
# the race: corrections after the cut-off, while the run waits (one chunk done, one not)
@example(steps=[("run", 2, (0, 2, 10, 150)), ("import", (1, 2, 11, 0))])
# a correction trued up on November, then October credited and rebilled
@example(steps=[("import", (1, 1, 3, 333)), ("run", 2, None), ("rebill", 1, 1)])
# the true-up credited, then found again by the next bill
@example(steps=[("import", (0, 0, 5, 40)), ("run", 2, None), ("credit", 0, 2), ("run", 2, None)])
def test_every_wh_is_billed_exactly_once(steps: list[tuple[object, ...]]) -> None:
    with transaction.atomic():
        scenario = Scenario()
        for month in MONTHS[:2]:  # September and October are billed before the story starts
            scenario.run(month, None)
        for action, *args in steps:
            if action == "import":
                scenario.correct(*args[0])  # type: ignore[misc]
            elif action == "run":
                scenario.run(MONTHS[args[0]], args[1])  # type: ignore[index, arg-type]
            elif action == "credit":
                scenario.credit(int(args[0]), MONTHS[args[1]])  # type: ignore[call-overload, index]
            else:
                with contextlib.suppress(operations.UnableToRebill):
                    scenario.rebill(int(args[0]), MONTHS[args[1]])  # type: ignore[call-overload, index]
        # every month billed, then a last run trues up whatever came after the bills
        for account in (0, 1):
            for month in MONTHS:
                if scenario.live(account, month) is None:
                    scenario.rebill(account, month, as_of=FINAL)
        bill_run.run_billing(
            period=LAST,
            today=FINAL.date(),
            as_of=FINAL,
            forced_by=superuser("property"),
            forced_reason="settle",
        )
        for account in (0, 1):
            for month in MONTHS:
                assert scenario.billed_wh(account, month) == scenario.data_wh(account, month), (
                    account,
                    month,
                )
        transaction.set_rollback(True)
