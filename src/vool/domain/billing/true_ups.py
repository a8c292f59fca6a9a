"""True-ups of corrected interval data, chosen by version, never by comparing timestamps.

Every invoice records which interval data it bills: the month's consumption as the version
number of each local day (``billing.InvoiceIntervalDays``), a true-up as signed versions of a
day (``billing.InvoiceIntervalTerm``). The *live* bills of an account are its ISSUED invoices;
what they bill of a day is the sum of their terms (``sign x`` the values of the version).

A bill priced as of ``as_of`` (the run's data cut-off) takes, for each day it touches, the
version ``T`` known at ``as_of`` (known since ``<= as_of`` and not superseded by then) and
bills ``+T - S``, ``S`` being the terms of the live bills of that day: so afterwards the live
bills of the day add up to exactly version ``T``. This covers

* a correction of an earlier, billed month: ``S = {+v_billed}``, the true-up bills
  ``v_T - v_billed`` at that month's prices, bands and VAT (per kWh only);
* a correction that came after the cut-off of the run that billed the month (even while
  that run was running or being resumed): that run billed the older version, so the next run
  trues it up, once;
* a credit note: a cancelled invoice is not live, its terms drop out of ``S``;
* a rebill of a month whose days later bills already trued up: the rebill bills the month at
  ``T`` and offsets the live true-ups (``-S``) on a true-up line of its own;
* a day billed on net quantities (a prosumer's day under the net billing rule): each version
  counts what the rule bills of it (net OUT, and net IN as the surplus, when it carries net
  data on a net day; gross OUT otherwise), the consumption delta is priced like any other and
  the surplus delta on a ``PRODUCTION`` line at the day's production terms.

``metering.IntervalCorrection`` rows only say *which* days may need a look (those not yet
settled); whether and how much to true up is decided by the versions above.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import cast

import numpy as np
import numpy.typing as npt

from vool.common.localtime import Month, intervals_in_day
from vool.domain.billing import queries as billing_queries
from vool.domain.billing.consumption import (
    PRODUCTION_ACCOUNT,
    BilledDays,
    PointMonth,
    Product,
    billed_days,
    billed_version,
)
from vool.domain.billing.pricing import DraftLine, PricedAccounts, ledger_account_of
from vool.domain.billing.reasons import (
    MISSING_PRICE,
    NO_CONSUMPTION_DATA,
    NO_CONTRACT,
    Unbillable,
)
from vool.domain.billing.tariff_book import TariffBook, TariffKey
from vool.domain.contracts import queries as contract_queries
from vool.domain.metering import intervals
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.intervals import DayVersion, KnownDay, OpenCorrection
from vool.domain.supply import queries as supply_queries
from vool.domain.tariffs import rating

__all__ = ["BilledDays", "Term", "interval_versions"]


@dataclass(frozen=True)
class Term:
    """One signed version of one day on an invoice's true-up."""

    metering_point_id: int
    day: dt.date
    interval_day_id: int
    sign: int


_Day = tuple[int, int, dt.date]  # account, point, day


def _billed_version(billed: dict[tuple[int, int], BilledDays], key: _Day) -> int | None:
    """The version of a day of the month this bill bills (None: not billed on it)."""
    return billed_version(billed.get((key[0], key[1])), key[2])


# -- what the live bills hold ----------------------------------------------------------------


def _live_terms(days: set[_Day], run_id: int | None) -> tuple[dict[_Day, Counter[int]], set[_Day]]:
    """The true-up terms of ``days`` on live (issued) bills of their accounts, and the days a
    draft of another run holds (left to that run)."""
    live: dict[_Day, Counter[int]] = defaultdict(Counter)
    taken: set[_Day] = set()
    if not days:
        return live, taken
    for term in billing_queries.interval_terms_on(
        account_ids={a for a, _, _ in days},
        point_ids={p for _, p, _ in days},
        days={d for _, _, d in days},
    ):
        key = (term.billing_account_id, term.metering_point_id, term.day)
        if key not in days:
            continue
        if term.issued:
            live[key][term.interval_day_id] += term.sign
        elif run_id is None or term.run_id != run_id:
            taken.add(key)
    return live, taken


