"""The register rules of manual-read points: from a register's readings to the kWh an
account's month bills, and the true-ups of months billed on estimates. Pure: no Django, no
database; :mod:`vool.domain.billing.manual` loads the readings these rules read.

Consumption of an account's month on a register
    ``end - start`` (register values unwrapped by the rollovers metering recorded), times the
    meter's multiplier. ``start`` is the month-end reading of the month before, or, when the
    account's supply starts inside the month, the move-in reading (an accepted actual reading
    taken on that day), or a new meter's initial reading. ``end`` is the month-end reading of
    the month, or, when the supply ends inside the month, the move-out reading of that day, or
    the final reading of a meter removed in the month. An account that moves out mid-month
    and the one that moves in are each billed from the same move reading, never the whole
    month twice.
Advances
    An advance from or to an estimate is the signed difference of the unwrapped values: an
    actual reading below the previous estimate is a negative advance, not a rollover. Only an
    advance from one actual reading to another may cross a rollover, and only when metering
    finds it plausible (:func:`vool.domain.metering.registers.register_advance`).
True-ups
    A month that starts from an estimate and ends on an actual reading bills its share of the
    actual consumption since the last actual reading, apportioned over the months by days
    (from the day that reading stands for). Each earlier month billed on an estimate gets a
    true-up of ``its share - what its bill billed``, priced at that month's prices, bands and
    VAT (per kWh only) and marked with the period it corrects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vool.common.localtime import Month
from vool.domain.billing.reasons import NO_CONSUMPTION_DATA, PENDING_REVIEW, Unbillable
from vool.domain.metering import estimation
from vool.domain.metering.registers import (
    ReadingBelowPrevious,
    ReadingRow,
    RegisterRow,
    register_advance,
)

__all__ = [
    "READING_TRUE_UPS",
    "HeldBoundary",
    "ManualReadings",
    "ReadingRow",
    "RegisterRow",
    "RegisterUse",
    "Span",
    "advance_kwh",
    "reading_true_ups",
    "register_use",
]

# reading statuses (metering.Reading's choice values)
ACCEPTED = "ACCEPTED"
WAITS_FOR_REVIEW = "PENDING_REVIEW"
READING_TRUE_UPS = "reading_true_ups"  # the basis key of reading (boundary) true-ups

Span = tuple[dt.date, dt.date]  # local days [first, end)


@dataclass(frozen=True)
class HeldBoundary:
    """What an account's live (ISSUED) bills hold of the month-end reading that ends a month:
    the reading its bill of that month ended at, plus the reading true-ups of that month on
    live bills since (kWh). When the reading known now differs, the next bill trues up the
    difference (a reading corrected after that bill's cut-off)."""

    end: ReadingRow
    true_ups_kwh: Decimal

    def kwh(self, register: RegisterRow) -> Decimal:
        return self.end.unwrapped(register.digits) * register.multiplier + self.true_ups_kwh


@dataclass
class ManualReadings:
    """What the manual points of a chunk are billed from."""

    registers: dict[int, list[RegisterRow]] = field(default_factory=dict)  # by point
    readings: dict[int, list[ReadingRow]] = field(default_factory=dict)  # by register
    # by register, for months that start from an estimate: the last actual month-end
    # reading before the month and every reading since (the estimates the bills used)
    earlier: dict[int, list[ReadingRow]] = field(default_factory=dict)
    # by register: why the run's estimation step could not estimate it
    failed_estimates: dict[int, str] = field(default_factory=dict)
    # why the run's estimation step failed as a whole ("" = it did not)
    estimation_error: str = ""
    # by (account, register): what the account's live bills hold of the month-end reading
    # of the month before (see :class:`HeldBoundary`)
    held: dict[tuple[int, int], HeldBoundary] = field(default_factory=dict)
    # by (account, register): reading true-ups of the billed month on the account's live
    # bills of other months (a rebill takes them back), kWh and the invoices
    later_true_ups: dict[tuple[int, int], tuple[Decimal, list[int]]] = field(default_factory=dict)


# -- one register ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterUse:
    kwh: Decimal  # consumption billed in the month (for a true-up month: its share)
    true_ups: dict[Month, Decimal]  # per earlier month: its share - what its bill billed
    estimated: bool
    basis: dict[str, Any]
    start: ReadingRow | None = None  # the reading the month starts from


def _exact(kwh: Decimal) -> Decimal:
    rounded = kwh.quantize(Decimal("0.001"))
    return rounded if rounded == kwh else kwh


def advance_kwh(start: ReadingRow, end: ReadingRow, register: RegisterRow) -> Decimal:
    """kWh consumed from ``start`` to ``end`` (times the multiplier). Negative when an actual
    reading is below an estimate; across a rollover only from actual to actual, and only when
    plausible (else the account cannot be billed until a person checks the reading)."""
    advance = end.unwrapped(register.digits) - start.unwrapped(register.digits)
    if advance < 0 and not start.estimated and not end.estimated:
        try:
            advance = register_advance(
                previous_kwh=Decimal(start.value_kwh),
                current_kwh=Decimal(end.value_kwh),
                digits=register.digits,
            ).kwh
        except (ReadingBelowPrevious, ValueError) as exc:
            raise Unbillable(
                NO_CONSUMPTION_DATA,
                f"Register {register.kind}: {exc} (reading of {end.day.isoformat()} after "
                f"the reading of {start.day.isoformat()})",
            ) from exc
    return _exact(advance * register.multiplier)


def _ends(
    register: RegisterRow, accepted: list[ReadingRow], month: Month, supply: Span
) -> ReadingRow | None:
    if supply[1] < month.next().first_day:  # moves out inside the month
        moved = [r for r in accepted if r.day == supply[1] and not r.estimated]
        if not moved:
            raise Unbillable(
                NO_CONSUMPTION_DATA,
                f"The supply ends on {supply[1].isoformat()}: register {register.kind} needs "
                "an actual reading of that day (the move-out reading).",
            )
        return moved[-1]
    ends = [r for r in accepted if r.period == str(month)]
    if not ends and register.removed is not None:
        ends = accepted[-1:]  # the final reading of a meter exchanged in the month
    return ends[-1] if ends else None


def _start(
    register: RegisterRow, accepted: list[ReadingRow], month: Month, supply: Span, end: ReadingRow
) -> ReadingRow:
    if supply[0] > month.first_day:  # moves in inside the month
        moved = [
            r
            for r in accepted
            if r.day == supply[0] and not r.estimated and r.read_at < end.read_at
        ]
        if not moved:
            raise Unbillable(
                NO_CONSUMPTION_DATA,
                f"The supply starts on {supply[0].isoformat()}: register {register.kind} needs "
                "an actual reading of that day (the move-in reading).",
            )
        return moved[0]
    starts = [r for r in accepted if r.period == str(month.previous())]
    if not starts:
        starts = [r for r in accepted if r.read_at < end.read_at][:1]  # a new meter's initial
    if not starts:
        raise Unbillable(
            NO_CONSUMPTION_DATA, f"Register {register.kind} has no reading to start {month} from."
        )
    return starts[-1]


def register_use(
    register: RegisterRow,
    readings: list[ReadingRow],
    earlier: list[ReadingRow],
    month: Month,
    supply: Span,
) -> RegisterUse | None:
    """One register's consumption on an account supplied ``supply`` (local days) in
    ``month``; None = no month-end reading (and no estimate)."""
    if any(r.period == str(month) and r.status == WAITS_FOR_REVIEW for r in readings):
        raise Unbillable(
            PENDING_REVIEW,
            f"The {month} reading of register {register.kind} waits for review in the back "
            "office; it is billed once accepted.",
        )
    accepted = [r for r in readings if r.status == ACCEPTED]
    end = _ends(register, accepted, month, supply)
    if end is None:
        return None
    start = _start(register, accepted, month, supply, end)
    kwh = advance_kwh(start, end, register)
    basis: dict[str, Any] = {
        "register": register.kind,
        "start_reading_id": start.reading_id,
        "start_kwh": str(start.value_kwh),
        "start_source": start.source,
        "end_reading_id": end.reading_id,
        "end_kwh": str(end.value_kwh),
        "end_source": end.source,
        "kwh": str(kwh),
    }
    if start.estimated and not end.estimated and earlier:
        return _with_true_ups(register, start, end, earlier, month, kwh, basis, start)
    return RegisterUse(kwh, {}, start.estimated or end.estimated, basis, start)


def _with_true_ups(
    register: RegisterRow,
    start: ReadingRow,
    end: ReadingRow,
    earlier: list[ReadingRow],
    month: Month,
    kwh: Decimal,
    basis: dict[str, Any],
    start_row: ReadingRow,
) -> RegisterUse:
    """The month's share of the actual consumption since the last actual reading, and per
    earlier month billed on an estimate, its share minus what its bill billed."""
    last_actual = earlier[0]
    since, until = last_actual.stands_for, end.stands_for
    months = Month.range(Month.of(since), month.next())
    weights = [
        (
            str(m),
            Decimal((min(until, m.next().first_day) - max(since, m.first_day)).days),
        )
        for m in months
    ]
    actual = advance_kwh(last_actual, end, register)
    shares = estimation.apportion(total_kwh=actual, weights=weights)
    estimates = {r.period: r for r in [*earlier[1:], start] if r.period and r.estimated}
    true_ups: dict[Month, Decimal] = {}
    billed_total = Decimal(0)
    previous = last_actual
    for m in months[:-1]:
        estimate = estimates.get(str(m))
        billed = Decimal(0)
        if estimate is not None:
            billed = advance_kwh(previous, estimate, register)
            previous = estimate
        billed_total += billed
        true_ups[m] = shares[str(m)] - billed
    share = shares[str(month)]
    basis.update(
        {
            "last_actual_reading_id": last_actual.reading_id,
            "last_actual_kwh": str(last_actual.value_kwh),
            "actual_since_kwh": str(actual),
            "apportioned_by_days": {k: str(v) for k, v in shares.items()},
            "billed_on_estimates_kwh": str(billed_total),
            "true_up_kwh": str(sum(true_ups.values(), Decimal(0))),
            "true_up_by_period": {str(m): str(v) for m, v in true_ups.items()},
        }
    )
    return RegisterUse(share, true_ups, False, basis, start_row)


def reading_true_ups(
    account_id: int, register: RegisterRow, use: RegisterUse, month: Month, data: ManualReadings
) -> list[dict[str, Any]]:
    """The reading true-ups of one register on the account's bill of ``month``:

    * the month before, when the month-end reading it starts from is not what the account's
      live bills hold of it (the reading was corrected after that bill's cut-off): the
      difference, so every kWh between the readings is billed once;
    * ``month`` itself (a rebill), taking back the reading true-ups of ``month`` that live
      bills of later months made, as this bill bills the month on the readings known now.
    """
    entries: list[dict[str, Any]] = []
    previous = month.previous()
    held = data.held.get((account_id, register.register_id))
    start = use.start
    if held is not None and start is not None and start.period == str(previous):
        kwh = _exact(start.unwrapped(register.digits) * register.multiplier - held.kwh(register))
        if kwh:
            entries.append(
                {
                    "register_id": register.register_id,
                    "register": register.kind,
                    "corrects_period": str(previous),
                    "kwh": str(kwh),
                    "billed_end_reading_id": held.end.reading_id,
                    "billed_end_kwh": str(held.end.value_kwh),
                    "end_reading_id": start.reading_id,
                    "end_kwh": str(start.value_kwh),
                }
            )
    later = data.later_true_ups.get((account_id, register.register_id))
    if later is not None:
        kwh, invoice_ids = later
        entries.append(
            {
                "register_id": register.register_id,
                "register": register.kind,
                "corrects_period": str(month),
                "kwh": str(-kwh),
                "takes_back_invoice_ids": invoice_ids,
            }
        )
    return entries
