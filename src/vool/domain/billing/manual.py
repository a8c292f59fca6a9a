"""Manual-read (register) metering points in the bill run: the database side.

:func:`load_readings` loads, set-based, the registers of a chunk's manual points and their
readings as known at the run's cut-off, and what the accounts' live bills already hold of
them; :func:`price_true_ups` prices the true-ups of months billed on estimates under each
month's own tariffs. The rules themselves are pure: register advances and true-up shares in
:mod:`vool.domain.billing.advances`, the spread over hours in
:mod:`vool.domain.billing.consumption`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from vool.common.localtime import Month, local_midnight
from vool.domain.billing.advances import (
    ACCEPTED,
    READING_TRUE_UPS,
    HeldBoundary,
    ManualReadings,
    ReadingRow,
    RegisterRow,
)
from vool.domain.billing.consumption import ContractPiece, Product, TrueUp, pieces_in, true_up_month
from vool.domain.billing.models import BillRun, Invoice, InvoiceLine
from vool.domain.billing.reasons import MISSING_PRICE, Unbillable
from vool.domain.contracts import queries as contract_queries
from vool.domain.metering.models import Reading, Register
from vool.domain.metering.window import ReadingWindow
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandScheme

__all__ = ["contract_pieces", "load_readings", "price_true_ups", "readings_known_at"]

_READING_FIELDS = ("id", "read_at", "value_kwh", "source", "period", "status", "details")


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
        if any(r.period == previous and r.estimated and r.status == ACCEPTED for r in rows)
    ]
    if from_estimate:
        out.earlier = _since_last_actual(from_estimate, before=since, as_of=as_of)
    out.held, out.later_true_ups = _live_reading_terms(point_ids, period)
    return out


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


# -- true-ups of earlier months --------------------------------------------------------------


def contract_pieces(
    *, keys: set[tuple[int, int]], months: set[Month]
) -> dict[tuple[int, int, Month], list[ContractPiece]]:
    """The pieces (product, days) of each (account, point)'s live contracts in each month."""
    out: dict[tuple[int, int, Month], list[ContractPiece]] = defaultdict(list)
    if not keys or not months:
        return out
    for contract in contract_queries.live_contracts(
        start=min(months).first_day,
        end=max(months).next().first_day,
        billing_account_ids={a for a, _ in keys},
        metering_point_ids={p for _, p in keys},
    ):
        key = (contract.billing_account_id, contract.metering_point_id)
        if key not in keys:
            continue
        product = (contract.product_id, contract.green_energy)
        for month in months:
            piece = pieces_in(month, product, contract.valid_from, contract.valid_to)
            if piece is not None:
                out[(*key, month)].append(piece)
    return out


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
            account = true_up_month(
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
