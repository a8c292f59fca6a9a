"""The pricing seam of the bill run: what each account of a chunk owes for a period.

:func:`price_accounts` is a short orchestrator. Where each part lives:

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
from dataclasses import dataclass, field
from typing import Any

from vool.common.localtime import Month
from vool.domain.billing import consumption, guard, manual, tariff_book
from vool.domain.billing.consumption import PointMonth, TrueUp
from vool.domain.billing.reasons import (
    MISSING_PRICE,
    NO_CONTRACT,
    WINDOW_OPEN,
    Unbillable,
)
from vool.domain.billing.tariff_book import TariffBook, TariffKey
from vool.domain.contracts import queries as contract_queries
from vool.domain.ledger.models import LedgerAccount
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.intervals import KnownDay
from vool.domain.metering.window import ReadingWindow
from vool.domain.supply import queries as supply_queries
from vool.domain.tariffs import rating

__all__ = ["DraftLine", "PricedAccounts", "ledger_account_of", "price_accounts"]

LEDGER_ACCOUNT_OF_COMPONENT = {
    "ENERGY": LedgerAccount.REVENUE_ENERGY,
    "MARGIN": LedgerAccount.REVENUE_ENERGY,
    "GREEN": LedgerAccount.REVENUE_ENERGY,
    "PRODUCT_FEE": LedgerAccount.REVENUE_FEES,
    "NETWORK_ENERGY": LedgerAccount.REVENUE_NETWORK,
    "NETWORK_FEE": LedgerAccount.REVENUE_NETWORK,
    # a prosumer's surplus bought on the bill (a credit line): a purchase, not revenue
    tariff_book.PRODUCTION: LedgerAccount.PRODUCTION_COST,
}


def ledger_account_of(component: str) -> str:
    """Revenue account of a bill component; every other component is a levy (excise,
    renewable-energy fee, ...), passed through."""
    return LEDGER_ACCOUNT_OF_COMPONENT.get(component, LedgerAccount.REVENUE_LEVIES)


@dataclass(frozen=True)
class DraftLine:
    metering_point_id: int | None  # None: a charge of the account (interest, a fee)
    line: rating.Line
    ledger_account: str
    is_estimated: bool
    is_true_up: bool
    basis: dict[str, Any]


@dataclass
class PricedAccounts:
    lines: dict[int, list[DraftLine]] = field(default_factory=dict)
    exceptions: dict[int, tuple[str, str]] = field(default_factory=dict)  # code, reason
    # interval corrections whose version each account's bill holds (IntervalCorrection ids)
    corrections: dict[int, list[int]] = field(default_factory=dict)
    # the interval data each account's bill holds: the month's versions, true-up terms
    interval_days: dict[int, list[consumption.BilledDays]] = field(default_factory=dict)
    interval_terms: dict[int, list[Any]] = field(default_factory=dict)  # true_ups.Term
    # accounts that cannot be billed (code, reason), as found; they end in ``exceptions``
    failed: dict[int, tuple[str, str]] = field(default_factory=dict)

    def fail(self, account_id: int, code: str, reason: str) -> None:
        """The account cannot be billed (the first reason found is kept)."""
        self.failed.setdefault(account_id, (code, reason))

    def add_lines(self, account_id: int, drafts: Sequence[DraftLine]) -> None:
        self.lines.setdefault(account_id, []).extend(drafts)


PointKey = tuple[int, int]  # (billing account id, metering point id)


def tariff_key(point: PointMonth, product: consumption.Product) -> TariffKey:
    return TariffKey(product, point.network)


# -- reads -------------------------------------------------------------------------------------


def point_months(
    *, billing_account_ids: Sequence[int], period: Month
) -> dict[PointKey, PointMonth]:
    """Each (account, point) supplied in ``period`` with its contract pieces and network."""
    points: dict[PointKey, PointMonth] = {}
    for contract in contract_queries.live_contracts(
        start=period.first_day,
        end=period.next().first_day,
        billing_account_ids=billing_account_ids,
    ):
        key = (contract.billing_account_id, contract.metering_point_id)
        point = points.setdefault(key, PointMonth(key[1], key[0], True))
        piece = consumption.pieces_in(
            period,
            (contract.product_id, contract.green_energy),
            contract.valid_from,
            contract.valid_to,
            contract.production_product_id,
        )
        assert piece is not None  # a live contract of the period has days in it
        point.pieces.append(piece)
    facts = supply_queries.tariff_facts(point_ids={p.point_id for p in points.values()})
    for point in points.values():
        fact = facts[point.point_id]
        point.remote = fact.remote
        point.network = consumption.Network(
            fact.grid_operator_code, fact.network_package_code, fact.main_fuse_a, fact.is_apartment
        )
    return points


@dataclass
class _Sources:
    """What the chunk's points are billed from, loaded set-based."""

    days: dict[int, dict[dt.date, KnownDay]]  # remote points: interval data at the cut-off
    manual: manual.ManualReadings  # manual points: registers and readings at the cut-off
    window_open: bool  # manual points wait for the reading window to close


