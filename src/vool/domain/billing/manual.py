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

from vool.common.localtime import Month, local_midnight
from vool.domain.billing import queries as billing_queries
from vool.domain.billing.advances import (
    ACCEPTED,
    READING_TRUE_UPS,
    WAITS_FOR_REVIEW,
    HeldBoundary,
    ManualReadings,
    ReadingRow,
)
from vool.domain.billing.consumption import ContractPiece, Product, TrueUp, pieces_in, true_up_month
from vool.domain.billing.reasons import MISSING_PRICE, Unbillable
from vool.domain.contracts import queries as contract_queries
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.window import ReadingWindow
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandScheme

__all__ = ["contract_pieces", "load_readings", "price_true_ups"]


def load_readings(
    *,
    point_ids: Sequence[int],
    period: Month,
    window: ReadingWindow,
    as_of: dt.datetime,
    run_id: int | None = None,
) -> ManualReadings:
    """The registers of ``point_ids`` installed in ``period`` and their readings as known at
    ``as_of`` (:func:`vool.domain.metering.queries.readings_known_at`) from the last day of
    the month before to the close of ``period``'s reading window (and, where the month starts
    from an estimate, the readings since the last actual one)."""
    first, end = period.first_day, period.next().first_day
    failed, error = billing_queries.estimation_failures(run_id=run_id)
    out = ManualReadings(failed_estimates=failed, estimation_error=error)
    out.registers = metering_queries.registers_on_points(
        point_ids=point_ids, first_day=first, end_day=end
    )
    since = local_midnight(period.previous().last_day)
    out.readings = metering_queries.register_readings(
        register_ids=[r.register_id for rs in out.registers.values() for r in rs],
        as_of=as_of,
        statuses=(ACCEPTED, WAITS_FOR_REVIEW),
        read_from=since,
        read_before=window.closes_at(period),
    )
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


_Held = dict[tuple[int, int], HeldBoundary]
_Later = dict[tuple[int, int], tuple[Decimal, list[int]]]


def _one_basis_each(lines: list[billing_queries.KwhBasis]) -> list[billing_queries.KwhBasis]:
    """One line per invoice, point, month and kind (every kWh line repeats the basis)."""
    seen: set[tuple[int, int, Month, bool]] = set()
    out: list[billing_queries.KwhBasis] = []
    for line in lines:
        key = (
            line.invoice_id,
            line.metering_point_id,
            Month.of(line.period_start),
            line.is_true_up,
        )
        if key in seen or not line.basis:
            continue
        seen.add(key)
        out.append(line)
    return out


def _live_reading_terms(point_ids: Sequence[int], period: Month) -> tuple[_Held, _Later]:
    """From the live bills of the points: per (account, register), what they hold of the
    month-end reading that ends the month before ``period`` (:class:`HeldBoundary`), and the
    reading true-ups of ``period`` itself on bills of other months."""
    before = period.previous()
    end_ids: dict[tuple[int, int], list[int]] = defaultdict(list)
    terms: dict[tuple[int, Month, int], Decimal] = defaultdict(Decimal)
    later_kwh: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    invoices_of: dict[tuple[int, int], list[int]] = defaultdict(list)
    lines = billing_queries.issued_kwh_bases(
        point_ids=point_ids, first_start=before.first_day, end_start=period.next().first_day
    )
    for line in _one_basis_each(lines):
        month, account_id = Month.of(line.period_start), line.billing_account_id
        if not line.is_true_up:
            if month == before and line.invoice_period == str(before):
                end_ids[(account_id, line.metering_point_id)].extend(
                    int(r["end_reading_id"]) for r in line.basis.get("registers", [])
                )
            continue
        for entry in line.basis.get(READING_TRUE_UPS, []):
            if entry["corrects_period"] != str(month):
                continue
            register_id = int(entry["register_id"])
            terms[(account_id, month, register_id)] += Decimal(entry["kwh"])
            if month == period and line.invoice_period != str(period):
                later_kwh[(account_id, register_id)] += Decimal(entry["kwh"])
                invoices_of[(account_id, register_id)].append(line.invoice_id)
    rows = metering_queries.readings_by_id(reading_ids=[i for ids in end_ids.values() for i in ids])
    held: _Held = {}
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
    history = metering_queries.register_readings(
        register_ids=register_ids, as_of=as_of, statuses=(ACCEPTED,), read_before=before
    )
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
