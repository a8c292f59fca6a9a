"""Manual-read (register) metering points in the bill run: from readings to the hourly energy
the rating kernel prices, and the true-ups of months billed on estimates.

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
Spread over hours
    A register's kWh are spread over the supplied hours of the month (DAY and NIGHT registers
    over their own band's hours): evenly for fixed prices, over metering's standard hourly
    load profile when a price follows the market (an even spread would give the night the
    day's share of the exchange price).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from django.db.models import Exists, OuterRef, Q, QuerySet

from vool.common.localtime import Month, local_date, local_midnight
from vool.domain.billing.models import BillRun, Invoice, InvoiceLine
from vool.domain.billing.unbillable import (
    ESTIMATION_FAILED,
    MISSING_PRICE,
    NO_CONSUMPTION_DATA,
    PENDING_REVIEW,
    Unbillable,
)
from vool.domain.contracts.models import SupplyContract
from vool.domain.metering import estimation
from vool.domain.metering.models import Reading, Register
from vool.domain.metering.registers import (
    ReadingBelowPrevious,
    reading_date,
    register_advance,
)
from vool.domain.metering.window import ReadingWindow
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandScheme

__all__ = [
    "MANUAL_MINUTES",
    "ManualEnergy",
    "ManualReadings",
    "ReadingRow",
    "RegisterRow",
    "RegisterUse",
    "advance_kwh",
    "load_readings",
    "manual_energy",
    "readings_known_at",
    "register_use",
]

MANUAL_MINUTES = 60
_ESTIMATED = Reading.Source.ESTIMATED
_ACCEPTED = Reading.Status.ACCEPTED
_READING_FIELDS = ("id", "read_at", "value_kwh", "source", "period", "status", "details")

Span = tuple[dt.date, dt.date]  # local days [first, end)


class RegisterRow(NamedTuple):
    register_id: int
    kind: str
    digits: int
    multiplier: Decimal
    removed: dt.date | None


class ReadingRow(NamedTuple):
    reading_id: int
    read_at: dt.datetime
    value_kwh: Decimal
    source: str
    period: str  # the month it is the month-end reading of, or ""
    status: str
    details: dict[str, Any] | None

    @property
    def estimated(self) -> bool:
        return self.source == _ESTIMATED

    @property
    def day(self) -> dt.date:
        return local_date(self.read_at)

    @property
    def stands_for(self) -> dt.date:
        """The boundary it marks: a month-end reading the 1st of the next month, any other
        its local day."""
        return reading_date(period=self.period, read_at=self.read_at)

    def unwrapped(self, digits: int) -> Decimal:
        """The value as if the register never rolled over (metering records ``wraps``)."""
        wraps = int((self.details or {}).get("wraps", 0))
        return Decimal(self.value_kwh) + wraps * Decimal(10) ** digits


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


def _failed_estimates(run_id: int | None) -> tuple[dict[int, str], str]:
    """Registers the run's estimation step could not estimate, with the reason, and why the
    step failed as a whole, if it did (kept on the run's report by
    ``billing.operations.record_estimation``)."""
    if run_id is None:
        return {}, ""
    report = BillRun.objects.filter(pk=run_id).values_list("report", flat=True).first() or {}
    estimation = report.get("estimation") or {}
    failures = estimation.get("failures") or []
    return (
        {int(f["register_id"]): str(f["reason"]) for f in failures},
        str(estimation.get("error") or ""),
    )


def readings_known_at(as_of: dt.datetime) -> QuerySet[Reading]:
    """The readings as they stood at the data cut-off ``as_of``: known by then (``known_at``)
    and not superseded by a reading known by then. A correction or review decision recorded
    after the cut-off does not change what a run with that cut-off bills (also when a chunk
    runs or is resumed later); the next bill or a rebill takes it."""
    superseded = Reading.objects.filter(supersedes=OuterRef("pk"), known_at__lte=as_of)
    return Reading.objects.filter(known_at__lte=as_of).exclude(Exists(superseded))


def load_readings(
    *,
    point_ids: Sequence[int],
    period: Month,
    window: ReadingWindow,
    as_of: dt.datetime,
    run_id: int | None = None,
) -> ManualReadings:
    """The registers of ``point_ids`` installed in ``period`` and their readings as known at
    ``as_of`` (:func:`readings_known_at`) from the last day of the month before to the close
    of ``period``'s reading window (and, where the month starts from an estimate, the
    readings since the last actual one)."""
    first, end = period.first_day, period.next().first_day
    failed, error = _failed_estimates(run_id)
    out = ManualReadings(
        registers=defaultdict(list),
        readings=defaultdict(list),
        failed_estimates=failed,
        estimation_error=error,
    )
    for rid, kind, point_id, digits, multiplier, removed in (
        Register.objects.filter(meter__metering_point_id__in=point_ids)
        .filter(Q(meter__removed_date__isnull=True) | Q(meter__removed_date__gt=first))
        .filter(meter__installed_date__lt=end)
        .values_list(
            "id",
            "kind",
            "meter__metering_point_id",
            "meter__digits",
            "meter__multiplier",
            "meter__removed_date",
        )
        .order_by("meter__installed_date", "id")
    ):
        out.registers[point_id].append(RegisterRow(rid, kind, digits, multiplier, removed))
    register_ids = [r.register_id for rs in out.registers.values() for r in rs]
    since = local_midnight(period.previous().last_day)
    for row in (
        readings_known_at(as_of)
        .filter(
            register_id__in=register_ids,
            status__in=(Reading.Status.ACCEPTED, Reading.Status.PENDING_REVIEW),
            read_at__gte=since,
            read_at__lt=window.closes_at(period),
        )
        .order_by("read_at", "id")
        .values_list("register_id", *_READING_FIELDS)
    ):
        out.readings[row[0]].append(ReadingRow._make(row[1:]))
    previous = str(period.previous())
    from_estimate = [
        rid
        for rid, rows in out.readings.items()
        if any(r.period == previous and r.estimated and r.status == _ACCEPTED for r in rows)
    ]
    if from_estimate:
        out.earlier = _since_last_actual(from_estimate, before=since, as_of=as_of)
    out.held, out.later_true_ups = _live_reading_terms(point_ids, period)
    return out


READING_TRUE_UPS = "reading_true_ups"  # the basis key of reading (boundary) true-ups


def _live_reading_terms(
    point_ids: Sequence[int], period: Month
) -> tuple[dict[tuple[int, int], HeldBoundary], dict[tuple[int, int], tuple[Decimal, list[int]]]]:
    """From the live bills of the points: per (account, register), what they hold of the
    month-end reading that ends the month before ``period`` (:class:`HeldBoundary`), and the
    reading true-ups of ``period`` itself on bills of other months."""
    before = period.previous()
    end_ids: dict[tuple[int, int], list[int]] = defaultdict(list)
    terms: dict[tuple[int, Month, int], Decimal] = defaultdict(Decimal)
    later_kwh: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    invoices_of: dict[tuple[int, int], list[int]] = defaultdict(list)
    seen: set[tuple[int, int, Month, bool]] = set()
    for invoice_id, invoice_period, account_id, point_id, start, true_up, basis in (
        InvoiceLine.objects.filter(
            metering_point_id__in=point_ids,
            invoice__kind=Invoice.Kind.INVOICE,  # a credit note takes its invoice out
            invoice__status=Invoice.Status.ISSUED,
            unit=InvoiceLine.Unit.KWH,
            period_start__gte=before.first_day,
            period_start__lt=period.next().first_day,
        )
        .order_by("invoice_id", "position")
        .values_list(
            "invoice_id",
            "invoice__period",
            "invoice__billing_account_id",
            "metering_point_id",
            "period_start",
            "is_true_up",
            "basis",
        )
    ):
        month = Month.of(start)
        if (invoice_id, point_id, month, true_up) in seen or not basis:
            continue  # one basis per invoice, point and month (every kWh line repeats it)
        seen.add((invoice_id, point_id, month, true_up))
        if not true_up:
            if month == before and invoice_period == str(before):
                end_ids[(account_id, point_id)].extend(
                    int(r["end_reading_id"]) for r in basis.get("registers", [])
                )
            continue
        for entry in basis.get(READING_TRUE_UPS, []):
            if entry["corrects_period"] != str(month):
                continue
            register_id = int(entry["register_id"])
            terms[(account_id, month, register_id)] += Decimal(entry["kwh"])
            if month == period and invoice_period != str(period):
                later_kwh[(account_id, register_id)] += Decimal(entry["kwh"])
                invoices_of[(account_id, register_id)].append(invoice_id)
    rows = {
        row[0]: (row[1], ReadingRow._make(row[2:]))
        for row in Reading.objects.filter(
            pk__in=[i for ids in end_ids.values() for i in ids]
        ).values_list("id", "register_id", *_READING_FIELDS)
    }
    held: dict[tuple[int, int], HeldBoundary] = {}
    for (account_id, _), ids in end_ids.items():
        for reading_id in ids:
            register_id, row = rows[reading_id]
            held[(account_id, register_id)] = HeldBoundary(
                row, terms.get((account_id, before, register_id), Decimal(0))
            )
    later = {
        key: (later_kwh[key], sorted(set(ids)))
        for key, ids in invoices_of.items()
        if later_kwh[key]
    }
    return held, later


def _since_last_actual(
    register_ids: Sequence[int], *, before: dt.datetime, as_of: dt.datetime
) -> dict[int, list[ReadingRow]]:
    """Per register, its last actual accepted reading before ``before`` and every accepted
    reading after it (the estimates that bills used since), as known at ``as_of``."""
    history: dict[int, list[ReadingRow]] = defaultdict(list)
    for row in (
        readings_known_at(as_of)
        .filter(
            register_id__in=register_ids,
            status=Reading.Status.ACCEPTED,
            read_at__lt=before,
        )
        .order_by("read_at", "id")
        .values_list("register_id", *_READING_FIELDS)
    ):
        history[row[0]].append(ReadingRow._make(row[1:]))
    out: dict[int, list[ReadingRow]] = {}
    for rid, rows in history.items():
        actual = [i for i, r in enumerate(rows) if not r.estimated]
        if actual:
            out[rid] = rows[actual[-1] :]
    return out


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
    if any(r.period == str(month) and r.status == Reading.Status.PENDING_REVIEW for r in readings):
        raise Unbillable(
            PENDING_REVIEW,
            f"The {month} reading of register {register.kind} waits for review in the back "
            "office; it is billed once accepted.",
        )
    accepted = [r for r in readings if r.status == _ACCEPTED]
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


# -- a point's month ---------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _bands(scheme: BandScheme, month: Month) -> npt.NDArray[np.int8]:
    return scheme.band_indices(rating.month_grid(month, MANUAL_MINUTES).starts)


@lru_cache(maxsize=32)
def _profile(month: Month) -> npt.NDArray[np.float64]:
    weights = estimation.hourly_profile(rating.month_grid(month, MANUAL_MINUTES).starts)
    weights.setflags(write=False)
    return weights


def _covered(grid: rating.MonthGrid, spans: Sequence[Span]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(grid.count, dtype=np.bool_)
    first = grid.month.first_day
    for start, end in spans:
        mask[
            int(grid.day_first[(start - first).days]) : int(grid.day_first[(end - first).days])
        ] = True
    return mask


def spread(
    by_kind: dict[str, Decimal],
    month: Month,
    spans: Sequence[Span],
    scheme: Callable[[], BandScheme],
    *,
    profile: bool = False,
) -> npt.NDArray[np.int64]:
    """kWh by register kind as Wh per hour of ``month`` over the supplied ``spans`` (DAY and
    NIGHT over their band's hours), evenly or over the standard hourly ``profile``."""
    grid = rating.month_grid(month, MANUAL_MINUTES)
    covered = _covered(grid, spans)
    weights = _profile(month) if profile else np.ones(grid.count, dtype=np.float64)
    energy = np.zeros(grid.count, dtype=np.int64)
    for kind, kwh in sorted(by_kind.items()):
        wh = kwh * 1000
        if wh != wh.to_integral_value():
            raise Unbillable(NO_CONSUMPTION_DATA, f"Consumption {kwh} kWh is finer than 1 Wh")
        mask = covered
        if kind in ("DAY", "NIGHT"):
            bands = scheme()
            mask = covered & (_bands(bands, month) == bands.bands.index(kind))
        energy += rating.spread_wh(int(wh), weights, mask)
    return energy


@dataclass(frozen=True)
class ManualEnergy:
    energy_wh: npt.NDArray[np.int64]  # the month, per hour
    true_ups: dict[Month, dict[str, Decimal]]  # per earlier month: kWh by register kind
    estimated: bool
    basis: dict[str, Any]


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


def manual_energy(
    *,
    account_id: int,
    month: Month,
    spans: Sequence[Span],
    registers: list[RegisterRow],
    data: ManualReadings,
    scheme: Callable[[], BandScheme],
    profile: bool = False,
) -> ManualEnergy:
    """A manual point's month on one account (supplied ``spans``), at 60 minutes, with the
    true-ups of earlier months (estimates, :func:`reading_true_ups`)."""
    supply = (min(s for s, _ in spans), max(e for _, e in spans))
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    true_ups: dict[Month, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    estimated = False
    used: list[dict[str, Any]] = []
    corrections: list[dict[str, Any]] = []
    for register in registers:
        use = register_use(
            register,
            data.readings.get(register.register_id, []),
            data.earlier.get(register.register_id, []),
            month,
            supply,
        )
        if use is None:
            if register.removed is not None:
                continue  # a meter exchanged in the month without a final reading here
            failure = data.failed_estimates.get(register.register_id) or data.estimation_error
            if failure:
                raise Unbillable(
                    ESTIMATION_FAILED,
                    f"No {month} month-end reading for register {register.kind}, and "
                    f"estimating it failed: {failure}. Fix the cause, run `vool readings "
                    f"estimate --period {month}`, then bill the account with `vool billing "
                    "rebill`.",
                )
            raise Unbillable(
                NO_CONSUMPTION_DATA,
                f"No {month} month-end reading for register {register.kind} and no "
                f"estimate; run `vool readings estimate --period {month}` first.",
            )
        by_kind[register.kind] += use.kwh
        for earlier_month, kwh in use.true_ups.items():
            true_ups[earlier_month][register.kind] += kwh
        for entry in reading_true_ups(account_id, register, use, month, data):
            true_ups[Month.parse(entry["corrects_period"])][register.kind] += Decimal(entry["kwh"])
            corrections.append(entry)
        estimated = estimated or use.estimated
        used.append(use.basis)
    if not used:
        raise Unbillable(NO_CONSUMPTION_DATA, f"No readings for {month}.")
    basis: dict[str, Any] = {"source": "READINGS", "registers": used}
    if corrections:
        basis[READING_TRUE_UPS] = corrections
    return ManualEnergy(
        energy_wh=spread(by_kind, month, spans, scheme, profile=profile),
        true_ups={m: dict(kinds) for m, kinds in true_ups.items() if any(kinds.values())},
        estimated=estimated,
        basis=basis,
    )


# -- true-ups of earlier months --------------------------------------------------------------

Product = tuple[int, bool]  # (product id, green add-on), as pricing keys tariffs
ProductPiece = tuple[Product, dt.date, dt.date]


@dataclass(frozen=True)
class TrueUp:
    """What a manual point's bill of ``month`` (an earlier month) got wrong, to be priced
    under ``month``'s tariffs and VAT on the account's bill of now."""

    account_id: int
    point_id: int
    month: Month
    kwh_by_kind: dict[str, Decimal]
    basis: dict[str, Any]


def contract_pieces(
    *, keys: set[tuple[int, int]], months: set[Month]
) -> dict[tuple[int, int, Month], list[ProductPiece]]:
    """The (product, first day, end day) pieces of each (account, point) in each month."""
    out: dict[tuple[int, int, Month], list[ProductPiece]] = defaultdict(list)
    if not keys or not months:
        return out
    first = min(months).first_day
    end = max(months).next().first_day
    for account_id, point_id, product_id, green, valid_from, valid_to in (
        SupplyContract.objects.filter(
            billing_account_id__in={a for a, _ in keys},
            metering_point_id__in={p for _, p in keys},
        )
        .exclude(status=SupplyContract.Status.CANCELLED)
        .filter(valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
        .order_by("valid_from")
        .values_list(
            "billing_account_id",
            "metering_point_id",
            "product_id",
            "green_energy",
            "valid_from",
            "valid_to",
        )
    ):
        if (account_id, point_id) not in keys:
            continue
        for month in months:
            lo = max(valid_from, month.first_day)
            hi = min(valid_to, month.next().first_day) if valid_to else month.next().first_day
            if lo < hi:
                out[(account_id, point_id, month)].append(((product_id, green), lo, hi))
    return out


def _true_up_month(
    t: TrueUp,
    supplied: Sequence[ProductPiece],
    *,
    scheme: Callable[[], BandScheme],
    tariff_in: Callable[[Month, Product, int], rating.Tariff],
    profile: Callable[[Sequence[rating.Tariff]], bool],
) -> rating.AccountMonth:
    """The kernel's input for one true-up: its kWh over the hours the account was supplied
    in the month it corrects, under that month's (per-kWh) tariffs."""
    if not supplied:
        raise Unbillable(
            NO_CONSUMPTION_DATA,
            f"A true-up of {t.month} is due, but the account had no contract for the point in "
            "that month.",
        )
    tariffs = [(tariff_in(t.month, product, t.point_id), lo, hi) for product, lo, hi in supplied]
    energy = spread(
        t.kwh_by_kind,
        t.month,
        [(lo, hi) for _, lo, hi in supplied],
        scheme,
        profile=profile([tariff for tariff, _, _ in tariffs]),
    )
    return rating.AccountMonth(
        account_id=(t.account_id, t.point_id, t.month),
        minutes=MANUAL_MINUTES,
        energy_wh=energy,
        pieces=tuple(rating.Piece(tariff, lo, hi) for tariff, lo, hi in tariffs),
    )


def price_true_ups(
    true_ups: Sequence[TrueUp],
    *,
    scheme: Callable[[], BandScheme],
    tariff_in: Callable[[Month, Product, int], rating.Tariff],
    rate: Callable[
        [Month, Sequence[rating.AccountMonth]],
        tuple[dict[object, list[rating.Line]], dict[object, Exception]],
    ],
    profile: Callable[[Sequence[rating.Tariff]], bool],
) -> tuple[dict[tuple[int, int], list[tuple[rating.Line, dict[str, Any]]]], dict[int, Unbillable]]:
    """Price each true-up under its own month's tariffs (``tariff_in`` gives the per-kWh
    true-up tariff of a product in a month) and VAT, spread over the hours the account was
    supplied in that month. Returns the lines (with their basis) by (account, point), and the
    accounts whose true-up could not be priced."""
    pieces = contract_pieces(
        keys={(t.account_id, t.point_id) for t in true_ups}, months={t.month for t in true_ups}
    )
    lines: dict[tuple[int, int], list[tuple[rating.Line, dict[str, Any]]]] = defaultdict(list)
    failed: dict[int, Unbillable] = {}
    by_month: dict[Month, list[tuple[TrueUp, rating.AccountMonth]]] = defaultdict(list)
    for t in true_ups:
        try:
            account = _true_up_month(
                t,
                pieces.get((t.account_id, t.point_id, t.month), []),
                scheme=scheme,
                tariff_in=tariff_in,
                profile=profile,
            )
        except Unbillable as exc:
            failed.setdefault(t.account_id, exc)
            continue
        by_month[t.month].append((t, account))
    for month, items in sorted(by_month.items()):
        rated, failures = rate(month, [a for _, a in items])
        for t, account in items:
            if account.account_id in failures:
                failed.setdefault(
                    t.account_id,
                    Unbillable(MISSING_PRICE, str(failures[account.account_id])),
                )
                continue
            basis = {**t.basis, "corrects_period": str(month)}
            lines[(t.account_id, t.point_id)].extend(
                (line, basis) for line in rated[account.account_id]
            )
    return lines, failed
