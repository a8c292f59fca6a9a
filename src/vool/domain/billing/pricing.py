"""The pricing seam of the bill run: what each account of a chunk owes for a period.

:func:`price_accounts` loads, set-based (a handful of queries per chunk, never one per
account), everything the accounts need: their supply contracts in the period, the products and
dated prices, the VAT rates, the interval data of remote-read points and the month-end
readings of manual points. It turns them into the rating kernel's plain inputs and lets the
kernel (:mod:`vool.domain.tariffs.rating`, exact integer arithmetic, one rounding per line)
price them. Accounts that cannot be billed come back as exceptions with a reason a person can
act on; the others come back as draft lines.

Consumption
    remote-read points: each local day's interval data in the version known at the run's data
    cut-off ``as_of`` (not whatever is current when the chunk runs); the bill records which
    versions it holds;
    manual points: the difference of the month-end readings of the month before and of the
    month (actual or estimated, across a rollover by the meter's digits, times the multiplier),
    spread over the hours of the supplied days (DAY and NIGHT registers over their own band's
    hours), so the kernel prices registers and intervals alike.
Prices
    the tariffs app builds each distinct (product, network package, main fuse) tariff once per
    chunk (:func:`vool.domain.tariffs.queries.tariff_for`: the product's energy, margin and
    monthly fee, the grid operator's network energy by band and monthly fee, the levies), with
    the dated VAT rates and the month's market prices; the kernel splits lines at every price,
    band and VAT change and prorates monthly fees by supplied days.
True-ups
    a month that starts from an estimated reading and ends on an actual one bills its share of
    the actual consumption since the last actual reading (apportioned by days) plus a true-up
    line for what the estimates got wrong. Corrected interval data are trued up by version
    (:mod:`vool.domain.billing.true_ups`): what is known at the cut-off minus what the live
    bills hold, never by comparing timestamps.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from django.db.models import Q

from vool.common.localtime import Month, local_midnight
from vool.domain.contracts.models import SupplyContract
from vool.domain.ledger.models import LedgerAccount
from vool.domain.metering import estimation, intervals
from vool.domain.metering.models import IntervalDay, Reading, Register
from vool.domain.metering.window import DEFAULT_WINDOW, ReadingWindow
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs import queries as tariff_queries
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandScheme
from vool.domain.tariffs.models import Product

__all__ = ["DraftLine", "PricedAccounts", "price_accounts"]

MANUAL_MINUTES = 60

# Exception codes (BillRunException.code)
NO_CONTRACT = "NO_CONTRACT"
MISSING_PRICE = "MISSING_PRICE"
NO_CONSUMPTION_DATA = "NO_CONSUMPTION_DATA"
PENDING_REVIEW = "PENDING_REVIEW"
WINDOW_OPEN = "READING_WINDOW_OPEN"

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
    metering_point_id: int
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


class _Unbillable(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


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


def _covered_mask(
    grid: rating.MonthGrid, pieces: Sequence[tuple[tuple[int, bool], dt.date, dt.date]]
) -> npt.NDArray[np.bool_]:
    mask = np.zeros(grid.count, dtype=np.bool_)
    first = grid.month.first_day
    for _, start, end in pieces:
        lo = int(grid.day_first[(start - first).days])
        hi = int(grid.day_first[(end - first).days])
        mask[lo:hi] = True
    return mask


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


@dataclass
class _RegisterRow:
    register_id: int
    kind: str
    digits: int
    multiplier: Decimal
    removed: dt.date | None


@dataclass(frozen=True)
class _RegisterUse:
    kwh: Decimal  # consumption of the month (for a true-up: its apportioned share)
    true_up_kwh: Decimal  # what earlier bills on estimates missed (may be negative)
    estimated: bool
    basis: dict[str, Any]


def _unwrapped(row: tuple[Any, ...], digits: int) -> Decimal:
    return Decimal(row[2]) + int((row[6] or {}).get("wraps", 0)) * Decimal(10) ** digits


def _advance(start: tuple[Any, ...], end: tuple[Any, ...], register: _RegisterRow) -> Decimal:
    advance = _unwrapped(end, register.digits) - _unwrapped(start, register.digits)
    if advance < 0:
        advance += Decimal(10) ** register.digits  # rolled over
    kwh = advance * register.multiplier
    exact = kwh.quantize(Decimal("0.001"))
    return exact if exact == kwh else kwh


def _register_use(
    register: _RegisterRow,
    readings: list[tuple[Any, ...]],
    last_actual: tuple[Any, ...] | None,
    month: Month,
) -> _RegisterUse | None:
    """One register's consumption in ``month``; None = no month-end reading.

    Reading rows: (id, read_at, value_kwh, source, period, status, details). When the month
    starts from an estimate and ends on an actual reading, the actual consumption since the
    last actual reading is apportioned over its months by days: this month's share is billed
    as consumption, the rest (``actual - what the estimates billed - this month's share``) as a
    true-up.
    """
    accepted = [r for r in readings if r[5] == Reading.Status.ACCEPTED]
    if any(r[4] == str(month) and r[5] == Reading.Status.PENDING_REVIEW for r in readings):
        raise _Unbillable(
            PENDING_REVIEW,
            f"The {month} reading of register {register.kind} waits for review in the back "
            "office; it is billed once accepted.",
        )
    ends = [r for r in accepted if r[4] == str(month)]
    if not ends and register.removed is not None:
        ends = accepted[-1:]  # the final reading of a meter exchanged in the month
    if not ends:
        return None
    end = ends[-1]
    starts = [r for r in accepted if r[4] == str(month.previous())]
    if not starts:
        starts = [r for r in accepted if r[1] < end[1]][:1]  # the initial (move-in) reading
    if not starts:
        raise _Unbillable(
            NO_CONSUMPTION_DATA,
            f"Register {register.kind} has no reading to start {month} from.",
        )
    start = starts[-1]
    kwh = _advance(start, end, register)
    basis: dict[str, Any] = {
        "register": register.kind,
        "start_reading_id": start[0],
        "start_kwh": str(start[2]),
        "start_source": start[3],
        "end_reading_id": end[0],
        "end_kwh": str(end[2]),
        "end_source": end[3],
        "kwh": str(kwh),
    }
    estimated = Reading.Source.ESTIMATED
    if start[3] == estimated and end[3] != estimated and last_actual is not None and last_actual[4]:
        months = Month.range(Month.parse(last_actual[4]).next(), month.next())
        actual = _advance(last_actual, end, register)
        shares = estimation.apportion(
            total_kwh=actual, weights=[(str(m), Decimal(m.days)) for m in months]
        )
        share = shares[str(month)]
        basis.update(
            {
                "last_actual_reading_id": last_actual[0],
                "last_actual_kwh": str(last_actual[2]),
                "actual_since_kwh": str(actual),
                "apportioned_by_days": {k: str(v) for k, v in shares.items()},
                "billed_on_estimates_kwh": str(actual - kwh),
                "true_up_kwh": str(kwh - share),
            }
        )
        return _RegisterUse(share, kwh - share, False, basis)
    return _RegisterUse(kwh, Decimal(0), estimated in (start[3], end[3]), basis)


@lru_cache(maxsize=32)
def _bands(scheme: BandScheme, month: Month) -> npt.NDArray[np.int8]:
    return scheme.band_indices(rating.month_grid(month, MANUAL_MINUTES).starts)


def _spread(
    by_kind: dict[str, Decimal],
    grid: rating.MonthGrid,
    covered: npt.NDArray[np.bool_],
    scheme: Callable[[], BandScheme],
) -> npt.NDArray[np.int64]:
    energy = np.zeros(grid.count, dtype=np.int64)
    weights = np.ones(grid.count, dtype=np.float64)
    for kind, kwh in sorted(by_kind.items()):
        wh = kwh * 1000
        if wh != wh.to_integral_value():
            raise _Unbillable(NO_CONSUMPTION_DATA, f"Consumption {kwh} kWh is finer than 1 Wh")
        mask = covered
        if kind in ("DAY", "NIGHT"):
            bands = scheme()
            mask = covered & (_bands(bands, grid.month) == bands.bands.index(kind))
        energy += rating.spread_wh(int(wh), weights, mask)
    return energy


def _manual_energy(
    point: _PointMonth,
    month: Month,
    registers: list[_RegisterRow],
    readings: dict[int, list[tuple[Any, ...]]],
    last_actual: dict[int, tuple[Any, ...]],
    scheme: Callable[[], BandScheme],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None, bool, dict[str, Any]]:
    """(energy of the month, true-up energy or None, estimated?, basis) at 60 minutes."""
    grid = rating.month_grid(month, MANUAL_MINUTES)
    covered = _covered_mask(grid, point.pieces)
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    true_up: dict[str, Decimal] = defaultdict(Decimal)
    estimated = False
    used: list[dict[str, Any]] = []
    for register in registers:
        use = _register_use(
            register,
            readings.get(register.register_id, []),
            last_actual.get(register.register_id),
            month,
        )
        if use is None:
            if register.removed is None:
                raise _Unbillable(
                    NO_CONSUMPTION_DATA,
                    f"No {month} month-end reading for register {register.kind} and no "
                    f"estimate; run `vool readings estimate --period {month}` first.",
                )
            continue
        by_kind[register.kind] += use.kwh
        if use.true_up_kwh:
            true_up[register.kind] += use.true_up_kwh
        estimated = estimated or use.estimated
        used.append(use.basis)
    if not used:
        raise _Unbillable(NO_CONSUMPTION_DATA, f"No readings for {month}.")
    energy = _spread(by_kind, grid, covered, scheme)
    true_up_energy = _spread(true_up, grid, covered, scheme) if true_up else None
    return energy, true_up_energy, estimated, {"source": "READINGS", "registers": used}


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

    registers: dict[int, list[_RegisterRow]] = defaultdict(list)
    readings: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    last_actual: dict[int, tuple[Any, ...]] = {}
    window_open = bool(manual_ids) and not window.is_closed(period, as_of=as_of)
    if manual_ids and not window_open:
        for rid, kind, point_id, digits, multiplier, removed in (
            Register.objects.filter(meter__metering_point_id__in=manual_ids)
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
            registers[point_id].append(_RegisterRow(rid, kind, digits, multiplier, removed))
        register_ids = [r.register_id for rs in registers.values() for r in rs]
        since = local_midnight(period.previous().last_day)
        for row in (
            Reading.objects.filter(
                register_id__in=register_ids,
                superseded_by__isnull=True,
                status__in=(Reading.Status.ACCEPTED, Reading.Status.PENDING_REVIEW),
                read_at__gte=since,
                read_at__lt=window.closes_at(period),
            )
            .order_by("read_at", "id")
            .values_list(
                "register_id", "id", "read_at", "value_kwh", "source", "period", "status", "details"
            )
        ):
            readings[row[0]].append(row[1:])
        from_estimate = [
            rid
            for rid, rows in readings.items()
            if any(
                r[4] == str(period.previous()) and r[3] == Reading.Source.ESTIMATED for r in rows
            )
        ]
        if from_estimate:
            for row in (
                Reading.objects.filter(
                    register_id__in=from_estimate,
                    superseded_by__isnull=True,
                    status=Reading.Status.ACCEPTED,
                    read_at__lt=since,
                )
                .exclude(source=Reading.Source.ESTIMATED)
                .order_by("read_at", "id")
                .values_list(
                    "register_id",
                    "id",
                    "read_at",
                    "value_kwh",
                    "source",
                    "period",
                    "status",
                    "details",
                )
            ):
                last_actual[row[0]] = row[1:]

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
        true_up: npt.NDArray[np.int64] | None = None
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
                energy, true_up, est, basis = _manual_energy(
                    pm, period, registers[pm.point_id], readings, last_actual, scheme
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
        if true_up is not None:
            correction = rating.AccountMonth(
                account_id=(*key, True),
                minutes=minutes,
                energy_wh=true_up,
                pieces=tuple(
                    rating.Piece(true_up_tariff(t), start, stop) for t, start, stop in pieces
                ),
            )
            keys_of[id(correction)] = (*key, True)
            accounts.append(correction)
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
    remote = {k: pm for k, pm in points.items() if pm.remote and k[0] not in failed}
    if remote:
        _interval_versions(
            remote, period, as_of, day_rows, result, failed, true_up_tariff, cache_scope, run_id
        )
    for account_id, code_and_reason in failed.items():
        result.lines.pop(account_id, None)
        result.corrections.pop(account_id, None)
        result.interval_days.pop(account_id, None)
        result.interval_terms.pop(account_id, None)
        result.exceptions[account_id] = code_and_reason
    return result


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