def _load_sources(
    points: dict[PointKey, PointMonth],
    *,
    period: Month,
    as_of: dt.datetime,
    window: ReadingWindow,
    run_id: int | None,
) -> _Sources:
    remote_ids = [p.point_id for p in points.values() if p.remote]
    manual_ids = [p.point_id for p in points.values() if not p.remote]
    days = metering_queries.interval_days_known_at(
        point_ids=remote_ids,
        first_day=period.first_day,
        end_day=period.next().first_day,
        as_of=as_of,
    )
    window_open = bool(manual_ids) and not window.is_closed(period, as_of=as_of)
    readings = manual.ManualReadings()
    if manual_ids and not window_open:
        readings = manual.load_readings(
            point_ids=manual_ids, period=period, window=window, as_of=as_of, run_id=run_id
        )
    return _Sources(days, readings, window_open)


# -- the month's consumption of each point ----------------------------------------------------


@dataclass(frozen=True)
class _Assembled:
    """One point's month ready for the kernel."""

    key: PointKey
    account: rating.AccountMonth
    estimated: bool
    basis: dict[str, Any]
    true_ups: list[TrueUp]  # manual points: months billed on estimates
    production: rating.AccountMonth | None = None  # a prosumer's surplus, to be credited


def _assemble(point: PointMonth, period: Month, sources: _Sources, book: TariffBook) -> _Assembled:
    """The kernel's input for one point; raises :class:`Unbillable`."""
    for piece in point.pieces:
        reason = book.missing(period, tariff_key(point, piece.product))
        if reason is not None:
            raise Unbillable(MISSING_PRICE, reason)
    tariffs = [book.tariff(period, tariff_key(point, piece.product)) for piece in point.pieces]
    true_ups: list[TrueUp] = []
    production = None
    if point.remote:
        net_days = book.net_days(period)
        remote = consumption.remote_energy(
            point, period, sources.days.get(point.point_id, {}), net_days
        )
        minutes, energy, estimated, basis = (
            remote.minutes,
            remote.energy_wh,
            remote.estimated,
            remote.basis,
        )
        production = consumption.production_month(
            point, period, remote, net_days, lambda p: book.production_tariff(period, p)
        )
    elif sources.window_open:
        raise Unbillable(
            WINDOW_OPEN,
            f"The reading window for {period} is still open; manual points are billed "
            "after it closes.",
        )
    else:
        use = consumption.manual_energy(
            account_id=point.account_id,
            month=period,
            spans=point.spans,
            registers=sources.manual.registers.get(point.point_id, []),
            data=sources.manual,
            scheme=book.day_night,
            profile=tariff_book.uses_market(tariffs),
        )
        minutes, energy, estimated, basis = (
            consumption.MANUAL_MINUTES,
            use.energy_wh,
            use.estimated,
            use.basis,
        )
        true_ups = [
            TrueUp(point.account_id, point.point_id, month, kinds, use.basis)
            for month, kinds in sorted(use.true_ups.items())
        ]
    account = rating.AccountMonth(
        account_id=(point.account_id, point.point_id, False),
        minutes=minutes,
        energy_wh=energy,
        pieces=tuple(
            rating.Piece(tariff, piece.first_day, piece.end_day)
            for tariff, piece in zip(tariffs, point.pieces, strict=True)
        ),
    )
    return _Assembled(
        (point.account_id, point.point_id), account, estimated, basis, true_ups, production
    )


def _assemble_all(
    points: dict[PointKey, PointMonth],
    period: Month,
    sources: _Sources,
    book: TariffBook,
    result: PricedAccounts,
) -> list[_Assembled]:
    """Every point's month, in order; an account with a point that cannot be billed fails
    as a whole."""
    assembled: list[_Assembled] = []
    for point in points.values():
        if point.account_id in result.failed:
            continue
        try:
            assembled.append(_assemble(point, period, sources, book))
        except Unbillable as exc:
            result.fail(point.account_id, exc.code, exc.reason)
    return [a for a in assembled if a.key[0] not in result.failed]


def _draft_lines(item: _Assembled, lines: list[rating.Line]) -> list[DraftLine]:
    return [
        DraftLine(
            metering_point_id=item.key[1],
            line=line,
            ledger_account=ledger_account_of(line.component),
            is_estimated=item.estimated and line.unit == "KWH",
            is_true_up=False,
            basis=item.basis if line.unit == "KWH" else {},
        )
        for line in lines
    ]


