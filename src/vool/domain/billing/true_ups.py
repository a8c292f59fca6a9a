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
  ``T`` and offsets the live true-ups (``-S``) on a true-up line of its own.

``metering.IntervalCorrection`` rows only say *which* days may need a look (those not yet
settled); whether and how much to true up is decided by the versions above.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from vool.common.localtime import Month, intervals_in_day
from vool.domain.billing import queries as billing_queries
from vool.domain.billing.consumption import (
    BilledDays,
    PointMonth,
    Product,
    billed_days,
    billed_version,
)
from vool.domain.billing.pricing import DraftLine, PricedAccounts, ledger_account_of
from vool.domain.billing.reasons import MISSING_PRICE, NO_CONSUMPTION_DATA, NO_CONTRACT
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


def _day_energy(
    true_up: _DayTrueUp, versions: dict[int, DayVersion], minutes: int
) -> npt.NDArray[np.int64]:
    """``sum(sign x values)`` of the day's terms at ``minutes`` resolution; raises ValueError
    naming the version whose number of values does not fit the day."""
    total: npt.NDArray[np.int64] | None = None
    for version_id, sign in sorted(true_up.terms.items()):
        version = versions[version_id]
        values = intervals.unpack_values(version.values).astype(np.int64)
        expected = intervals_in_day(true_up.day, minutes=version.minutes)
        if values.size != expected:
            raise ValueError(
                f"Interval data of {true_up.day} (version {version.version}) has {values.size} "
                f"values, the day has {expected}; the correction cannot be trued up."
            )
        if version.minutes != minutes:
            values = intervals.resample_sum(values, minutes // version.minutes)
        total = sign * values if total is None else total + sign * values
    assert total is not None
    return total


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


def _rate_group(
    group: _Group,
    versions: dict[int, DayVersion],
    day_tariffs: list[tuple[rating.Tariff, dt.date]],
) -> rating.AccountMonth:
    involved = [versions[i] for t in group.days for i in t.terms]
    minutes = 60 if any(v.minutes == 60 for v in involved) else 15
    grid = rating.month_grid(group.month, minutes)
    energy = np.zeros(grid.count, dtype=np.int64)
    pieces: list[rating.Piece] = []
    for true_up, (tariff, day) in zip(group.days, day_tariffs, strict=True):
        offset = (day - group.month.first_day).days
        lo, hi = int(grid.day_first[offset]), int(grid.day_first[offset + 1])
        energy[lo:hi] += _day_energy(true_up, versions, minutes)
        if pieces and pieces[-1].tariff is tariff and pieces[-1].end_day == day:
            pieces[-1] = rating.Piece(tariff, pieces[-1].first_day, day + dt.timedelta(days=1))
        else:
            pieces.append(rating.Piece(tariff, day, day + dt.timedelta(days=1)))
    return rating.AccountMonth(
        account_id=(group.account_id, group.point_id),
        minutes=minutes,
        energy_wh=energy,
        pieces=tuple(pieces),
    )


def _covers(contract: contract_queries.LiveContract, day: dt.date) -> bool:
    return contract.valid_from <= day and (contract.valid_to is None or day < contract.valid_to)


def _product_of_day(
    true_up: _DayTrueUp,
    points: dict[tuple[int, int], PointMonth],
    contracts: _Contracts,
    this_month: Month,
) -> Product:
    key = (true_up.account_id, true_up.point_id)
    if Month.of(true_up.day) == this_month:
        for piece in points[key].pieces:
            if piece.first_day <= true_up.day < piece.end_day:
                return piece.product
    for contract in contracts.get(key, []):
        if _covers(contract, true_up.day):
            return (contract.product_id, contract.green_energy)
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
) -> tuple[dict[_GroupKey, _Group], dict[_GroupKey, list[tuple[Product, dt.date]]]]:
    """The true-ups by (month, account, point), with the product of each day."""
    contracts = _contracts(true_ups)
    groups: dict[_GroupKey, _Group] = {}
    products: dict[_GroupKey, list[tuple[Product, dt.date]]] = defaultdict(list)
    for t in true_ups:
        if t.account_id in result.failed:
            continue
        try:
            product = _product_of_day(t, points, contracts, period)
        except LookupError as exc:
            result.fail(t.account_id, NO_CONTRACT, str(exc))
            continue
        key = (Month.of(t.day), t.account_id, t.point_id)
        groups.setdefault(key, _Group(t.account_id, t.point_id, key[0], [])).days.append(t)
        products[key].append((product, t.day))
    return groups, products


