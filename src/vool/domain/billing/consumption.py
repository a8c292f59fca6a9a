"""Consumption assembly of the bill: what the rating kernel prices for one account's point
and month, from named rows the queries load. Pure: no Django, no database.

Remote-read points
    each supplied local day's interval data in the version known at the run's cut-off
    (:class:`vool.domain.metering.intervals.KnownDay`), at 15 minutes when every day has 15,
    else at 60 (15-minute days summed); a missing day, or a day whose number of values does
    not fit it, makes the account unbillable. :func:`billed_days` records which versions the
    bill holds.
Manual-read points
    each register's kWh (:mod:`vool.domain.billing.advances`) spread over the supplied hours
    of the month (:func:`spread`): DAY and NIGHT registers over their own band's hours; evenly
    for fixed prices, over metering's standard hourly load profile when a price follows the
    market (an even spread would give the night the day's share of the exchange price).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from vool.common.localtime import Month
from vool.domain.billing.advances import (
    READING_TRUE_UPS,
    ManualReadings,
    RegisterRow,
    Span,
    reading_true_ups,
    register_use,
)
from vool.domain.billing.reasons import (
    ESTIMATION_FAILED,
    MISSING_PRICE,
    NO_CONSUMPTION_DATA,
    Unbillable,
)
from vool.domain.metering import estimation, intervals
from vool.domain.tariffs import rating
from vool.domain.tariffs.bands import BandScheme

__all__ = [
    "MANUAL_MINUTES",
    "BilledDays",
    "ContractPiece",
    "ManualEnergy",
    "Network",
    "PointMonth",
    "Product",
    "RemoteEnergy",
    "TrueUp",
    "billed_days",
    "billed_version",
    "manual_energy",
    "pieces_in",
    "production_month",
    "remote_energy",
    "spread",
    "true_up_month",
]

MANUAL_MINUTES = 60  # manual points are spread over the hours of the month

Product = tuple[int, bool]  # (product id, green add-on), as tariffs are keyed


@dataclass(frozen=True)
class ContractPiece:
    """The local days ``[first_day, end_day)`` of a month a contract supplies with ``product``."""

    product: Product
    first_day: dt.date
    end_day: dt.date
    production: int | None = None  # the production product a surplus is credited at


def pieces_in(
    month: Month,
    product: Product,
    valid_from: dt.date,
    valid_to: dt.date | None,
    production: int | None = None,
) -> ContractPiece | None:
    """The part of a contract valid ``[valid_from, valid_to)`` that falls in ``month``."""
    lo = max(valid_from, month.first_day)
    hi = min(valid_to, month.next().first_day) if valid_to else month.next().first_day
    return ContractPiece(product, lo, hi, production) if lo < hi else None


@dataclass(frozen=True)
class Network:
    """What the grid operator's network tariff of a point depends on."""

    grid_operator_code: str = ""
    package_code: str = ""
    main_fuse_a: int = 0
    is_apartment: bool = False


@dataclass
class PointMonth:
    """One metering point of one account in the month being billed."""

    point_id: int
    account_id: int
    remote: bool
    pieces: list[ContractPiece] = field(default_factory=list)  # one per contract, by day
    network: Network = Network()

    @property
    def spans(self) -> list[Span]:
        return [(p.first_day, p.end_day) for p in self.pieces]

    @property
    def days(self) -> int:
        return sum((p.end_day - p.first_day).days for p in self.pieces)


# -- remote-read points ------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteEnergy:
    minutes: int
    energy_wh: npt.NDArray[np.int64]
    estimated: bool  # some interval is estimated or missing in the source data
    basis: dict[str, Any]
    # a prosumer point billed on net quantities: the surplus fed in (net IN) per interval
    surplus_wh: npt.NDArray[np.int64] | None = None


