"""Bill the seeded months and let most customers pay, so the demo has real bills and balances.

Each month of the seeded history is billed by the real billing run, as it would be on the
5th of the following month; then about nine in ten customers pay their bill in full a few
days before or after the due date, some pay late, some not at all (for dunning later).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from vool.common.localtime import Month, local_midnight
from vool.domain.billing.models import Invoice
from vool.domain.ledger import operations as ledger_operations
from vool.usecases import bill_run

BILLING_DAY = 5  # the demo's bill runs are on the 5th of the following month

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class DemoBilling:
    runs: int = 0
    invoices: int = 0
    exceptions: int = 0
    payments: int = 0
    paid_amount: Decimal = Decimal(0)


def bill_history(
    *,
    first_month: Month,
    as_of: dt.date,
    seed: int,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
) -> DemoBilling:
    """Bill every month from ``first_month`` whose run day has passed by ``as_of``."""
    progress = on_progress or (lambda step, done, total: None)
    rng = np.random.default_rng(seed + 1)
    months = []
    month = first_month
    while month.next().first_day + dt.timedelta(days=BILLING_DAY - 1) < as_of:
        months.append(month)
        month = month.next()
    result = DemoBilling()
    for n, month in enumerate(months, start=1):
        today = month.next().first_day + dt.timedelta(days=BILLING_DAY - 1)
        run = bill_run.run_billing(period=month, today=today, workers=workers)
        result.runs += 1
        result.invoices += run.invoice_count
        result.exceptions += run.exception_count
        paid, amount = _pay(run_id=run.pk, rng=rng, as_of=as_of)
        result.payments += paid
        result.paid_amount += amount
        progress("billing the seeded months", n, len(months))
    return result


def _pay(*, run_id: int, rng: np.random.Generator, as_of: dt.date) -> tuple[int, Decimal]:
    invoices = list(
        Invoice.objects.filter(
            run_id=run_id, kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED
        )
        .exclude(amount_due__lte=0)
        .order_by("pk")
        .values_list("billing_account_id", "amount_due", "due_date", "number")
    )
    payments = []
    for account_id, amount_due, due_date, number in invoices:
        if due_date is None:
            continue
        behaviour = rng.random()
        if behaviour < 0.04:
            continue  # does not pay (yet)
        days = int(rng.integers(-10, 3)) if behaviour < 0.9 else int(rng.integers(3, 30))
        received = due_date + dt.timedelta(days=days)
        if received >= as_of:
            continue
        payments.append(
            ledger_operations.Payment(
                billing_account_id=account_id,
                amount=amount_due,
                received_date=received,
                reference=f"demo payment of invoice {number}",
            )
        )
    ledger_operations.record_payments(payments=payments, as_of=local_midnight(as_of))
    return len(payments), sum((p.amount for p in payments), Decimal(0))