def _refuse_net_days(
    true_ups: list[_DayTrueUp],
    versions: dict[int, DayVersion],
    book: TariffBook,
    result: PricedAccounts,
) -> None:
    """A correction of a day billed on net quantities (a prosumer's day under the net billing
    rule) is not trued up here: this module trues up gross OUT, and a net day's true-up would
    also have to true up the surplus credit. The account goes to a person instead."""
    for t in true_ups:
        if t.account_id in result.failed:
            continue
        month = Month.of(t.day)
        if not book.net_days(month)[(t.day - month.first_day).days]:
            continue
        if any(versions[v].net for v in t.terms) or t.target.net:
            result.fail(
                t.account_id,
                NO_CONSUMPTION_DATA,
                f"The interval data of {t.day} changed after it was billed on net quantities "
                "(a prosumer day); corrections of net-billed days are not trued up "
                f"automatically: credit the invoice of {month} and bill it again "
                "(`vool billing rebill`).",
            )


def _price(
    true_ups: list[_DayTrueUp],
    versions: dict[int, DayVersion],
    points: dict[tuple[int, int], PointMonth],
    period: Month,
    book: TariffBook,
    result: PricedAccounts,
) -> None:
    """Price the true-ups of each month under that month's (per-kWh) tariffs and VAT."""
    network = {p.point_id: p.network for p in points.values()}
    _refuse_net_days(true_ups, versions, book, result)
    groups, products = _group(true_ups, points, period, result)
    for month in sorted({k[0] for k in groups}):
        in_month = {k: g for k, g in groups.items() if k[0] == month}
        book.load(
            month,
            {TariffKey(product, network[k[2]]) for k in in_month for product, _ in products[k]},
        )
        accounts: list[rating.AccountMonth] = []
        for k, group in in_month.items():
            if group.account_id in result.failed:
                continue
            day_keys = [TariffKey(product, network[group.point_id]) for product, _ in products[k]]
            reason = next(
                (r for r in (book.missing(month, key) for key in day_keys) if r is not None), None
            )
            if reason is not None:
                result.fail(group.account_id, MISSING_PRICE, reason)
                continue
            day_tariffs = [
                (book.true_up_tariff(month, key), day)
                for key, (_, day) in zip(day_keys, products[k], strict=True)
            ]
            try:
                accounts.append(_rate_group(group, versions, day_tariffs))
            except ValueError as exc:
                result.fail(group.account_id, NO_CONSUMPTION_DATA, str(exc))
        _rate_month(month, accounts, in_month, book, result)


def _rate_month(
    month: Month,
    accounts: list[rating.AccountMonth],
    groups: dict[_GroupKey, _Group],
    book: TariffBook,
    result: PricedAccounts,
) -> None:
    accounts = [a for a in accounts if a.account_id[0] not in result.failed]  # type: ignore[index]
    if not accounts:
        return
    rated, failures = book.rate(month, accounts)
    for account in accounts:
        account_id, point_id = cast(tuple[int, int], account.account_id)
        if account.account_id in failures:
            result.fail(account_id, MISSING_PRICE, str(failures[account.account_id]))
            continue
        if account_id in result.failed or account_id not in result.lines:
            continue
        group = groups[(month, account_id, point_id)]
        basis = {
            "source": "INTERVAL_CORRECTIONS",
            "period": str(month),
            "days": {
                t.day.isoformat(): {
                    "version": t.target.version,
                    "terms": [[i, s] for i, s in sorted(t.terms.items())],
                }
                for t in group.days
            },
            "delta_wh": int(account.energy_wh.sum()),
        }
        result.lines[account_id].extend(
            DraftLine(point_id, line, ledger_account_of(line.component), False, True, basis)
            for line in rated[account.account_id]
        )
        result.interval_terms.setdefault(account_id, []).extend(
            Term(point_id, t.day, version_id, sign)
            for t in group.days
            for version_id, sign in sorted(t.terms.items())
        )
