"""The pricing seam of the bill run: what each account of a chunk owes for a period.

:func:`price_accounts` is a short orchestrator over named parts:
:mod:`~vool.domain.billing.assembly` (reads, each point's month for the kernel),
:mod:`~vool.domain.billing.month_lines` (the kernel's lines, manual true-ups, the guard),
:mod:`~vool.domain.billing.true_ups` (corrected interval data) and
:mod:`~vool.domain.billing.priced` (what comes back, pure). What each step does:

Reads (set-based, a handful of queries per chunk, never one per account)
    the accounts' live contracts in the period (:func:`vool.domain.contracts.queries.
    live_contracts`), how their points are read and their network tariff
    (:func:`vool.domain.supply.queries.tariff_facts`), interval data in the version known at
    the run's data cut-off ``as_of`` (:func:`vool.domain.metering.queries.
    interval_days_known_at`), the readings of manual points (:mod:`vool.domain.billing.manual`)
    and the tariffs, VAT and market prices (:mod:`vool.domain.billing.tariff_book`).
Consumption (pure, :mod:`vool.domain.billing.consumption` and
:mod:`vool.domain.billing.advances`)
    remote-read points: each supplied day's interval data on one grid; manual points: each
    register's advance between the month-end (or move) readings, spread over the hours of the
    supplied days (DAY and NIGHT over their own band's hours; over the standard load profile
    when the price follows the exchange), so the kernel prices registers and intervals alike.
Prices (pure, :mod:`vool.domain.tariffs.rating`)
    exact integer arithmetic, one rounding per line; lines split at every price, band and VAT
    change, monthly fees prorated by supplied days.
True-ups
    months billed on estimates (:func:`vool.domain.billing.manual.price_true_ups`) and
    corrected interval data, by version (:mod:`vool.domain.billing.true_ups`).
The guard
    bills that look implausible become exceptions for a person (:mod:`vool.domain.billing.guard`).

Accounts that cannot be billed come back as exceptions with a reason a person can act on; the
others come back as draft lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from vool.common.localtime import Month
from vool.domain.billing import assembly, guard, month_lines, priced, tariff_book
from vool.domain.billing.consumption import PointMonth
from vool.domain.billing.month_lines import ledger_account_of
from vool.domain.billing.priced import DraftLine, PricedAccounts
from vool.domain.billing.reasons import NO_CONTRACT
from vool.domain.metering.window import ReadingWindow

__all__ = ["DraftLine", "PricedAccounts", "ledger_account_of", "price_accounts"]


def price_accounts(
    *,
    billing_account_ids: Sequence[int],
    period: Month,
    as_of: dt.datetime,
    window: ReadingWindow,
    limits: guard.GuardLimits,
    cache_scope: object = None,
    run_id: int | None = None,
) -> PricedAccounts:
    """Draft lines (or an exception) for each billing account of ``billing_account_ids``,
    on the data known at ``as_of``, manual points after ``window`` closes, bills outside
    ``limits`` held back.

    ``cache_scope`` (the run's token) lets the chunks of one run share the tariffs they build
    in this process; ``run_id`` is the run the drafts are for (its own drafts do not hold
    interval corrections away from it)."""
    from vool.domain.billing import true_ups  # it builds on this module's types

    result = PricedAccounts()
    book = tariff_book.for_scope(cache_scope)
    points = assembly.point_months(billing_account_ids=billing_account_ids, period=period)
    with_contract = {account_id for account_id, _ in points}
    for account_id in billing_account_ids:
        if account_id not in with_contract:
            result.exceptions[account_id] = (NO_CONTRACT, f"No supply contract in {period}.")
    book.load(
        period, {assembly.tariff_key(p, c.product) for p in points.values() for c in p.pieces}
    )
    book.load_production(
        period, {c.production for p in points.values() for c in p.pieces if c.production}
    )
    sources = assembly.load_sources(
        points, period=period, as_of=as_of, window=window, run_id=run_id
    )
    assembled = assembly.assemble_all(points, period, sources, book, result)
    month_lines.rate_month(assembled, period, book, result)
    manual_true_ups = [t for a in assembled for t in a.true_ups]
    if manual_true_ups:
        month_lines.manual_true_ups(manual_true_ups, points, book, result)
    # true_ups keys the points by plain (account id, point id) tuples
    remote: dict[tuple[int, int], PointMonth] = {
        k: p for k, p in points.items() if p.remote and k.account_id not in result.failed
    }
    if remote:
        true_ups.interval_versions(
            remote,
            period=period,
            as_of=as_of,
            days=sources.days,
            book=book,
            result=result,
            run_id=run_id,
        )
    month_lines.hold_implausible(result, period, limits)
    priced.settle_failures(result)
    return result
