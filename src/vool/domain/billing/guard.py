"""The bill run's plausibility guard: a bill that looks wrong goes to a person as a run
exception (``IMPLAUSIBLE_BILL``, with the reason), not to the customer.

A priced account is held back when

* a kWh line has more than ``max_line_kwh`` either way (e.g. a misread rollover),
* a line's amount is more than ``max_line_amount`` either way,
* a consumption line (not a true-up, not a prosumer's surplus credit) is negative, or
* the bill's net per supplied day is more than ``history_factor`` times the largest of the
  account's invoices of the 12 months before, and the net is more than
  ``history_floor_amount`` (an account without invoices in those months is judged by the
  line limits only).

The limits are settings (``VOOL_BILL_GUARD_MAX_LINE_KWH`` 100000,
``VOOL_BILL_GUARD_MAX_LINE_AMOUNT`` 20000, ``VOOL_BILL_GUARD_HISTORY_FACTOR`` 5,
``VOOL_BILL_GUARD_HISTORY_FLOOR_AMOUNT`` 200 EUR), read by the use case
(``usecases.bill_run.guard_limits``) and passed in as :class:`GuardLimits`: this module does not
read the settings. After checking, a person bills the account
with ``vool billing rebill`` (which applies the same guard).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Max, Min

from vool.common.localtime import Month
from vool.common.money import RoundingMode, round_money
from vool.domain.billing.models import Invoice, InvoiceLine
from vool.domain.billing.unbillable import IMPLAUSIBLE_BILL
from vool.domain.tariffs.net_rules import PRODUCTION_COMPONENT

__all__ = [
    "IMPLAUSIBLE_BILL",
    "GuardLimits",
    "LineFigures",
    "RecentBill",
    "held_back",
    "implausibility",
    "recent_bills",
]

HISTORY_MONTHS = 12


@dataclass(frozen=True)
class GuardLimits:
    max_line_kwh: Decimal = Decimal(100_000)
    max_line_amount: Decimal = Decimal(20_000)
    history_factor: Decimal = Decimal(5)
    history_floor_amount: Decimal = Decimal(200)


class LineFigures(NamedTuple):
    component: str
    band: str
    unit: str
    quantity: Decimal
    amount: Decimal
    is_true_up: bool
    period_start: dt.date
    period_end: dt.date  # exclusive


class RecentBill(NamedTuple):
    """The account's bill of the 12 months before with the largest net per supplied day."""

    net: Decimal
    days: int


def _named(line: LineFigures) -> str:
    band = "" if line.band == "ALL" else f" {line.band}"
    true_up = " true-up" if line.is_true_up else ""
    return f"The {line.component}{band}{true_up} line"


def _line_problem(line: LineFigures, limits: GuardLimits) -> str | None:
    if line.unit == "KWH" and abs(line.quantity) > limits.max_line_kwh:
        return (
            f"{_named(line)} has {line.quantity:,} kWh, beyond the limit of "
            f"{limits.max_line_kwh:,} kWh a line: check the readings or interval data."
        )
    if abs(line.amount) > limits.max_line_amount:
        return (
            f"{_named(line)} comes to {line.amount:,} EUR, beyond the limit "
            f"of {limits.max_line_amount:,} EUR a line."
        )
    if (
        line.unit == "KWH"
        and not line.is_true_up
        and line.quantity < 0
        and line.component != PRODUCTION_COMPONENT  # a prosumer's surplus credit
    ):
        return f"{_named(line)} has negative consumption ({line.quantity} kWh): check the readings."
    return None


def _days(lines: Sequence[LineFigures]) -> int:
    """Days the bill supplies (its lines of the period, true-ups of earlier ones aside)."""
    own = [line for line in lines if not line.is_true_up]
    if not own:
        return 0
    return (max(line.period_end for line in own) - min(line.period_start for line in own)).days


def implausibility(
    *, lines: Sequence[LineFigures], recent: RecentBill | None, limits: GuardLimits
) -> str | None:
    """Why a bill of ``lines`` looks wrong, or None. Pure. The history rule compares net per
    supplied day, so a first bill of a few days does not make the next full month suspect."""
    for line in lines:
        problem = _line_problem(line, limits)
        if problem is not None:
            return problem
    net = sum((line.amount for line in lines), Decimal(0))
    days = _days(lines)
    if (
        recent is None
        or recent.net <= 0
        or recent.days <= 0
        or days <= 0
        or net <= limits.history_floor_amount
    ):
        return None
    if net / days > limits.history_factor * recent.net / recent.days:
        return (
            f"The bill comes to {net} EUR without VAT for {days} days, more than "
            f"{limits.history_factor} times the account's largest bill of the last "
            f"{HISTORY_MONTHS} months per day ({recent.net} EUR for {recent.days} days)."
        )
    return None


def recent_bills(*, account_ids: Sequence[int], period: Month) -> dict[int, RecentBill]:
    """Per account, its issued bill of the 12 months before ``period`` with the largest net
    per supplied day."""
    first = period
    for _ in range(HISTORY_MONTHS):
        first = first.previous()
    out: dict[int, RecentBill] = {}
    for account_id, net, start, end in (
        InvoiceLine.objects.filter(
            invoice__billing_account_id__in=list(account_ids),
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__status=Invoice.Status.ISSUED,
            invoice__period__gte=str(first),
            invoice__period__lt=str(period),
            is_true_up=False,
        )
        .values("invoice_id", "invoice__billing_account_id", "invoice__net_amount")
        .annotate(start=Min("period_start"), end=Max("period_end"))
        .values_list("invoice__billing_account_id", "invoice__net_amount", "start", "end")
    ):
        days = (end - start).days
        if days <= 0:
            continue
        bill = RecentBill(round_money(Decimal(net), mode=RoundingMode.HALF_UP), days)
        best = out.get(account_id)
        if best is None or bill.net * best.days > best.net * bill.days:
            out[account_id] = bill
    return out


def held_back(
    *, lines: Mapping[int, Sequence[LineFigures]], period: Month, limits: GuardLimits
) -> dict[int, str]:
    """The accounts (of ``lines``, their priced bills of ``period``) to hold back, with why."""
    recent = recent_bills(account_ids=list(lines), period=period)
    out: dict[int, str] = {}
    for account_id, account_lines in lines.items():
        reason = implausibility(lines=account_lines, recent=recent.get(account_id), limits=limits)
        if reason is not None:
            out[account_id] = reason
    return out