def _missing_days(month: Month, missing: list[dt.date]) -> Unbillable:
    shown = ", ".join(d.isoformat() for d in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return Unbillable(
        NO_CONSUMPTION_DATA,
        f"No interval data for {len(missing)} day(s) of {month}: {shown}{more}",
    )


@dataclass(frozen=True)
class _DayEnergy:
    values: npt.NDArray[np.int64]  # what is billed: gross OUT, or net OUT on a net day
    quality: npt.NDArray[np.uint8]
    gross_wh: int  # on a net day (0 otherwise: the gross is what is billed)
    surplus: npt.NDArray[np.int64] | None  # net IN on a net day


def _day_energy(day: dt.date, row: intervals.KnownDay, minutes: int, net: bool) -> _DayEnergy:
    """One stored day on the bill's grid: gross OUT, or on a net day net OUT and net IN (every
    interval must have its net value)."""
    gross = intervals.unpack_values(row.values).astype(np.int64)
    values, surplus = gross, None
    if net:
        given = intervals.unpack_net(row.net, gross.size)
        if not np.all(given.given):
            raise Unbillable(
                NO_CONSUMPTION_DATA,
                f"The point is billed on net quantities from {day}, but "
                f"{int(np.count_nonzero(~given.given))} interval(s) of {day} have no net value "
                "(netQtyOut/netQtyIn); import the day's data again from the data hub.",
            )
        values, surplus = given.out_wh, given.in_wh
    quality = intervals.unpack_quality(row.quality)
    if row.minutes != minutes:
        values = intervals.resample_sum(values, 4)
        surplus = intervals.resample_sum(surplus, 4) if surplus is not None else None
        quality = intervals.combine_quality(quality, 4)
    return _DayEnergy(values, quality, int(gross.sum()) if net else 0, surplus)


def remote_energy(
    point: PointMonth,
    month: Month,
    days: Mapping[dt.date, intervals.KnownDay],
    net_days: Sequence[bool] = (),
) -> RemoteEnergy:
    """The point's interval data over the supplied days of ``month`` on one grid.

    ``net_days[i]``: day ``i`` of the month falls under a net billing rule; a point with net
    data on a supplied day (a prosumer) is billed there on net OUT, and its net IN comes back
    as ``surplus_wh`` (:func:`production_month` prices it)."""
    minutes = 15 if {row.minutes for row in days.values()} == {15} else 60
    grid = rating.month_grid(month, minutes)
    energy = np.zeros(grid.count, dtype=np.int64)
    first = month.first_day
    offsets = [
        o
        for piece in point.pieces
        for o in range((piece.first_day - first).days, (piece.end_day - first).days)
    ]
    dates = [first + dt.timedelta(days=o) for o in offsets]
    rows = [days.get(d) for d in dates]
    missing = [d for d, row in zip(dates, rows, strict=True) if row is None]
    if missing:
        raise _missing_days(month, missing)
    prosumer = bool(net_days) and any(row.net for row in rows if row is not None)
    surplus = np.zeros(grid.count, dtype=np.int64) if prosumer else None
    flagged = gross = net_count = 0
    for offset, day, row in zip(offsets, dates, rows, strict=True):
        assert row is not None
        net = prosumer and net_days[offset]
        got = _day_energy(day, row, minutes, net)
        lo, hi = int(grid.day_first[offset]), int(grid.day_first[offset + 1])
        if got.values.size != hi - lo:
            raise Unbillable(
                NO_CONSUMPTION_DATA,
                f"Interval data of {day} has {got.values.size} values, the day has {hi - lo}",
            )
        energy[lo:hi] = got.values
        if surplus is not None and got.surplus is not None:
            surplus[lo:hi] = got.surplus
            net_count += 1
        flagged += int(np.count_nonzero(got.quality != intervals.MEASURED))
        if prosumer:
            gross += got.gross_wh if net else int(got.values.sum())
    basis: dict[str, Any] = {
        "source": "INTERVALS",
        "resolution_minutes": minutes,
        "total_wh": int(energy.sum()),
        "days": point.days,
        "estimated_or_missing_intervals": flagged,
    }
    if surplus is None or not net_count:
        return RemoteEnergy(minutes, energy, flagged > 0, basis)
    basis |= {"net_days": net_count, "gross_wh": gross, "surplus_wh": int(surplus.sum())}
    return RemoteEnergy(minutes, energy, flagged > 0, basis, surplus)


PRODUCTION_ACCOUNT = "PRODUCTION"  # the third part of a production month's kernel account id


def _net_spans(piece: ContractPiece, month: Month, net_days: Sequence[bool]) -> list[Span]:
    """The runs of net-billed days within ``piece``."""
    spans: list[Span] = []
    first = month.first_day
    for offset in range((piece.first_day - first).days, (piece.end_day - first).days):
        day = first + dt.timedelta(days=offset)
        if not net_days[offset]:
            continue
        if spans and spans[-1][1] == day:
            spans[-1] = (spans[-1][0], day + dt.timedelta(days=1))
        else:
            spans.append((day, day + dt.timedelta(days=1)))
    return spans


def production_month(
    point: PointMonth,
    month: Month,
    remote: RemoteEnergy,
    net_days: Sequence[bool],
    tariff_of: Callable[[int], rating.Tariff],
) -> rating.AccountMonth | None:
    """The kernel's input for the surplus a prosumer fed in: net IN as negative Wh (a credit:
    the quantity is negative, the price positive, the amount negative) over the net-billed
    days of each contract piece, priced at the piece's production terms (``tariff_of`` its
    production product). None: nothing fed in. :class:`Unbillable` when a surplus was fed in
    under a contract without production terms."""
    if remote.surplus_wh is None or not remote.surplus_wh.any():
        return None
    grid = rating.month_grid(month, remote.minutes)
    pieces: list[rating.Piece] = []
    for piece in point.pieces:
        spans = _net_spans(piece, month, net_days)
        if not spans:
            continue
        if piece.production is None:
            lo = int(grid.day_first[(spans[0][0] - month.first_day).days])
            hi = int(grid.day_first[(spans[-1][1] - month.first_day).days])
            fed = int(remote.surplus_wh[lo:hi].sum())
            if fed:
                raise Unbillable(
                    MISSING_PRICE,
                    f"The point fed {Decimal(fed).scaleb(-3)} kWh into the grid in {month}, "
                    "but its contract has no production terms to credit it at; set the "
                    "contract's production terms.",
                )
            continue
        tariff = tariff_of(piece.production)
        pieces.extend(rating.Piece(tariff, lo_day, hi_day) for lo_day, hi_day in spans)
    if not pieces:
        return None
    return rating.AccountMonth(
        account_id=(point.account_id, point.point_id, PRODUCTION_ACCOUNT),
        minutes=remote.minutes,
        energy_wh=-remote.surplus_wh,
        pieces=tuple(pieces),
    )


@dataclass(frozen=True)
class BilledDays:
    """The versions one invoice bills as one point's consumption of its month: version
    number of day ``first_day + i`` (0 = not billed on this invoice)."""

    metering_point_id: int
    first_day: dt.date
    versions: tuple[int, ...]


def billed_days(
    point: PointMonth, month: Month, version_of_day: Mapping[dt.date, int]
) -> BilledDays:
    """What a month's bill of ``point`` bills: the version of each supplied day."""
    versions = [0] * month.days
    first = month.first_day
    for piece in point.pieces:
        for offset in range((piece.first_day - first).days, (piece.end_day - first).days):
            versions[offset] = version_of_day.get(first + dt.timedelta(days=offset), 0)
    return BilledDays(point.point_id, first, tuple(versions))


def billed_version(days: BilledDays | None, day: dt.date) -> int | None:
    """The version of ``day`` this bill bills (None: not billed on it)."""
    if days is None:
        return None
    offset = (day - days.first_day).days
    version = days.versions[offset] if 0 <= offset < len(days.versions) else 0
    return version or None


# -- manual-read points: registers spread over hours ----------------------------------------


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


def _no_month_end(register: RegisterRow, month: Month, data: ManualReadings) -> Unbillable:
    """Why a register without a month-end reading cannot be billed, and what to do."""
    failure = data.failed_estimates.get(register.register_id) or data.estimation_error
    if failure:
        return Unbillable(
            ESTIMATION_FAILED,
            f"No {month} month-end reading for register {register.kind}, and "
            f"estimating it failed: {failure}. Fix the cause, run `vool readings "
            f"estimate --period {month}`, then bill the account with `vool billing "
            "rebill`.",
        )
    return Unbillable(
        NO_CONSUMPTION_DATA,
        f"No {month} month-end reading for register {register.kind} and no "
        f"estimate; run `vool readings estimate --period {month}` first.",
    )


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
            raise _no_month_end(register, month, data)
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


# -- true-ups of earlier months on manual points -------------------------------------------


@dataclass(frozen=True)
class TrueUp:
    """What a manual point's bill of ``month`` (an earlier month) got wrong, to be priced
    under ``month``'s tariffs and VAT on the account's bill of now."""

    account_id: int
    point_id: int
    month: Month
    kwh_by_kind: dict[str, Decimal]
    basis: dict[str, Any]


def true_up_month(
    t: TrueUp,
    supplied: Sequence[ContractPiece],
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
    tariffs = [
        (tariff_in(t.month, p.product, t.point_id), p.first_day, p.end_day) for p in supplied
    ]
    energy = spread(
        t.kwh_by_kind,
        t.month,
        [(p.first_day, p.end_day) for p in supplied],
        scheme,
        profile=profile([tariff for tariff, _, _ in tariffs]),
    )
    return rating.AccountMonth(
        account_id=(t.account_id, t.point_id, t.month),
        minutes=MANUAL_MINUTES,
        energy_wh=energy,
        pieces=tuple(rating.Piece(tariff, lo, hi) for tariff, lo, hi in tariffs),
    )
