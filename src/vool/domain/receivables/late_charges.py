"""Late-payment interest and dunning fees as pending charges for the next invoice.

``accrue_interest(through=...)`` computes, for every issued invoice overdue on or before
``through``, the interest of each day not yet charged (:mod:`vool.domain.receivables.interest`:
per day on that day's unpaid amount) and stores one :class:`PendingCharge` per line; the
invoice's charges say up to which day it is charged (``period_end``), so an accrual continues
where the last one stopped and running it again adds nothing. ``charge_dunning_fees`` stores
one charge per letter of a dunning run whose level has a fee. The bill run bills the open
charges of an account on its next invoice, each exactly once
(:mod:`vool.domain.billing.charges`).

Payments count by their value date (else booking date) as they are known when the accrual
runs. A cancelled (credited) invoice accrues no interest; a disputed one (an active DISPUTED
hold) is left out while the dispute lasts, and its days are charged once it ends (if the
invoice still stands). An accrual whose lines all round to
0.00 stores nothing, so those days are looked at again next time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import DecimalField, Exists, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from vool.domain.billing.models import Invoice, InvoiceLine, PendingCharge
from vool.domain.bulk import in_batches
from vool.domain.contracts.models import SupplyContract
from vool.domain.ledger.models import LedgerAccount
from vool.domain.receivables import interest
from vool.domain.receivables.models import (
    DunningHold,
    DunningLetter,
    InvoiceSettlement,
    StatutoryInterestRate,
)
from vool.domain.receivables.operations import insert_rows
from vool.domain.receivables.queries import CHUNK, cents

INTEREST_COMPONENT = "LATE_INTEREST"
FEE_COMPONENT = "DUNNING_FEE"
ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=14, decimal_places=2)
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class AccrualResult:
    through: dt.date
    invoices: int  # invoices that got interest
    charges: int
    amount: Decimal


@dataclass(frozen=True)
class _Overdue:
    invoice_id: int
    number: int
    billing_account_id: int
    due_date: dt.date
    amount_due: Decimal
    open_amount: Decimal
    charged_until: dt.date | None


def statutory_periods() -> list[interest.RatePeriod]:
    return [
        interest.RatePeriod(
            start=row.valid_from,
            end=row.valid_to,
            annual_percent=row.ecb_rate_percent + row.margin_percent,
        )
        for row in StatutoryInterestRate.objects.order_by("valid_from")
    ]


def _disputed_on(day: dt.date) -> Any:
    return DunningHold.objects.filter(
        Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day)),
        kind=DunningHold.Kind.DISPUTED,
        invoice=OuterRef("pk"),
    )


def _overdue(through: dt.date) -> list[_Overdue]:
    """Issued invoices due before ``through`` that are open, or were paid after their due
    date (interest ran until the payment), with the day their interest is charged until."""
    settled = (
        InvoiceSettlement.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    charged_until = (
        PendingCharge.objects.filter(source_invoice=OuterRef("pk"), kind="LATE_INTEREST")
        .values("source_invoice")
        .annotate(last=Max("period_end"))
        .values("last")
    )
    paid_late = InvoiceSettlement.objects.filter(invoice=OuterRef("pk")).filter(
        Q(allocation__payment__value_date__gt=OuterRef("due_date"))
        | Q(
            allocation__payment__value_date__isnull=True,
            allocation__payment__booking_date__gt=OuterRef("due_date"),
        )
    )
    rows = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            number__isnull=False,
            due_date__lt=through,
        )
        .annotate(
            settled=Coalesce(Subquery(settled, output_field=_MONEY), Value(ZERO)),
            charged_until=Subquery(charged_until),
        )
        .exclude(Exists(_disputed_on(through)))
        .annotate(open_amount=F("amount_due") - F("settled"))
        .filter(Q(open_amount__gte=Decimal("0.005")) | Exists(paid_late))
        .order_by("billing_account_id", "due_date", "pk")
        .values_list(
            "pk",
            "number",
            "billing_account_id",
            "due_date",
            "amount_due",
            "open_amount",
            "charged_until",
        )
    )
    return [
        _Overdue(pk, number, account, due, cents(amount_due), cents(open_), until)
        for pk, number, account, due, amount_due, open_, until in rows
        if number is not None and due is not None
    ]


def _payments_by_invoice(invoice_ids: list[int]) -> dict[int, list[tuple[dt.date, Decimal]]]:
    paid: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for chunk in in_batches(invoice_ids, CHUNK):  # bounded IN lists (SQLite's parameter limit)
        rows = (
            InvoiceSettlement.objects.filter(invoice_id__in=chunk)
            .annotate(
                paid_on=Coalesce(
                    "allocation__payment__value_date", "allocation__payment__booking_date"
                )
            )
            .values_list("invoice_id", "paid_on", "amount")
        )
        for invoice_id, paid_on, amount in rows:
            paid[invoice_id].append((paid_on, cents(amount)))
    return paid


def _interest_billed_on(invoice_ids: list[int]) -> dict[int, Decimal]:
    billed: dict[int, Decimal] = {}
    for chunk in in_batches(invoice_ids, CHUNK):
        rows = (
            InvoiceLine.objects.filter(invoice_id__in=chunk, component=INTEREST_COMPONENT)
            .values("invoice_id")
            .annotate(total=Sum("amount"))
            .values_list("invoice_id", "total")
        )
        billed.update((invoice_id, cents(total)) for invoice_id, total in rows)
    return billed


def contract_daily_rates(*, billing_account_ids: list[int]) -> dict[int, Decimal]:
    """The contractual daily rate of each account that has one (the lowest of its contracts'
    when they differ: the customer is not charged more than any of them agreed)."""
    rows = (
        SupplyContract.objects.filter(late_interest_daily_rate__isnull=False)
        .exclude(status=SupplyContract.Status.CANCELLED)
        .values_list("billing_account_id", "late_interest_daily_rate")
    )
    wanted = set(billing_account_ids)
    rates: dict[int, Decimal] = {}
    for account_id, rate in rows:  # the few contracts with their own rate
        if account_id not in wanted:
            continue
        if rate is not None:
            rates[account_id] = min(rate, rates.get(account_id, rate))
    return rates


_CHARGE_FIELDS = (
    "billing_account",
    "kind",
    "source_key",
    "source_invoice",
    "component",
    "period_start",
    "period_end",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "vat_rate",
    "ledger_account",
    "basis",
    "created_by",
    "created_at",
)


def _charge_row(
    invoice: _Overdue, line: interest.InterestLine, *, by: str, now: dt.datetime
) -> tuple[Any, ...]:
    return (
        invoice.billing_account_id,
        PendingCharge.Kind.LATE_INTEREST.value,
        f"{INTEREST_COMPONENT}:{invoice.invoice_id}:{line.start.isoformat()}",
        invoice.invoice_id,
        INTEREST_COMPONENT,
        line.start,
        line.end,
        Decimal(line.days),
        InvoiceLine.Unit.DAY.value,
        line.unit_price,
        line.amount,
        Decimal(0),
        LedgerAccount.REVENUE_INTEREST.value,
        {
            "invoice": invoice.number,
            "due_date": invoice.due_date.isoformat(),
            "base": str(line.base),
            "daily_rate": str(line.daily_rate.rate),
            "rate": line.daily_rate.label,
        },
        by,
        now,
    )


def accrue_interest(
    *, through: dt.date, now: dt.datetime, by: str = "interest accrual"
) -> AccrualResult:
    """Store the interest of every overdue invoice up to and including ``through`` (see the
    module); ``now`` is when. Idempotent: the days already charged are not charged again
    (and a charge stored twice for the same days would break a unique key, not bill twice).
    """
    with transaction.atomic():
        overdue = _overdue(through)
        ids = [o.invoice_id for o in overdue]
        paid = _payments_by_invoice(ids)
        billed_on = _interest_billed_on(ids)
        contract_rates = contract_daily_rates(
            billing_account_ids=sorted({o.billing_account_id for o in overdue})
        )
        periods = statutory_periods()
        schedules: dict[Decimal | None, interest.RateSchedule] = {}
        rows: list[tuple[Any, ...]] = []
        total = ZERO
        invoices = 0
        for invoice in overdue:
            start = invoice.charged_until or invoice.due_date + _ONE_DAY
            if start > through:
                continue
            rate = contract_rates.get(invoice.billing_account_id)
            schedule = schedules.get(rate)
            if schedule is None:
                schedule = schedules[rate] = interest.rate_chooser(
                    contract_daily_rate=rate, periods=periods
                )
            lines = interest.interest_lines(
                amount_due=invoice.amount_due,
                paid=paid.get(invoice.invoice_id, []),
                interest_billed_on_it=billed_on.get(invoice.invoice_id, ZERO),
                start=start,
                end=through + _ONE_DAY,
                rate_on=schedule,
            )
            rows.extend(_charge_row(invoice, line, by=by, now=now) for line in lines)
            total += sum((line.amount for line in lines), ZERO)
            invoices += bool(lines)
        insert_rows(PendingCharge, _CHARGE_FIELDS, rows)
    return AccrualResult(through=through, invoices=invoices, charges=len(rows), amount=total)


def charge_dunning_fees(*, run_id: int, run_date: dt.date, now: dt.datetime, by: str) -> int:
    """One pending charge per letter of the run whose level has a fee: 1 x the fee."""
    letters = (
        DunningLetter.objects.filter(run_id=run_id, fee_amount__gt=0)
        .order_by("pk")
        .values_list("pk", "billing_account_id", "level", "fee_amount", "invoice__number")
    )
    rows = [
        (
            account_id,
            PendingCharge.Kind.DUNNING_FEE.value,
            f"{FEE_COMPONENT}:{letter_id}",
            None,
            FEE_COMPONENT,
            run_date,
            run_date + _ONE_DAY,
            Decimal(1),
            InvoiceLine.Unit.PCS.value,
            fee,
            cents(fee),
            Decimal(0),
            LedgerAccount.REVENUE_DUNNING.value,
            {"level": level, "invoice": number, "letter": letter_id},
            by or "dunning run",
            now,
        )
        for letter_id, account_id, level, fee, number in letters
    ]
    insert_rows(PendingCharge, _CHARGE_FIELDS, rows)
    return len(rows)
