"""The bill run's plausibility guard: a bill that looks wrong goes to a person as a run
exception (``IMPLAUSIBLE_BILL``, with the reason), not to the customer.

A priced account is held back when

* a kWh line has more than ``max_line_kwh`` either way (e.g. a misread rollover),
* a line's amount is more than ``max_line_amount`` either way,
* a consumption line (not a true-up) is negative, or
* the bill's net is more than ``history_factor`` times the largest net of the account's
  invoices of the 12 months before, and more than ``history_floor_amount`` (an account
  without invoices in those months is judged by the line limits only).

The limits are settings (``VOOL_BILL_GUARD_MAX_LINE_KWH`` 100000,
``VOOL_BILL_GUARD_MAX_LINE_AMOUNT`` 20000, ``VOOL_BILL_GUARD_HISTORY_FACTOR`` 5,
``VOOL_BILL_GUARD_HISTORY_FLOOR_AMOUNT`` 200 EUR). After checking, a person bills the account
with ``vool billing rebill`` (which applies the same guard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Max

from vool.common.localtime import Month
from vool.common.money import RoundingMode, round_money
from vool.domain.billing.models import Invoice

__all__ = ["IMPLAUSIBLE_BILL", "GuardLimits", "LineFigures", "configured_limits", "held_back"]

IMPLAUSIBLE_BILL = "IMPLAUSIBLE_BILL"
HISTORY_MONTHS = 12


@dataclass(frozen=True)
class GuardLimits:
    max_line_kwh: Decimal = Decimal(100_000)
    max_line_amount: Decimal = Decimal(20_000)
    history_factor: Decimal = Decimal(5)
    history_floor_amount: Decimal = Decimal(200)


def configured_limits() -> GuardLimits:
    """The limits as configured (settings, else the defaults)."""
    default = GuardLimits()

    def setting(name: str, value: Decimal) -> Decimal:
        return Decimal(str(getattr(settings, f"VOOL_BILL_GUARD_{name}", value)))

    return GuardLimits(
        max_line_kwh=setting("MAX_LINE_KWH", default.max_line_kwh),
        max_line_amount=setting("MAX_LINE_AMOUNT", default.max_line_amount),
        history_factor=setting("HISTORY_FACTOR", default.history_factor),
        history_floor_amount=setting("HISTORY_FLOOR_AMOUNT", default.history_floor_amount),
    )


class LineFigures(NamedTuple):
    component: str
    band: str
    unit: str
    quantity: Decimal
    amount: Decimal
    is_true_up: bool


def _named(line: LineFigures) -> str:
    band = "" if line.band == "ALL" else f" {line.band}"
    true_up = " true-up" if line.is_true_up else ""
    return f"The {line.component}{band}{true_up} line"


def implausibility(
    *, lines: Sequence[LineFigures], largest_recent_net: Decimal | None, limits: GuardLimits
) -> str | None:
    """Why a bill of ``lines`` looks wrong, or None. Pure."""
    for line in lines:
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
        if line.unit == "KWH" and not line.is_true_up and line.quantity < 0:
            return (
                f"{_named(line)} has negative consumption ({line.quantity} kWh): "
                "check the readings."
            )
    net = sum((line.amount for line in lines), Decimal(0))
    if (
        largest_recent_net is not None
        and largest_recent_net > 0
        and net > limits.history_floor_amount
        and net > limits.history_factor * largest_recent_net
    ):
        return (
            f"The bill comes to {net} EUR without VAT, more than {limits.history_factor} times "
            f"the largest bill of the last {HISTORY_MONTHS} months ({largest_recent_net} EUR)."
        )
    return None


def held_back(
    *, lines: Mapping[int, Sequence[LineFigures]], period: Month, limits: GuardLimits
) -> dict[int, str]:
    """The accounts (of ``lines``, their priced bills of ``period``) to hold back, with why."""
    first = period
    for _ in range(HISTORY_MONTHS):
        first = first.previous()
    largest = dict(
        Invoice.objects.filter(
            billing_account_id__in=list(lines),
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            period__gte=str(first),
            period__lt=str(period),
        )
        .values("billing_account_id")
        .annotate(largest=Max("net_amount"))
        .values_list("billing_account_id", "largest")
    )
    out: dict[int, str] = {}
    for account_id, account_lines in lines.items():
        recent = largest.get(account_id)
        reason = implausibility(
            lines=account_lines,
            largest_recent_net=None
            if recent is None
            else round_money(Decimal(recent), mode=RoundingMode.HALF_UP),
            limits=limits,
        )
        if reason is not None:
            out[account_id] = reason
    return out