def _credit_lines(item: _Assembled, lines: list[rating.Line]) -> list[DraftLine]:
    """The surplus credit of a prosumer point (negative kWh, positive price)."""
    basis = {
        "source": "NET_SURPLUS",
        "surplus_wh": item.basis.get("surplus_wh", 0),
        "resolution_minutes": item.basis.get("resolution_minutes"),
    }
    return [
        DraftLine(item.key[1], line, ledger_account_of(line.component), False, False, basis)
        for line in lines
    ]


def _rate_month(
    assembled: list[_Assembled], period: Month, book: TariffBook, result: PricedAccounts
) -> None:
    """The kernel prices every point's month; the lines go on their account's bill."""
    rated, failures = book.rate(period, [a.account for a in assembled])
    producing = [a.production for a in assembled if a.production is not None]
    if producing:
        credited, credit_failures = book.rate_production(period, producing)
        rated |= credited
        failures |= credit_failures
    for item in assembled:
        for account in (item.account, item.production):
            failure = failures.get(account.account_id) if account is not None else None
            if failure is not None:
                result.fail(item.key[0], MISSING_PRICE, str(failure))
    for item in sorted(assembled, key=lambda a: a.key):
        if item.key[0] in result.failed or item.account.account_id not in rated:
            continue
        result.add_lines(item.key[0], _draft_lines(item, rated[item.account.account_id]))
        if item.production is not None:
            result.add_lines(item.key[0], _credit_lines(item, rated[item.production.account_id]))


# -- true-ups, the guard -----------------------------------------------------------------------


def _manual_true_ups(
    true_ups: Sequence[TrueUp],
    points: dict[PointKey, PointMonth],
    book: TariffBook,
    result: PricedAccounts,
) -> None:
    """True-up lines of manual points, each priced at the month it corrects (see
    :mod:`vool.domain.billing.manual`), on the bills of accounts that are billed."""

    networks = {p.point_id: p.network for p in points.values()}

    def tariff_in(month: Month, product: consumption.Product, point_id: int) -> rating.Tariff:
        return book.true_up_tariff(month, TariffKey(product, networks[point_id]))

    pending = [t for t in true_ups if t.account_id not in result.failed]
    lines, failures = manual.price_true_ups(
        pending,
        scheme=book.day_night,
        tariff_in=tariff_in,
        rate=book.rate,
        profile=tariff_book.uses_market,
    )
    for account_id, exc in failures.items():
        result.fail(account_id, exc.code, exc.reason)
    for (account_id, point_id), priced in sorted(lines.items()):
        if account_id in result.failed or account_id not in result.lines:
            continue
        result.add_lines(
            account_id,
            [
                DraftLine(point_id, line, ledger_account_of(line.component), False, True, basis)
                for line, basis in priced
            ],
        )


def _hold_implausible(result: PricedAccounts, period: Month, limits: guard.GuardLimits) -> None:
    """The plausibility guard (:mod:`vool.domain.billing.guard`): bills that look wrong
    become run exceptions for a person."""
    figures = {
        account_id: [
            guard.LineFigures(
                d.line.component,
                d.line.band,
                d.line.unit,
                d.line.quantity,
                d.line.amount,
                d.is_true_up,
                d.line.period_start,
                d.line.period_end,
            )
            for d in drafts
        ]
        for account_id, drafts in result.lines.items()
        if account_id not in result.failed
    }
    if not figures:
        return
    for account_id, reason in guard.held_back(lines=figures, period=period, limits=limits).items():
        result.fail(account_id, guard.IMPLAUSIBLE_BILL, reason)


def _settle_failures(result: PricedAccounts) -> None:
    """Accounts that failed keep nothing but their exception."""
    for account_id, code_and_reason in result.failed.items():
        result.lines.pop(account_id, None)
        result.corrections.pop(account_id, None)
        result.interval_days.pop(account_id, None)
        result.interval_terms.pop(account_id, None)
        result.exceptions[account_id] = code_and_reason
    result.failed.clear()


# -- the seam ----------------------------------------------------------------------------------


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
    points = point_months(billing_account_ids=billing_account_ids, period=period)
    with_contract = {account_id for account_id, _ in points}
    for account_id in billing_account_ids:
        if account_id not in with_contract:
            result.exceptions[account_id] = (NO_CONTRACT, f"No supply contract in {period}.")
    book.load(period, {tariff_key(p, c.product) for p in points.values() for c in p.pieces})
    book.load_production(
        period, {c.production for p in points.values() for c in p.pieces if c.production}
    )
    sources = _load_sources(points, period=period, as_of=as_of, window=window, run_id=run_id)
    assembled = _assemble_all(points, period, sources, book, result)
    _rate_month(assembled, period, book, result)
    manual_true_ups = [t for a in assembled for t in a.true_ups]
    if manual_true_ups:
        _manual_true_ups(manual_true_ups, points, book, result)
    remote = {k: p for k, p in points.items() if p.remote and k[0] not in result.failed}
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
    _hold_implausible(result, period, limits)
    _settle_failures(result)
    return result
