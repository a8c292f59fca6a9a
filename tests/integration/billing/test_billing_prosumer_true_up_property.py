"""Property (issue 15): whatever corrections of a prosumer's net-billed days arrive, and
whenever the next months are billed or the month is credited and billed again, once a last run
has trued up, the live invoices of the account bill each August day's final net quantities
exactly once: the ENERGY kWh of August are the final net OUT, the PRODUCTION kWh the final net
IN (negative, a credit), and every invoice multiplies out and reconciles with the ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from billing_factories import import_prosumer_days
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.contracts.models import SupplyContract
from vool.usecases import bill_run

from .test_billing_prosumer import assert_reconciles
from .test_billing_prosumer_true_ups import AUGUST, billed_of, prosumer_from_29th

LATER = (Month(2026, 9), Month(2026, 10), Month(2026, 11))
LAST = Month(2026, 12)
DAYS = (dt.date(2026, 8, 29), dt.date(2026, 8, 30), dt.date(2026, 8, 31))
QUARTERS = 48  # quarters in each half of a day (no DST change at the end of August)

correction = st.tuples(
    st.integers(0, 2),  # the day
    st.sampled_from((0, 100, 400)),  # net OUT Wh in each morning quarter
    st.sampled_from((0, 50, 200, 333)),  # net IN Wh in each afternoon quarter
)
step = st.one_of(
    st.tuples(st.just("correct"), correction),
    st.tuples(st.just("run")),
    st.tuples(st.just("rebill")),
)


class Story:
    def __init__(self) -> None:
        self.contract: SupplyContract = prosumer_from_29th(AUGUST)
        point = self.contract.metering_point
        for month in (*LATER[1:], LAST):
            known = dt.datetime.combine(month.next().first_day, dt.time(6), tzinfo=dt.UTC)
            import_prosumer_days(point, month.first_day, month.next().first_day, as_of=known)
        self.final = {day: (100, 200) for day in DAYS}  # (net OUT, net IN) Wh a quarter
        self.billed = 0  # months of LATER billed
        self.now = dt.datetime(2026, 9, 2, tzinfo=dt.UTC)
        bill_run.run_billing(period=AUGUST, today=dt.date(2026, 9, 5))

    def correct(self, day: int, out_wh: int, in_wh: int) -> None:
        self.now += dt.timedelta(days=1)
        import_prosumer_days(
            self.contract.metering_point,
            DAYS[day],
            DAYS[day] + dt.timedelta(days=1),
            as_of=self.now,
            morning_net_out_wh=out_wh,
            afternoon_net_in_wh=in_wh,
        )
        self.final[DAYS[day]] = (out_wh, in_wh)

    def run(self) -> None:
        if self.billed == len(LATER):
            return
        month = LATER[self.billed]
        today = month.next().first_day + dt.timedelta(days=4)
        bill_run.run_billing(period=month, today=today)
        self.billed += 1
        self.now = max(self.now, dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC))

    def rebill(self) -> None:
        self.now += dt.timedelta(hours=1)
        bill_run.rebill_account(
            reference_or_id=self.contract.billing_account.reference_number,
            period=AUGUST,
            today=self.now.date(),
            as_of=self.now,
        )


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, max_size=5))
# a correction trued up in September, August credited and billed again, corrected again
@example(steps=[("correct", (1, 400, 50)), ("run",), ("rebill",), ("correct", (1, 0, 333))])
# the surplus of a day goes to zero and comes back
@example(steps=[("correct", (0, 100, 0)), ("run",), ("correct", (0, 400, 333)), ("run",)])
def test_the_live_bills_hold_the_final_net_quantities_once(
    steps: list[tuple[object, ...]],
) -> None:
    with transaction.atomic():
        story = Story()
        for action, *args in steps:
            if action == "correct":
                story.correct(*args[0])  # type: ignore[misc]
            elif action == "run":
                story.run()
            else:
                story.rebill()
        while story.billed < len(LATER):
            story.run()
        bill_run.run_billing(period=LAST, today=dt.date(2027, 1, 5))
        net_out = sum(QUARTERS * out for out, _ in story.final.values())
        net_in = sum(QUARTERS * fed for _, fed in story.final.values())
        assert billed_of(story.contract, AUGUST, "ENERGY") == Decimal(net_out).scaleb(-3)
        assert billed_of(story.contract, AUGUST, "PRODUCTION") == -Decimal(net_in).scaleb(-3)
        for invoice in Invoice.objects.filter(kind="INVOICE", status="ISSUED"):
            assert_reconciles(invoice)
        transaction.set_rollback(True)