def _live_month_versions(days: set[_Day]) -> dict[_Day, int]:
    """The version number each day of ``days`` has on the live bill of its month (0 or absent:
    no live bill of that month bills the day on that account)."""
    if not days:
        return {}
    found: dict[_Day, int] = {}
    for billed in billing_queries.issued_month_days(
        account_ids={a for a, _, _ in days},
        point_ids={p for _, p, _ in days},
        periods={str(Month.of(d)) for _, _, d in days},
    ):
        for offset, version in enumerate(billed.versions):
            day = billed.first_day + dt.timedelta(days=offset)
            key = (billed.billing_account_id, billed.metering_point_id, day)
            if version and key in days:
                found[key] = int(version)
    return found


# -- the true-up of one day ------------------------------------------------------------------


@dataclass
class _DayTrueUp:
    account_id: int
    point_id: int
    day: dt.date
    target: DayVersion
    terms: Counter[int]  # interval day id -> sign (non-zero)


@dataclass(frozen=True)
class _Delta:
    """What the terms of a day add up to on the true-up's grid: the consumption billed (gross
    OUT, or net OUT on a day billed on net quantities) and the surplus credited (net IN)."""

    out_wh: npt.NDArray[np.int64]
    surplus_wh: npt.NDArray[np.int64]


def _version_energy(day: dt.date, version: DayVersion, minutes: int, net_day: bool) -> _Delta:
    """One version of a day on the basis the net billing rule gives it: on a net day a version
    with net data is net OUT and net IN (every interval must have its net value), any other
    version is gross OUT and no surplus. Raises ValueError when the data do not fit the day."""
    values = intervals.unpack_values(version.values).astype(np.int64)
    expected = intervals_in_day(day, minutes=version.minutes)
    if values.size != expected:
        raise ValueError(
            f"Interval data of {day} (version {version.version}) has {values.size} "
            f"values, the day has {expected}; the correction cannot be trued up."
        )
    surplus = np.zeros(values.size, dtype=np.int64)
    if net_day and version.net:
        given = intervals.unpack_net(version.net, values.size)
        if not np.all(given.given):
            raise ValueError(
                f"The point is billed on net quantities on {day}, but "
                f"{int(np.count_nonzero(~given.given))} interval(s) of version "
                f"{version.version} have no net value; the correction cannot be trued up: "
                "import the day's data again from the data hub."
            )
        values, surplus = given.out_wh.astype(np.int64), given.in_wh.astype(np.int64)
    if version.minutes != minutes:
        values = intervals.resample_sum(values, minutes // version.minutes)
        surplus = intervals.resample_sum(surplus, minutes // version.minutes)
    return _Delta(values, surplus)


def _day_energy(
    true_up: _DayTrueUp, versions: dict[int, DayVersion], minutes: int, net_day: bool
) -> _Delta:
    """``sum(sign x values)`` of the day's terms at ``minutes`` resolution, each version on its
    own basis (:func:`_version_energy`); raises ValueError naming the version that does not
    fit, or when a day billed on net quantities lost its net data in the correction (a gap,
    not a fall-back to gross)."""
    if net_day and not true_up.target.net and any(versions[i].net for i in true_up.terms):
        raise ValueError(
            f"The interval data of {true_up.day} was billed on net quantities, but its corrected "
            f"version {true_up.target.version} has no net values (netQtyOut/netQtyIn); import "
            "the day's data again from the data hub."
        )
    out: npt.NDArray[np.int64] | None = None
    surplus: npt.NDArray[np.int64] | None = None
    for version_id, sign in sorted(true_up.terms.items()):
        one = _version_energy(true_up.day, versions[version_id], minutes, net_day)
        out = sign * one.out_wh if out is None else out + sign * one.out_wh
        surplus = sign * one.surplus_wh if surplus is None else surplus + sign * one.surplus_wh
    assert out is not None and surplus is not None
    return _Delta(out, surplus)


def _day_true_ups(
    candidates: set[_Day],
    this_month: Month,
    billed: dict[tuple[int, int], BilledDays],
    as_of: dt.datetime,
    run_id: int | None,
) -> tuple[list[_DayTrueUp], dict[_Day, DayVersion], dict[int, DayVersion]]:
    """For each candidate day: the terms ``+T - S`` (empty when the live bills already hold
    ``T``), the target version ``T`` of every day looked at, and the versions by id."""
    by_pair = metering_queries.day_versions(pairs={(p, d) for _, p, d in candidates})
    live, taken = _live_terms(candidates, run_id)
    earlier = {k for k in candidates if Month.of(k[2]) != this_month}
    month_bill = _live_month_versions(earlier)
    by_id = {v.id: v for vs in by_pair.values() for v in vs}
    true_ups: list[_DayTrueUp] = []
    targets: dict[_Day, DayVersion] = {}
    for key in sorted(candidates):
        account_id, point_id, day = key
        versions = by_pair.get((point_id, day), [])
        if key in taken:
            continue
        if key in earlier:
            month_version = month_bill.get(key)
            if month_version is None:
                continue  # not billed on this account (yet): its month's bill will bill it
            target = next((v for v in versions if v.known_at_cutoff(as_of)), None)
            held = Counter(live.get(key, Counter()))
            held[next(v.id for v in versions if v.version == month_version)] += 1
            if target is None:
                continue
            terms = Counter({target.id: 1})
        else:
            # this month's bill bills T itself; only the live true-ups of earlier bills of the
            # month (before a credit note and rebill) are offset
            version = _billed_version(billed, key)
            target = next((v for v in versions if v.version == version), None)
            if target is None:
                continue
            held = Counter(live.get(key, Counter()))
            terms = Counter()
        targets[key] = target
        terms.subtract(held)
        terms = Counter({k: v for k, v in terms.items() if v})
        if terms:
            true_ups.append(_DayTrueUp(account_id, point_id, day, target, terms))
    return true_ups, targets, by_id


# -- pricing -------------------------------------------------------------------------------------


_Contracts = dict[tuple[int, int], list[contract_queries.LiveContract]]


def _contracts(days: Sequence[_DayTrueUp]) -> _Contracts:
    """The live contracts of the true-ups' accounts and points over their days."""
    found: _Contracts = defaultdict(list)
    if not days:
        return found
    for contract in contract_queries.live_contracts(
        start=min(t.day for t in days),
        end=max(t.day for t in days) + dt.timedelta(days=1),
        billing_account_ids={t.account_id for t in days},
        metering_point_ids={t.point_id for t in days},
    ):
        found[(contract.billing_account_id, contract.metering_point_id)].append(contract)
    return found


_GroupKey = tuple[Month, int, int]  # the month corrected, account, point


@dataclass
class _Group:
    """The true-ups of one account, point and month: one rated account-month."""

    account_id: int
    point_id: int
    month: Month
    days: list[_DayTrueUp]


@dataclass(frozen=True)
class _DayTerms:
    """What a corrected day is priced at: the product of its contract (and green add-on) and
    the production product its surplus is credited at (None: the contract has none)."""

    day: dt.date
    product: Product
    production: int | None


@dataclass(frozen=True)
class _Rated:
    """A group's input for the kernel: the consumption delta and, when the surplus changed on
    a net-billed day, the surplus-credit delta (net IN as negative Wh, like the month's credit)."""

    consumption: rating.AccountMonth
    production: rating.AccountMonth | None


def _merge_piece(pieces: list[rating.Piece], tariff: rating.Tariff, day: dt.date) -> None:
    """Add ``day`` at ``tariff``, extending the last piece when it ends on that day."""
    if pieces and pieces[-1].tariff is tariff and pieces[-1].end_day == day:
        pieces[-1] = rating.Piece(tariff, pieces[-1].first_day, day + dt.timedelta(days=1))
    else:
        pieces.append(rating.Piece(tariff, day, day + dt.timedelta(days=1)))


def _rate_group(
    group: _Group,
    versions: dict[int, DayVersion],
    day_tariffs: list[tuple[rating.Tariff, _DayTerms]],
    net_days: list[bool],
    production_of: Callable[[int], rating.Tariff],
) -> _Rated:
    """The kernel's input of one group: the consumption delta at the day's (per-kWh) tariff,
    the surplus delta at the day's production terms (``production_of`` a production product).
    Raises ValueError (data that do not fit) or :class:`Unbillable` (a surplus changed on a day
    whose contract has no production terms)."""
    involved = [versions[i] for t in group.days for i in t.terms]
    minutes = 60 if any(v.minutes == 60 for v in involved) else 15
    grid = rating.month_grid(group.month, minutes)
    energy = np.zeros(grid.count, dtype=np.int64)
    surplus = np.zeros(grid.count, dtype=np.int64)
    pieces: list[rating.Piece] = []
    credit_pieces: list[rating.Piece] = []
    for true_up, (tariff, terms) in zip(group.days, day_tariffs, strict=True):
        offset = (terms.day - group.month.first_day).days
        lo, hi = int(grid.day_first[offset]), int(grid.day_first[offset + 1])
        delta = _day_energy(true_up, versions, minutes, net_days[offset])
        energy[lo:hi] += delta.out_wh
        surplus[lo:hi] += delta.surplus_wh
        _merge_piece(pieces, tariff, terms.day)
        if not delta.surplus_wh.any():
            continue
        if terms.production is None:
            raise Unbillable(
                MISSING_PRICE,
                f"The surplus fed into the grid on {terms.day} changed by "
                f"{Decimal(int(delta.surplus_wh.sum())).scaleb(-3)} kWh after it was billed, "
                "but the contract has no production terms to credit it at; set the "
                "contract's production terms.",
            )
        _merge_piece(credit_pieces, production_of(terms.production), terms.day)
    consumption = rating.AccountMonth(
        account_id=(group.account_id, group.point_id),
        minutes=minutes,
        energy_wh=energy,
        pieces=tuple(pieces),
    )
    if not credit_pieces:
        return _Rated(consumption, None)
    credit = rating.AccountMonth(
        account_id=(group.account_id, group.point_id, PRODUCTION_ACCOUNT),
        minutes=minutes,
        energy_wh=-surplus,
        pieces=tuple(credit_pieces),
    )
    return _Rated(consumption, credit)


def _covers(contract: contract_queries.LiveContract, day: dt.date) -> bool:
    return contract.valid_from <= day and (contract.valid_to is None or day < contract.valid_to)


def _terms_of_day(
    true_up: _DayTrueUp,
    points: dict[tuple[int, int], PointMonth],
    contracts: _Contracts,
    this_month: Month,
) -> _DayTerms:
    key = (true_up.account_id, true_up.point_id)
    if Month.of(true_up.day) == this_month:
        for piece in points[key].pieces:
            if piece.first_day <= true_up.day < piece.end_day:
                return _DayTerms(true_up.day, piece.product, piece.production)
    for contract in contracts.get(key, []):
        if _covers(contract, true_up.day):
            return _DayTerms(
                true_up.day,
                (contract.product_id, contract.green_energy),
                contract.production_product_id,
            )
    eic = supply_queries.tariff_facts(point_ids=[true_up.point_id])[true_up.point_id].eic
    raise LookupError(
        f"The interval data of {eic} on {true_up.day} changed after it was "
        "billed on this account, but no supply contract of the account covers that day any "
        "more; the true-up cannot be priced."
    )


def interval_versions(
    points: dict[tuple[int, int], PointMonth],
    *,
    period: Month,
    as_of: dt.datetime,
    days: dict[int, dict[dt.date, KnownDay]],
    book: TariffBook,
    result: PricedAccounts,
    run_id: int | None,
) -> None:
    """Record which versions each remote point's bill holds, and true up what changed:
    corrections of earlier months and, on a rebill, the offset of the month's live true-ups.
    Also links the corrections whose version the bill holds, so issuing settles them."""
    billed: dict[tuple[int, int], BilledDays] = {}
    for (account_id, point_id), point in points.items():
        version_of_day = {day: row.version for day, row in days.get(point_id, {}).items()}
        billed[(account_id, point_id)] = billed_days(point, period, version_of_day)
        result.interval_days.setdefault(account_id, []).append(billed[(account_id, point_id)])
    accounts_of: dict[int, list[int]] = defaultdict(list)
    for account_id, point_id in points:
        accounts_of[point_id].append(account_id)
    unsettled = metering_queries.open_corrections(point_ids=list(accounts_of), up_to=period)
    earlier = [c for c in unsettled if c.day < period.first_day]
    current = [c for c in unsettled if c.day >= period.first_day]
    candidates: set[_Day] = {
        (a, c.point_id, c.day) for c in earlier for a in accounts_of[c.point_id]
    }
    candidates |= _month_days_with_live_terms(points, period)
    true_ups, targets, versions = _day_true_ups(candidates, period, billed, as_of, run_id)
    _link(result, earlier, {k: v.version for k, v in targets.items()}, accounts_of)
    month_targets = {
        (a, c.point_id, c.day): _billed_version(billed, (a, c.point_id, c.day))
        for c in current
        for a in accounts_of[c.point_id]
    }
    _link(
        result,
        current,
        {k: v for k, v in month_targets.items() if v is not None},
        accounts_of,
    )
    if true_ups:
        _price(true_ups, versions, points, period, book, result)


def _month_days_with_live_terms(
    points: dict[tuple[int, int], PointMonth], period: Month
) -> set[_Day]:
    """Days of ``period`` that live bills of the same account trued up (a rebill offsets them)."""
    if not points:
        return set()
    days = billing_queries.days_with_issued_terms(
        account_ids={a for a, _ in points},
        point_ids={p for _, p in points},
        first_day=period.first_day,
        end_day=period.next().first_day,
    )
    return {day for day in days if (day[0], day[1]) in points}


def _link(
    result: PricedAccounts,
    corrections: list[OpenCorrection],
    targets: dict[_Day, int],
    accounts_of: dict[int, list[int]],
) -> None:
    """Corrections whose version (or a later one) the bill holds: settled when it is issued."""
    for c in corrections:
        for account_id in accounts_of[c.point_id]:
            target = targets.get((account_id, c.point_id, c.day))
            if account_id in result.failed or target is None or target < c.version:
                continue
            result.corrections.setdefault(account_id, []).append(c.id)


def _group(
    true_ups: list[_DayTrueUp],
    points: dict[tuple[int, int], PointMonth],
    period: Month,
    result: PricedAccounts,
) -> tuple[dict[_GroupKey, _Group], dict[_GroupKey, list[_DayTerms]]]:
    """The true-ups by (month, account, point), with the product (and production terms) of
    each day."""
    contracts = _contracts(true_ups)
    groups: dict[_GroupKey, _Group] = {}
    products: dict[_GroupKey, list[_DayTerms]] = defaultdict(list)
    for t in true_ups:
        if t.account_id in result.failed:
            continue
        try:
            terms = _terms_of_day(t, points, contracts, period)
        except LookupError as exc:
            result.fail(t.account_id, NO_CONTRACT, str(exc))
            continue
        key = (Month.of(t.day), t.account_id, t.point_id)
        groups.setdefault(key, _Group(t.account_id, t.point_id, key[0], [])).days.append(t)
        products[key].append(terms)
    return groups, products


def _price(
    true_ups: list[_DayTrueUp],
    versions: dict[int, DayVersion],
    points: dict[tuple[int, int], PointMonth],
    period: Month,
    book: TariffBook,
    result: PricedAccounts,
) -> None:
    """Price the true-ups of each month under that month's (per-kWh) tariffs and VAT, and on
    the days billed on net quantities the surplus-credit delta at that month's production
    terms and the net rule's VAT."""
    network = {p.point_id: p.network for p in points.values()}
    groups, products = _group(true_ups, points, period, result)
    for month in sorted({k[0] for k in groups}):
        in_month = {k: g for k, g in groups.items() if k[0] == month}
        book.load(
            month,
            {TariffKey(terms.product, network[k[2]]) for k in in_month for terms in products[k]},
        )
        if any(book.net_days(month)):  # the production terms, set-based (two queries)
            book.load_production(
                month, {t.production for k in in_month for t in products[k] if t.production}
            )
        rated: list[_Rated] = []
        for k, group in in_month.items():
            if group.account_id in result.failed:
                continue
            day_keys = [TariffKey(terms.product, network[group.point_id]) for terms in products[k]]
            reason = next(
                (r for r in (book.missing(month, key) for key in day_keys) if r is not None), None
            )
            if reason is not None:
                result.fail(group.account_id, MISSING_PRICE, reason)
                continue
            day_tariffs = [
                (book.true_up_tariff(month, key), terms)
                for key, terms in zip(day_keys, products[k], strict=True)
            ]
            try:
                rated.append(
                    _rate_group(
                        group,
                        versions,
                        day_tariffs,
                        book.net_days(month),
                        partial(book.production_tariff, month),
                    )
                )
            except ValueError as exc:
                result.fail(group.account_id, NO_CONSUMPTION_DATA, str(exc))
            except Unbillable as exc:
                result.fail(group.account_id, exc.code, exc.reason)
        _rate_month(month, rated, in_month, book, result)


def _kernel_lines(
    month: Month, rated: list[_Rated], book: TariffBook
) -> tuple[dict[object, list[rating.Line]], dict[object, Exception]]:
    """The kernel's lines of the groups' consumption deltas and surplus-credit deltas."""
    lines, failures = book.rate(month, [r.consumption for r in rated])
    credits = [r.production for r in rated if r.production is not None]
    if credits:
        credited, credit_failures = book.rate_production(month, credits)
        lines |= credited
        failures |= credit_failures
    return lines, failures


def _basis(
    group: _Group, net_days: list[bool], delta_wh: int, surplus_wh: int
) -> dict[str, object]:
    """What a true-up line says it bills: the month, each day's target version, its terms and
    (``net``) whether the target is billed on net quantities, and the delta (and the surplus
    delta, net IN, when it changed)."""
    first = group.month.first_day
    basis: dict[str, object] = {
        "source": "INTERVAL_CORRECTIONS",
        "period": str(group.month),
        "days": {
            t.day.isoformat(): {
                "version": t.target.version,
                "terms": [[i, s] for i, s in sorted(t.terms.items())],
            }
            | ({"net": True} if net_days[(t.day - first).days] and t.target.net else {})
            for t in group.days
        },
        "delta_wh": delta_wh,
    }
    if surplus_wh:
        basis["surplus_delta_wh"] = surplus_wh
    return basis


def _rate_month(
    month: Month,
    rated: list[_Rated],
    groups: dict[_GroupKey, _Group],
    book: TariffBook,
    result: PricedAccounts,
) -> None:
    rated = [r for r in rated if r.consumption.account_id[0] not in result.failed]  # type: ignore[index]
    if not rated:
        return
    lines, failures = _kernel_lines(month, rated, book)
    for item in rated:
        account_id, point_id = cast(tuple[int, int], item.consumption.account_id)
        for account in (item.consumption, item.production):
            failure = failures.get(account.account_id) if account is not None else None
            if failure is not None:
                result.fail(account_id, MISSING_PRICE, str(failure))
        if account_id in result.failed or account_id not in result.lines:
            continue
        group = groups[(month, account_id, point_id)]
        surplus = -int(item.production.energy_wh.sum()) if item.production is not None else 0
        basis = _basis(group, book.net_days(month), int(item.consumption.energy_wh.sum()), surplus)
        drafted = [
            DraftLine(point_id, line, ledger_account_of(line.component), False, True, basis)
            for line in lines[item.consumption.account_id]
            if item.consumption.energy_wh.any()  # no zero lines (e.g. only the surplus moved)
        ]
        if item.production is not None:
            drafted.extend(
                DraftLine(point_id, line, ledger_account_of(line.component), False, True, basis)
                for line in lines[item.production.account_id]
            )
        result.lines[account_id].extend(drafted)
        result.interval_terms.setdefault(account_id, []).extend(
            Term(point_id, t.day, version_id, sign)
            for t in group.days
            for version_id, sign in sorted(t.terms.items())
        )
