"""The pricing seam of the bill run: what each account of a chunk owes for a period.

:func:`price_accounts` loads, set-based (a handful of queries per chunk, never one per
account), everything the accounts need: their supply contracts in the period, the products and
dated prices, the VAT rates, the interval data of remote-read points and the month-end
readings of manual points. It turns them into the rating kernel's plain inputs and lets the
kernel (:mod:`vool.domain.tariffs.rating`, exact integer arithmetic, one rounding per line)
price them. Accounts that cannot be billed come back as exceptions with a reason a person can
act on (and so do bills that look implausible, :mod:`vool.domain.billing.guard`); the others
come back as draft lines.

Consumption
    remote-read points: each local day's interval data in the version known at the run's data
    cut-off ``as_of`` (not whatever is current when the chunk runs); the bill records which
    versions it holds;
    manual points (:mod:`vool.domain.billing.manual`): the advance between the month-end (or
    move-in/move-out) readings, times the multiplier, spread over the hours of the supplied
    days (DAY and NIGHT registers over their own band's hours; over the standard load profile
    when the price follows the exchange), so the kernel prices registers and intervals alike.
Prices
    the tariffs app builds each distinct (product, network package, main fuse) tariff once per
    chunk (:func:`vool.domain.tariffs.queries.tariff_for`: the product's energy, margin and
    monthly fee, the grid operator's network energy by band and monthly fee, the levies), with
    the dated VAT rates and the month's market prices; the kernel splits lines at every price,
    band and VAT change and prorates monthly fees by supplied days.
True-ups
    a month that starts from an estimated reading and ends on an actual one bills its share of
    the actual consumption since the last actual reading (apportioned by days), and each month
    billed on an estimate gets a true-up line priced at that month's prices and VAT.
    Corrected interval data are trued up by version (:mod:`vool.domain.billing.true_ups`):
    what is known at the cut-off minus what the live bills hold, never by comparing
    timestamps.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from django.db.models import Q

from vool.common.localtime import Month
from vool.domain.billing import guard, manual
from vool.domain.billing.unbillable import (
    MISSING_PRICE,
    NO_CONSUMPTION_DATA,
    NO_CONTRACT,
    WINDOW_OPEN,
    Unbillable,
)
from vool.domain.contracts.models import SupplyContract
from vool.domain.ledger.models import LedgerAccount
from vool.domain.metering import intervals
from vool.domain.metering.models import IntervalDay
from vool.domain.metering.window import DEFAULT_WINDOW, ReadingWindow
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs import queries as tariff_queries
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandScheme
from vool.domain.tariffs.models import Product

__all__ = ["DraftLine", "PricedAccounts", "price_accounts"]

MANUAL_MINUTES = manual.MANUAL_MINUTES

LEDGER_ACCOUNT_OF_COMPONENT = {
    "ENERGY": LedgerAccount.REVENUE_ENERGY,
    "MARGIN": LedgerAccount.REVENUE_ENERGY,
    "GREEN": LedgerAccount.REVENUE_ENERGY,
    "PRODUCT_FEE": LedgerAccount.REVENUE_FEES,
    "NETWORK_ENERGY": LedgerAccount.REVENUE_NETWORK,
    "NETWORK_FEE": LedgerAccount.REVENUE_NETWORK,
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
    interval_days: dict[int, list[Any]] = field(default_factory=dict)  # true_ups.BilledDays
    interval_terms: dict[int, list[Any]] = field(default_factory=dict)  # true_ups.Term


_Unbillable = Unbillable


# -- tariffs: the tariffs app's dated data as the kernel's values ----------------------------


@dataclass(frozen=True)
class _TariffKey:
    product_id: int
    green: bool
    grid_operator_code: str
    package_code: str
    main_fuse_a: int
    is_apartment: bool


# Tariffs built for one bill run, reused by its next chunks in the same process (tariff data
# do not change under a run; a new scope, e.g. the next run, starts afresh).
_cache_scope: list[object] = [None]
_cache: dict[tuple[Month, _TariffKey], rating.Tariff | str] = {}


def _key(product: tuple[int, bool], network: tuple[str, str, int, bool]) -> _TariffKey:
    operator, package, fuse, apartment = network
    return _TariffKey(product[0], product[1], operator, package, fuse, apartment)


def _covers(valid_from: dt.date, valid_to: dt.date | None, day: dt.date) -> bool:
    return valid_from <= day and (valid_to is None or day < valid_to)


def _tariffs(
    keys: set[_TariffKey], period: Month, cache_scope: object = None
) -> tuple[dict[_TariffKey, rating.Tariff], dict[_TariffKey, str]]:
    """The kernel tariff of each distinct (product, network package, fuse) of the chunk, or
    the reason it cannot be built (missing tariff data). With a ``cache_scope`` (e.g. the bill
    run), tariffs built by earlier chunks of the same scope are reused."""
    built: dict[_TariffKey, rating.Tariff] = {}
    missing: dict[_TariffKey, str] = {}
    if cache_scope is not None:
        if _cache_scope[0] != cache_scope:
            _cache.clear()
            _cache_scope[0] = cache_scope
        for key in list(keys):
            if (period, key) in _cache:
                hit = _cache[(period, key)]
                if isinstance(hit, str):
                    missing[key] = hit
                else:
                    built[key] = hit
                keys = keys - {key}
    products = {p.pk: p for p in Product.objects.filter(pk__in={k.product_id for k in keys})}
    for key in keys:
        try:
            built[key] = tariff_queries.tariff_for(
                product=products[key.product_id],
                start=period.first_day,
                end=period.next().first_day,
                grid_operator_code=key.grid_operator_code,
                package_code=key.package_code,
                main_fuse_a=key.main_fuse_a,
                is_apartment=key.is_apartment,
                green=key.green,
            )
        except (tariff_queries.MissingTariffData, ValueError) as exc:
            missing[key] = str(exc)
        if cache_scope is not None:
            _cache[(period, key)] = built.get(key) or missing[key]
    return built, missing


def _uses_market(tariffs: Iterable[rating.Tariff]) -> bool:
    return any(
        isinstance(c, rating.EnergyComponent) and c.market for t in tariffs for c in t.components
    )


# -- consumption -------------------------------------------------------------------------------


@dataclass
class _PointMonth:
    point_id: int
    account_id: int
    remote: bool
    # ((product id, green add-on), first day, end day (exclusive)), one per contract
    pieces: list[tuple[tuple[int, bool], dt.date, dt.date]]
    network: tuple[str, str, int, bool] = ("", "", 0, False)  # operator, package, fuse, flat


class _DayRow(NamedTuple):
    """A local day's interval data as known at the run's cut-off."""

    minutes: int
    values: bytes
    quality: bytes
    version: int


def _remote_energy(
    point: _PointMonth, month: Month, days: dict[dt.date, _DayRow]
) -> tuple[int, npt.NDArray[np.int64], bool, dict[str, Any]]:
    resolutions = {row.minutes for row in days.values()}
    minutes = 15 if resolutions == {15} else 60
    grid = rating.month_grid(month, minutes)
    energy = np.zeros(grid.count, dtype=np.int64)
    missing: list[dt.date] = []
    flagged = 0
    first = month.first_day
    for _, start, end in point.pieces:
        for offset in range((start - first).days, (end - first).days):
            day = first + dt.timedelta(days=offset)
            row = days.get(day)
            if row is None:
                missing.append(day)
                continue
            values = intervals.unpack_values(row.values).astype(np.int64)
            quality = intervals.unpack_quality(row.quality)
            if row.minutes != minutes:
                values = intervals.resample_sum(values, 4)
                quality = intervals.combine_quality(quality, 4)
            lo, hi = int(grid.day_first[offset]), int(grid.day_first[offset + 1])
            if values.size != hi - lo:
                raise _Unbillable(
                    NO_CONSUMPTION_DATA,
                    f"Interval data of {day} has {values.size} values, the day has {hi - lo}",
                )
            energy[lo:hi] = values
            flagged += int(np.count_nonzero(quality != intervals.MEASURED))
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise _Unbillable(
            NO_CONSUMPTION_DATA,
            f"No interval data for {len(missing)} day(s) of {month}: {shown}{more}",
        )
    basis = {
        "source": "INTERVALS",
        "resolution_minutes": minutes,
        "total_wh": int(energy.sum()),
        "days": int(sum((e - s).days for _, s, e in point.pieces)),
        "estimated_or_missing_intervals": flagged,
    }
    return minutes, energy, flagged > 0, basis


# -- the seam ----------------------------------------------------------------------------------


def price_accounts(
    *,
    billing_account_ids: Sequence[int],
    period: Month,
    as_of: dt.datetime,
    window: ReadingWindow = DEFAULT_WINDOW,
    cache_scope: object = None,
    run_id: int | None = None,
) -> PricedAccounts:
    """Draft lines (or an exception) for each billing account of ``billing_account_ids``.

    ``cache_scope`` (the run's token) lets the chunks of one run share the tariffs they build
    in this process; ``run_id`` is the run the drafts are for (its own drafts do not hold
    interval corrections away from it)."""
    result = PricedAccounts()
    first, end = period.first_day, period.next().first_day
    contracts = list(
        SupplyContract.objects.filter(billing_account_id__in=billing_account_ids)
        .exclude(status=SupplyContract.Status.CANCELLED)
        .filter(valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=first))
        .order_by("metering_point_id", "valid_from")
        .values_list(
            "billing_account_id",
            "metering_point_id",
            "product_id",
            "green_energy",
            "valid_from",
            "valid_to",
        )
    )
    points: dict[tuple[int, int], _PointMonth] = {}
    for account_id, point_id, product_id, green, valid_from, valid_to in contracts:
        key = (account_id, point_id)
        pm = points.setdefault(key, _PointMonth(point_id, account_id, True, []))
        pm.pieces.append(
            ((product_id, green), max(valid_from, first), min(valid_to, end) if valid_to else end)
        )
    with_contract = {k[0] for k in points}
    for account_id in billing_account_ids:
        if account_id not in with_contract:
            result.exceptions[account_id] = (NO_CONTRACT, f"No supply contract in {period}.")
    point_ids = {k[1] for k in points}
    point_rows = {
        row[0]: row[1:]
        for row in MeteringPoint.objects.filter(pk__in=point_ids).values_list(
            "id",
            "metering_method",
            "grid_operator__code",
            "network_package_code",
            "main_fuse_a",
            "is_apartment",
        )
    }
    for pm in points.values():
        method, operator, package, fuse, apartment = point_rows[pm.point_id]
        pm.remote = method == MeteringPoint.MeteringMethod.REMOTE_INTERVAL
        pm.network = (operator, package, fuse, apartment)

    def tariff_key(pm: _PointMonth, product: tuple[int, bool]) -> _TariffKey:
        return _key(product, pm.network)

    tariffs, missing_tariffs = _tariffs(
        {tariff_key(pm, p) for pm in points.values() for p, _, _ in pm.pieces},
        period,
        cache_scope,
    )
    schemes: dict[str, BandScheme] = {}

    def scheme() -> BandScheme:
        """The day/night bands that DAY and NIGHT registers are spread over."""
        if "day_night" not in schemes:
            try:
                schemes["day_night"] = tariff_queries.band_scheme(
                    tariff_queries.PRODUCT_DAY_NIGHT_SCHEME
                )
            except tariff_queries.MissingTariffData as exc:
                raise _Unbillable(MISSING_PRICE, str(exc)) from exc
        return schemes["day_night"]

    remote_ids = [pm.point_id for pm in points.values() if pm.remote]
    manual_ids = [pm.point_id for pm in points.values() if not pm.remote]

    day_rows = _interval_days(remote_ids, period, as_of)

    window_open = bool(manual_ids) and not window.is_closed(period, as_of=as_of)
    manual_data = manual.ManualReadings()
    if manual_ids and not window_open:
        manual_data = manual.load_readings(
            point_ids=manual_ids, period=period, window=window, as_of=as_of, run_id=run_id
        )
    manual_true_ups: list[manual.TrueUp] = []

    accounts: list[rating.AccountMonth] = []
    keys_of: dict[int, tuple[int, int, bool]] = {}  # (account, point, is true-up)
    meta: dict[tuple[int, int], tuple[bool, dict[str, Any]]] = {}
    failed: dict[int, tuple[str, str]] = {}
    energy_only: dict[int, rating.Tariff] = {}

    def true_up_tariff(tariff: rating.Tariff) -> rating.Tariff:
        if id(tariff) not in energy_only:
            energy_only[id(tariff)] = rating.Tariff(
                f"{tariff.code}:TRUE_UP",
                tuple(c for c in tariff.components if isinstance(c, rating.EnergyComponent)),
            )
        return energy_only[id(tariff)]

    for key, pm in points.items():
        if pm.account_id in failed:
            continue
        try:
            for product, _, _ in pm.pieces:
                reason = missing_tariffs.get(tariff_key(pm, product))
                if reason is not None:
                    raise _Unbillable(MISSING_PRICE, reason)
            if pm.remote:
                minutes, energy, est, basis = _remote_energy(pm, period, day_rows[pm.point_id])
            elif window_open:
                raise _Unbillable(
                    WINDOW_OPEN,
                    f"The reading window for {period} is still open; manual points are billed "
                    "after it closes.",
                )
            else:
                minutes = MANUAL_MINUTES
                month_use = manual.manual_energy(
                    account_id=pm.account_id,
                    month=period,
                    spans=[(start, stop) for _, start, stop in pm.pieces],
                    registers=manual_data.registers.get(pm.point_id, []),
                    data=manual_data,
                    scheme=scheme,
                    profile=_uses_market(
                        tariffs[tariff_key(pm, product)] for product, _, _ in pm.pieces
                    ),
                )
                energy, est, basis = month_use.energy_wh, month_use.estimated, month_use.basis
                manual_true_ups.extend(
                    manual.TrueUp(pm.account_id, pm.point_id, month, kinds, basis)
                    for month, kinds in sorted(month_use.true_ups.items())
                )
        except _Unbillable as exc:
            failed[pm.account_id] = (exc.code, exc.reason)
            continue
        meta[key] = (est, basis)
        pieces = [
            (tariffs[tariff_key(pm, product)], start, stop) for product, start, stop in pm.pieces
        ]
        account = rating.AccountMonth(
            account_id=(*key, False),
            minutes=minutes,
            energy_wh=energy,
            pieces=tuple(rating.Piece(t, start, stop) for t, start, stop in pieces),
        )
        keys_of[id(account)] = (*key, False)
        accounts.append(account)
    accounts = [a for a in accounts if keys_of[id(a)][0] not in failed]
    used = [p.tariff for a in accounts for p in a.pieces]
    rated, failures = rating.rate_accounts(
        month=period,
        accounts=accounts,
        vat=tariff_queries.vat_versions(),
        market=tariff_queries.market_prices(period) if _uses_market(used) else None,
    )
    for account in accounts:
        failure = failures.get(account.account_id)
        if failure is not None:
            failed.setdefault(keys_of[id(account)][0], (MISSING_PRICE, str(failure)))
    for account in sorted(accounts, key=lambda a: keys_of[id(a)]):
        account_id, point_id, is_true_up = keys_of[id(account)]
        if account_id in failed or account.account_id not in rated:
            continue
        est, basis = meta[(account_id, point_id)]
        result.lines.setdefault(account_id, []).extend(
            DraftLine(
                metering_point_id=point_id,
                line=line,
                ledger_account=ledger_account_of(line.component),
                is_estimated=est and line.unit == "KWH",
                is_true_up=is_true_up,
                basis=basis if line.unit == "KWH" else {},
            )
            for line in rated[account.account_id]
        )
    if manual_true_ups:
        _manual_true_ups(manual_true_ups, result, failed, scheme, true_up_tariff, cache_scope)
    remote = {k: pm for k, pm in points.items() if pm.remote and k[0] not in failed}
    if remote:
        _interval_versions(
            remote, period, as_of, day_rows, result, failed, true_up_tariff, cache_scope, run_id
        )
    _hold_implausible(result, failed, period)
    for account_id, code_and_reason in failed.items():
        result.lines.pop(account_id, None)
        result.corrections.pop(account_id, None)
        result.interval_days.pop(account_id, None)
        result.interval_terms.pop(account_id, None)
        result.exceptions[account_id] = code_and_reason
    return result


def _hold_implausible(
    result: PricedAccounts, failed: dict[int, tuple[str, str]], period: Month
) -> None:
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
        if account_id not in failed
    }
    if not figures:
        return
    held = guard.held_back(lines=figures, period=period, limits=guard.configured_limits())
    for account_id, reason in held.items():
        failed.setdefault(account_id, (guard.IMPLAUSIBLE_BILL, reason))


# -- true-ups of manual points' months billed on estimates ------------------------------------


def _manual_true_ups(
    true_ups: Sequence[manual.TrueUp],
    result: PricedAccounts,
    failed: dict[int, tuple[str, str]],
    scheme: Callable[[], BandScheme],
    true_up_tariff: Callable[[rating.Tariff], rating.Tariff],
    cache_scope: object,
) -> None:
    """True-up lines of manual points, each priced at the month it corrects (see
    :mod:`vool.domain.billing.manual`), on the bills of accounts that are billed."""
    networks = {
        point_id: (operator, package, fuse, apartment)
        for point_id, operator, package, fuse, apartment in MeteringPoint.objects.filter(
            pk__in={t.point_id for t in true_ups}
        ).values_list(
            "id", "grid_operator__code", "network_package_code", "main_fuse_a", "is_apartment"
        )
    }
    vat = tariff_queries.vat_versions()

    def tariff_in(month: Month, product: tuple[int, bool], point_id: int) -> rating.Tariff:
        key = _key(product, networks[point_id])
        built, missing = _tariffs({key}, month, cache_scope)
        if key in missing:
            raise _Unbillable(MISSING_PRICE, missing[key])
        return true_up_tariff(built[key])

    def rate(
        month: Month, accounts: Sequence[rating.AccountMonth]
    ) -> tuple[dict[object, list[rating.Line]], dict[object, Exception]]:
        used = [p.tariff for a in accounts for p in a.pieces]
        return rating.rate_accounts(
            month=month,
            accounts=accounts,
            vat=vat,
            market=tariff_queries.market_prices(month) if _uses_market(used) else None,
        )

    pending = [t for t in true_ups if t.account_id not in failed]
    lines, failures = manual.price_true_ups(
        pending, scheme=scheme, tariff_in=tariff_in, rate=rate, profile=_uses_market
    )
    for account_id, exc in failures.items():
        failed.setdefault(account_id, (exc.code, exc.reason))
    for (account_id, point_id), priced in sorted(lines.items()):
        if account_id in failed or account_id not in result.lines:
            continue
        result.lines[account_id].extend(
            DraftLine(point_id, line, ledger_account_of(line.component), False, True, basis)
            for line, basis in priced
        )


# -- interval data as of the run's cut-off, and what the bill holds of it ---------------------


def _interval_days(
    point_ids: Sequence[int], period: Month, as_of: dt.datetime
) -> dict[int, dict[dt.date, _DayRow]]:
    """Each point's days of ``period`` in the version known at ``as_of``: known since then and
    not yet superseded, whatever arrived later (even while the run runs or is resumed)."""
    day_rows: dict[int, dict[dt.date, _DayRow]] = defaultdict(dict)
    if not point_ids:
        return day_rows
    for point_id, day, res, values, flags, version in (
        IntervalDay.objects.filter(
            metering_point_id__in=point_ids,
            direction=IntervalDay.Direction.CONSUMPTION,
            day__gte=period.first_day,
            day__lt=period.next().first_day,
            known_at__lte=as_of,
        )
        .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=as_of))
        .values_list(
            "metering_point_id", "day", "resolution_minutes", "values_wh", "quality", "version"
        )
    ):
        day_rows[point_id][day] = _DayRow(res, bytes(values), bytes(flags), version)
    return day_rows


def _interval_versions(
    remote: dict[tuple[int, int], _PointMonth],
    period: Month,
    as_of: dt.datetime,
    day_rows: dict[int, dict[dt.date, _DayRow]],
    result: PricedAccounts,
    failed: dict[int, tuple[str, str]],
    true_up_tariff: Callable[[rating.Tariff], rating.Tariff],
    cache_scope: object,
    run_id: int | None,
) -> None:
    """Record which versions each remote point's bill holds, and true up what changed (see
    :mod:`vool.domain.billing.true_ups`)."""
    from vool.domain.billing import true_ups  # it builds on this module's helpers

    billed: dict[tuple[int, int], true_ups.BilledDays] = {}
    for (account_id, point_id), pm in remote.items():
        version_of_day = {day: row.version for day, row in day_rows[point_id].items()}
        billed[(account_id, point_id)] = true_ups.billed_days(pm, period, version_of_day)
        result.interval_days.setdefault(account_id, []).append(billed[(account_id, point_id)])
    eics: dict[int, str] = {}

    def eic(point_id: int) -> str:
        if not eics:
            eics.update(
                MeteringPoint.objects.filter(pk__in={p for _, p in remote}).values_list("id", "eic")
            )
        return eics.get(point_id, str(point_id))

    true_ups.interval_true_ups(
        points=remote,
        period=period,
        as_of=as_of,
        billed=billed,
        result=result,
        failed=failed,
        true_up_tariff=true_up_tariff,
        eic=eic,
        cache_scope=cache_scope,
        run_id=run_id,
    )
