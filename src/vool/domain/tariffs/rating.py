"""The rating kernel: prices many accounts' month of consumption at once. Pure: numpy, no Django.

Units, exact throughout
    energy in integer **Wh**; unit prices in integer **micro-euro per kWh** (µ€/kWh =
    EUR/kWh x 10^6); Wh x µ€/kWh = **nano-euro**. A line's nano-euro total is rounded once,
    half-up (ties away from zero, like ``ROUND_HALF_UP``), to cents. An hourly point on
    quarter-hour market prices pays the mean of the four quarters: the kernel sums
    ``Wh x (p1+p2+p3+p4)`` and divides by 4 only when the line is rounded.

Inputs (plain values; billing and the calculator build them from the database)
    :class:`Tariff`
        what one account buys, as components in display order: :class:`EnergyComponent`
        (per kWh, flat or by time band, or the market price of each interval) and
        :class:`FeeComponent` (a monthly amount, prorated by days). Each holds dated versions
        ``[valid_from, valid_to)`` in local dates.
    :class:`VatVersion`
        the VAT rates by date. Lines are split at VAT changes and at every version change of
        their own component; each line carries its VAT rate. VAT itself is added by the bill
        (:func:`vat_by_rate` is the one policy: per rate, round the rate times the sum).
    :class:`MarketPrices`
        the month's quarter-hour prices in µ€/kWh (hourly prices repeated over their
        quarters), with a mask of missing ones.
    :class:`AccountMonth`
        one account's month described without a database: its interval values and the
        pieces of the month under each tariff (a product change mid-month is two pieces).

Entry points
    :func:`rate_month`
        the vectorised kernel: an ``(rows x intervals)`` int matrix of one resolution, pieces
        ``(row, tariff, first_day, end_day)`` and the tariffs -> :class:`RatedMonth` (flat
        arrays of lines, per-piece totals, :meth:`RatedMonth.lines` for a piece's
        :class:`Line` objects, and per-piece failures such as a missing market price).
    :func:`rate_accounts`
        the convenience form over :class:`AccountMonth` values (groups by resolution, builds
        the matrices, returns ``{account_id: [Line, ...]}`` and failures).

Limits checked (so int64 never overflows): ``|Wh|`` per interval <= 10^7 (10 MWh a quarter)
and ``|price|`` <= 10^7 µ€/kWh (10 EUR/kWh; the harmonised market cap is 4 EUR/kWh).

The same rules in plain Decimal arithmetic are in :mod:`vool.domain.tariffs.rating_reference`;
property tests prove both give identical lines.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Final, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from vool.common.localtime import TALLINN, Month, interval_starts, local_midnight
from vool.common.money import RoundingMode, round_money
from vool.domain.tariffs.bands import ALL, BandScheme, NoBandRules

__all__ = [
    "MAX_ABS_PRICE_MICRO",
    "MAX_ABS_WH",
    "AccountMonth",
    "EnergyComponent",
    "FeeComponent",
    "FeeVersion",
    "Line",
    "MarketPrices",
    "MissingMarketPrice",
    "MissingPrice",
    "MonthGrid",
    "Piece",
    "PriceVersion",
    "RatedMonth",
    "Tariff",
    "VatVersion",
    "half_up_div",
    "month_grid",
    "price_that_multiplies_out",
    "rate_accounts",
    "rate_month",
    "spread_wh",
    "vat_by_rate",
]

MAX_ABS_WH: Final = 10**7
MAX_ABS_PRICE_MICRO: Final = 10**7
NANO_PER_CENT: Final = 10**7
Unit = Literal["KWH", "DAY"]


# -- errors ----------------------------------------------------------------------------------


class MissingMarketPrice(Exception):
    """Market prices are missing for intervals an exchange-priced account consumed in."""

    def __init__(self, missing_starts: Sequence[dt.datetime], *, minutes: int = 15) -> None:
        self.missing_starts = list(missing_starts)
        shown = ", ".join(
            t.astimezone(TALLINN).strftime("%Y-%m-%d %H:%M") for t in self.missing_starts[:6]
        )
        more = f" and {len(self.missing_starts) - 6} more" if len(self.missing_starts) > 6 else ""
        super().__init__(
            f"No market price for {len(self.missing_starts)} {minutes}-minute interval(s) "
            f"starting {shown}{more} (Tallinn time). Import them with `vool prices import FILE` "
            "or `vool prices fetch` and rate again; nothing was estimated."
        )


class MissingPrice(Exception):
    """A component has no price version (or VAT no rate) for part of a billed period."""


# -- inputs ----------------------------------------------------------------------------------


def _covers(valid_from: dt.date, valid_to: dt.date | None, day: dt.date) -> bool:
    return valid_from <= day and (valid_to is None or day < valid_to)


class _Dated(Protocol):
    @property
    def valid_from(self) -> dt.date: ...
    @property
    def valid_to(self) -> dt.date | None: ...


_V = TypeVar("_V", bound=_Dated)


def version_on(versions: Iterable[_V], day: dt.date) -> _V | None:
    """The first of ``versions`` valid on ``day`` (local dates ``[valid_from, valid_to)``)."""
    return next((v for v in versions if _covers(v.valid_from, v.valid_to, day)), None)


@dataclass(frozen=True)
class PriceVersion:
    """Per-kWh prices valid on local dates ``[valid_from, valid_to)``: µ€/kWh by band
    (``{"ALL": p}`` for a flat price). For a market component the price is added to each
    interval's market price (usually 0)."""

    valid_from: dt.date
    valid_to: dt.date | None
    unit_prices: Mapping[str, int]


@dataclass(frozen=True)
class EnergyComponent:
    """A per-kWh component: flat (``scheme=None``), by the bands of ``scheme``, or the
    market price (``market=True``, flat)."""

    code: str
    versions: tuple[PriceVersion, ...]
    scheme: BandScheme | None = None
    market: bool = False

    def __post_init__(self) -> None:
        if self.market and self.scheme is not None:
            raise ValueError(f"Component {self.code}: a market component is not banded")
        bands = self.scheme.bands if self.scheme is not None else (ALL,)
        for version in self.versions:
            missing = set(bands) - set(version.unit_prices)
            if missing:
                raise ValueError(
                    f"Component {self.code} from {version.valid_from}: no price for bands "
                    f"{sorted(missing)}"
                )
            for price in version.unit_prices.values():
                if abs(price) > MAX_ABS_PRICE_MICRO:
                    raise ValueError(f"Component {self.code}: price {price} µ€/kWh out of range")


@dataclass(frozen=True)
class FeeVersion:
    valid_from: dt.date
    valid_to: dt.date | None
    monthly_amount: Decimal  # EUR, 2 decimals


@dataclass(frozen=True)
class FeeComponent:
    """A monthly amount, prorated by ``days supplied / days in month``."""

    code: str
    versions: tuple[FeeVersion, ...]


@dataclass(frozen=True)
class VatVersion:
    valid_from: dt.date
    valid_to: dt.date | None
    rate: Decimal  # e.g. Decimal("0.24")


@dataclass(frozen=True)
class Tariff:
    """Everything one account pays, components in the order the bill shows them."""

    code: str
    components: tuple[EnergyComponent | FeeComponent, ...]


@dataclass(frozen=True)
class Piece:
    """Part of an account's month under one tariff: local days ``[first_day, end_day)``."""

    tariff: Tariff
    first_day: dt.date
    end_day: dt.date


@dataclass(frozen=True)
class AccountMonth:
    """One account's month, DB-free: interval values (Wh, one per interval of the month at
    ``minutes`` resolution, outside its pieces ignored) and its pieces."""

    account_id: object
    minutes: int
    energy_wh: npt.NDArray[np.integer]
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class MarketPrices:
    """Quarter-hour market prices of one month in µ€/kWh (hourly prices repeated four times),
    one per quarter of :func:`month_grid` ``(month, 15)``; ``missing`` marks the gaps."""

    month: Month
    values_micro: npt.NDArray[np.int64]
    missing: npt.NDArray[np.bool_]

    def __post_init__(self) -> None:
        expected = month_grid(self.month, 15).count
        if self.values_micro.shape != (expected,) or self.missing.shape != (expected,):
            raise ValueError(f"{self.month} has {expected} quarter-hours of market prices")
        present = self.values_micro[~self.missing]
        if present.size and np.abs(present).max() > MAX_ABS_PRICE_MICRO:
            raise ValueError("A market price is out of range (|price| > 10 EUR/kWh)")

    @classmethod
    def from_mapping(cls, month: Month, prices: Mapping[dt.datetime, int]) -> MarketPrices:
        """From ``{quarter start (aware): µ€/kWh}``; absent quarters are missing."""
        grid = month_grid(month, 15)
        index = {t: i for i, t in enumerate(grid.starts)}
        values = np.zeros(grid.count, dtype=np.int64)
        missing = np.ones(grid.count, dtype=np.bool_)
        for start, price in prices.items():
            i = index.get(start.astimezone(dt.UTC))
            if i is not None:
                values[i] = price
                missing[i] = False
        return cls(month, values, missing)


# -- outputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of a bill's detail.

    Every line multiplies out: ``quantity x unit_price``, rounded half-up to cents, is
    ``amount`` (EN 16931: line net = price x quantity / base quantity, base quantity 1).

    kWh lines: ``quantity`` kWh (3 dp), ``unit_price`` EUR/kWh. A fixed price is the price
    itself (6 dp). A market line's price is the consumption-weighted mean: the price with 6
    decimals (more, up to 9, only when a line is so large that no 6-decimal price
    multiplies out) nearest to the exact mean at which the quantity multiplies out to the
    amount; ``None`` when nothing was consumed (then the amount is 0). A market line whose
    intervals have negative values (a true-up that removes consumption) is split in two: the
    added and the removed kWh, each with its own mean price, so that neither has a near-zero
    quantity with a large amount.

    Fee lines: ``quantity`` days supplied, ``unit`` DAY, ``unit_price`` the daily price: the
    price (6 dp) nearest to ``monthly amount / days in the month`` at which the days multiply
    out to ``amount = monthly x days / days_in_month``; :attr:`monthly_amount` keeps the
    monthly amount for the bill's text. ``amount`` is EUR excl. VAT, rounded half-up to cents.
    """

    component: str
    band: str
    period_start: dt.date
    period_end: dt.date
    quantity: Decimal
    unit: Unit
    unit_price: Decimal | None
    amount: Decimal
    vat_rate: Decimal
    monthly_amount: Decimal | None = None  # fee lines: the monthly amount the days prorate


def price_that_multiplies_out(
    *,
    quantity: int,
    quantity_decimals: int,
    amount_cents: int,
    exact_num: int,
    exact_den: int,
) -> Decimal:
    """The unit price in EUR nearest to the exact price ``exact_num / exact_den`` µ€ per unit
    at which ``quantity`` (an integer in units of ``10**-quantity_decimals``) times the price,
    rounded half-up to cents, is ``amount_cents``: 6 decimals, more (up to 9) only when no
    6-decimal price does. ``amount_cents`` must be the exact amount rounded half-up."""
    if quantity == 0 or exact_den == 0:
        raise ValueError("A line with no quantity has no unit price")
    for decimals in range(6, 10):
        scale = 10 ** (quantity_decimals + decimals - 2)  # quantity x price / scale = cents

        def multiplies_out(price: int, scale: int = scale) -> bool:
            return _half_up_int(quantity * price, scale) == amount_cents

        nearest = _half_up_int(exact_num * 10 ** (decimals - 6), exact_den)
        if multiplies_out(nearest):
            return Decimal(nearest).scaleb(-decimals)
        # the prices that round to the amount form one interval; clamp into its integers
        ends = sorted(
            (
                Fraction((2 * amount_cents - 1) * scale, 2 * quantity),
                Fraction((2 * amount_cents + 1) * scale, 2 * quantity),
            )
        )
        low, high = math.ceil(ends[0]), math.floor(ends[1])
        if not multiplies_out(low):
            low += 1
        if high >= low and not multiplies_out(high):
            high -= 1
        if low <= high:
            return Decimal(min(max(nearest, low), high)).scaleb(-decimals)
    raise ValueError(
        f"No unit price with at most 9 decimals multiplies {quantity} x 10^-"
        f"{quantity_decimals} out to {amount_cents} cents"
    )


def vat_by_rate(lines: Iterable[Line]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """The VAT policy: per rate, ``(taxable sum, VAT rounded half-up to cents)``."""
    sums: dict[Decimal, Decimal] = {}
    for line in lines:
        sums[line.vat_rate] = sums.get(line.vat_rate, Decimal("0.00")) + line.amount
    return {
        rate: (base, round_money(base * rate, mode=RoundingMode.HALF_UP))
        for rate, base in sorted(sums.items())
    }


# -- the time grid ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthGrid:
    """The intervals of a local month at one resolution."""

    month: Month
    minutes: int
    starts: tuple[dt.datetime, ...]
    day_first: npt.NDArray[np.int64]  # index of each local day's first interval, + count

    @property
    def count(self) -> int:
        return len(self.starts)

    @property
    def days(self) -> int:
        return self.month.days

    def day(self, offset: int) -> dt.date:
        return self.month.first_day + dt.timedelta(days=offset)


@lru_cache(maxsize=256)
def month_grid(month: Month, minutes: int) -> MonthGrid:
    start, end = month.bounds()
    starts = tuple(interval_starts(start, end, minutes=minutes))
    step = dt.timedelta(minutes=minutes)
    firsts = [
        (local_midnight(month.first_day + dt.timedelta(days=d)) - start) // step
        for d in range(month.days + 1)
    ]
    return MonthGrid(month, minutes, starts, np.array(firsts, dtype=np.int64))


@lru_cache(maxsize=256)
def _band_indices(scheme: BandScheme, month: Month, minutes: int) -> npt.NDArray[np.int8]:
    return scheme.band_indices(month_grid(month, minutes).starts)


def half_up_div(x: npt.NDArray[np.int64], d: int) -> npt.NDArray[np.int64]:
    """``x / d`` rounded half-up (ties away from zero) for an even ``d > 0``, exactly."""
    a = np.abs(x)
    q = (a + d // 2) // d
    return np.where(x < 0, -q, q)


def _half_up_int(n: int, d: int) -> int:
    """``n / d`` rounded half-up (ties away from zero), exactly, for any non-zero ``d``."""
    sign = -1 if (n < 0) != (d < 0) else 1
    q, r = divmod(abs(n), abs(d))
    if 2 * r >= abs(d):
        q += 1
    return sign * q


# -- line structure of a piece ---------------------------------------------------------------

_KWH: Final = 0
_MARKET: Final = 1
_FEE: Final = 2


@dataclass(frozen=True)
class _Spec:
    component: str
    band: str
    first_day: int
    end_day: int
    kind: int
    unit_price_micro: int  # kWh: the price; market: the offset; fee: monthly cents
    vat_rate: Decimal
    runs: tuple[int, ...] = ()  # global run indices (kWh and market lines)
    fee_cents: int = 0
    days: int = 0


@dataclass
class _Shape:
    specs: list[_Spec]
    mask_of_spec: list[int]  # column in the shape's 0/1 run matrix, -1 for fees
    masks: npt.NDArray[np.float64]  # runs x columns
    market: bool
    failure: Exception | None = None


def _version_of_days(grid: MonthGrid, spans: Sequence[tuple[dt.date, dt.date | None]]) -> list[int]:
    """Index of the version valid on each day of the month (-1: none)."""
    out = []
    for d in range(grid.days):
        day = grid.day(d)
        out.append(next((i for i, (f, t) in enumerate(spans) if _covers(f, t, day)), -1))
    return out


@dataclass(frozen=True)
class _Segment:
    """Days ``[first, end)`` of a piece with one version of a component and one VAT rate."""

    first: int
    end: int
    version: int
    vat: int


def _segments(
    first: int,
    end: int,
    grid: MonthGrid,
    ver_days: Sequence[int],
    vat_days: Sequence[int],
    what: str,
) -> list[_Segment]:
    """Split days ``[first, end)`` where the version or the VAT rate changes."""
    out: list[_Segment] = []
    current: tuple[int, int] | None = None
    seg_start = first
    for d in range(first, end):
        v, r = ver_days[d], vat_days[d]
        if v < 0:
            raise MissingPrice(f"{what} has no price valid on {grid.day(d).isoformat()}")
        if r < 0:
            raise MissingPrice(f"No VAT rate valid on {grid.day(d).isoformat()}")
        if current is not None and (v, r) != current:
            out.append(_Segment(seg_start, d, *current))
            seg_start = d
        current = (v, r)
    if current is not None:
        out.append(_Segment(seg_start, end, *current))
    return out


class _Runs:
    """Maximal runs of intervals with the same local day and the same band in every scheme."""

    def __init__(self, grid: MonthGrid, schemes: Sequence[BandScheme]) -> None:
        change = np.zeros(grid.count, dtype=np.bool_)
        change[grid.day_first[:-1][grid.day_first[:-1] < grid.count]] = True
        self.scheme_bands: dict[BandScheme, npt.NDArray[np.int8]] = {}
        for scheme in schemes:
            bands = _band_indices(scheme, grid.month, grid.minutes)
            self.scheme_bands[scheme] = bands
            change[1:] |= bands[1:] != bands[:-1]
        change[0] = True
        self.starts = np.flatnonzero(change).astype(np.int64)
        self.day_of_run = np.searchsorted(grid.day_first, self.starts, side="right") - 1
        self.band_of_run = {s: b[self.starts] for s, b in self.scheme_bands.items()}
        self.count = self.starts.size


@dataclass
class _ShapeContext:
    """What every shape of one :func:`rate_month` call is built from; ``days`` caches the
    version index of each day per component (by ``id``), the VAT's under ``-1``."""

    grid: MonthGrid
    runs: _Runs
    vat: Sequence[VatVersion]
    market: MarketPrices | None
    days: dict[int, list[int]]

    @classmethod
    def of(
        cls, grid: MonthGrid, runs: _Runs, vat: Sequence[VatVersion], market: MarketPrices | None
    ) -> _ShapeContext:
        vat_days = _version_of_days(grid, [(v.valid_from, v.valid_to) for v in vat])
        return cls(grid, runs, vat, market, {-1: vat_days})

    def segments(
        self, comp: EnergyComponent | FeeComponent, first: int, end: int
    ) -> list[_Segment]:
        key = id(comp)
        if key not in self.days:
            spans = [(v.valid_from, v.valid_to) for v in comp.versions]
            self.days[key] = _version_of_days(self.grid, spans)
        return _segments(first, end, self.grid, self.days[key], self.days[-1], comp.code)


def _fee_specs(comp: FeeComponent, segments: list[_Segment], ctx: _ShapeContext) -> list[_Spec]:
    """A fee line per segment: the monthly amount pro rata of its days, rounded once."""
    specs = []
    for seg in segments:
        cents = int(comp.versions[seg.version].monthly_amount.scaleb(2))
        days = seg.end - seg.first
        specs.append(
            _Spec(
                comp.code,
                ALL,
                seg.first,
                seg.end,
                _FEE,
                cents,
                ctx.vat[seg.vat].rate,
                fee_cents=_half_up_int(cents * days, ctx.grid.days),
                days=days,
            )
        )
    return specs


def _energy_specs(
    comp: EnergyComponent, segments: list[_Segment], ctx: _ShapeContext
) -> list[_Spec]:
    """An energy line per segment and band that has runs: the runs it sums."""
    runs = ctx.runs
    specs = []
    for seg in segments:
        in_segment = (runs.day_of_run >= seg.first) & (runs.day_of_run < seg.end)
        prices = comp.versions[seg.version].unit_prices
        if comp.scheme is None:
            bands: list[tuple[str, npt.NDArray[np.bool_]]] = [(ALL, in_segment)]
        else:
            run_bands = runs.band_of_run[comp.scheme]
            bands = [
                (name, in_segment & (run_bands == i)) for i, name in enumerate(comp.scheme.bands)
            ]
        for band, selected in bands:
            idx = tuple(np.flatnonzero(selected).tolist())
            if not idx:
                continue
            specs.append(
                _Spec(
                    comp.code,
                    band,
                    seg.first,
                    seg.end,
                    _MARKET if comp.market else _KWH,
                    int(prices[band]),
                    ctx.vat[seg.vat].rate,
                    runs=idx,
                )
            )
    return specs


def _market_failure(first: int, end: int, ctx: _ShapeContext) -> MissingMarketPrice | None:
    """Why an exchange piece on days ``[first, end)`` cannot be rated: no prices, or gaps."""
    grid, market = ctx.grid, ctx.market
    if market is None:
        lo, hi = int(grid.day_first[first]), int(grid.day_first[end])
        return MissingMarketPrice(list(grid.starts[lo:hi]), minutes=grid.minutes)
    quarters = month_grid(grid.month, 15)
    q_lo, q_hi = int(quarters.day_first[first]), int(quarters.day_first[end])
    gaps = np.flatnonzero(market.missing[q_lo:q_hi])
    if gaps.size:
        return MissingMarketPrice([quarters.starts[q_lo + i] for i in gaps])
    return None


def _shape_of_specs(
    specs: list[_Spec], run_count: int, is_market: bool, failure: Exception | None
) -> _Shape:
    """The shape with one 0/1 column per distinct run set of its energy specs."""
    columns: dict[tuple[int, ...], int] = {}
    mask_of_spec: list[int] = []
    for spec in specs:
        if spec.kind == _FEE:
            mask_of_spec.append(-1)
            continue
        mask_of_spec.append(columns.setdefault(spec.runs, len(columns)))
    masks = np.zeros((run_count, len(columns)), dtype=np.float64)
    for key, col in columns.items():
        masks[list(key), col] = 1.0
    return _Shape(specs, mask_of_spec, masks, is_market, failure)


def _build_shape(tariff: Tariff, first: int, end: int, ctx: _ShapeContext) -> _Shape:
    """The line structure of ``tariff`` on days ``[first, end)`` (or why it has none)."""
    specs: list[_Spec] = []
    try:
        for comp in tariff.components:
            segments = ctx.segments(comp, first, end)
            if isinstance(comp, FeeComponent):
                specs.extend(_fee_specs(comp, segments, ctx))
            else:
                specs.extend(_energy_specs(comp, segments, ctx))
    except (MissingPrice, NoBandRules) as exc:
        return _Shape([], [], np.zeros((ctx.runs.count, 0)), False, failure=exc)
    is_market = any(s.kind == _MARKET for s in specs)
    failure = _market_failure(first, end, ctx) if is_market else None
    return _shape_of_specs(specs, ctx.runs.count, is_market, failure)


# -- the kernel ------------------------------------------------------------------------------


@dataclass
class RatedMonth:
    """Lines of many pieces as flat arrays (one entry per line):
    ``piece`` index, ``quantity`` (Wh, or days for fees), ``amount_cents``; ``failures`` maps a
    piece index to the reason it could not be rated (its lines are absent)."""

    month: Month
    minutes: int
    piece: npt.NDArray[np.int64]
    spec: npt.NDArray[np.int64]
    quantity: npt.NDArray[np.int64]
    amount_cents: npt.NDArray[np.int64]
    market_nano: npt.NDArray[np.int64]  # market lines: sum of Wh x price (x4 for hourly)
    specs: list[_Spec]
    piece_count: int
    failures: dict[int, Exception] = field(default_factory=dict)

    @property
    def line_count(self) -> int:
        return int(self.piece.size)

    def totals_cents(self) -> npt.NDArray[np.int64]:
        """Sum of the rounded line amounts of each piece (cents, excl. VAT)."""
        totals = np.zeros(self.piece_count, dtype=np.int64)
        np.add.at(totals, self.piece, self.amount_cents)
        return totals

    @cached_property
    def _order(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        order = np.argsort(self.piece, kind="stable")
        bounds = np.searchsorted(self.piece[order], np.arange(self.piece_count + 1))
        return order, bounds

    def lines(self, piece: int) -> list[Line]:
        """The :class:`Line` values of one piece (raises its failure if it has one)."""
        if piece in self.failures:
            raise self.failures[piece]
        order, bounds = self._order
        divisor = 4 if self.minutes == 60 else 1
        out: list[Line] = []
        for i in order[bounds[piece] : bounds[piece + 1]]:
            spec = self.specs[int(self.spec[i])]
            start = self.month.first_day + dt.timedelta(days=spec.first_day)
            end = self.month.first_day + dt.timedelta(days=spec.end_day)
            cents = int(self.amount_cents[i])
            amount = Decimal(cents).scaleb(-2)
            if spec.kind == _FEE:
                monthly_cents = spec.unit_price_micro
                out.append(
                    Line(
                        spec.component,
                        spec.band,
                        start,
                        end,
                        Decimal(spec.days),
                        "DAY",
                        price_that_multiplies_out(
                            quantity=spec.days,
                            quantity_decimals=0,
                            amount_cents=cents,
                            exact_num=monthly_cents * 10**4,
                            exact_den=self.month.days,
                        ),
                        amount,
                        spec.vat_rate,
                        Decimal(monthly_cents).scaleb(-2),
                    )
                )
                continue
            wh = int(self.quantity[i])
            if spec.kind == _KWH:
                unit_price: Decimal | None = Decimal(spec.unit_price_micro).scaleb(-6)
            elif wh == 0:
                unit_price = None
            else:
                unit_price = price_that_multiplies_out(
                    quantity=wh,
                    quantity_decimals=3,
                    amount_cents=cents,
                    exact_num=int(self.market_nano[i]),
                    exact_den=wh * divisor,
                )
            out.append(
                Line(
                    spec.component,
                    spec.band,
                    start,
                    end,
                    Decimal(wh).scaleb(-3),
                    "KWH",
                    unit_price,
                    amount,
                    spec.vat_rate,
                )
            )
        return out


_Part = tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _added_and_removed(
    qty: npt.NDArray[np.int64],
    nano: npt.NDArray[np.int64],
    removed_qty: npt.NDArray[np.int64],
    removed_nano: npt.NDArray[np.int64],
) -> tuple[_Part, _Part] | None:
    """A market line's rows with negative intervals become two lines, the added and the
    removed kWh (the added one only if there are any): ``(rows, Wh, nano-euro)`` of each
    part. ``None`` when no row has negative intervals (one line each)."""
    split = removed_qty != 0
    if not split.any():
        return None
    added_qty = np.where(split, qty - removed_qty, qty)
    added_nano = np.where(split, nano - removed_nano, nano)
    return (~split | (added_qty != 0), added_qty, added_nano), (split, removed_qty, removed_nano)


def _check_energy(block: npt.NDArray[np.integer], limit: int) -> None:
    if block.size and (int(block.max()) > limit or int(block.min()) < -limit):
        raise ValueError(f"An interval value is out of range (|Wh| > {limit})")


_INT64_LIMIT: Final = 2**63 - 1


@dataclass(frozen=True)
class _RunSums:
    """Pass 1's result: run sums of every row, ``Wh x price`` run sums of the exchange rows
    (row ``r`` at ``market_slot[r]``), and apart, where a true-up removes consumption, the
    run sums of the negative Wh and of their ``Wh x price``."""

    wh: npt.NDArray[np.int64]
    market: npt.NDArray[np.int64]
    market_slot: npt.NDArray[np.int64]
    removed_wh: npt.NDArray[np.int64] | None
    removed_nano: npt.NDArray[np.int64] | None


@dataclass(frozen=True)
class _LineArrays:
    """Lines of one spec for some pieces, as flat arrays."""

    piece: npt.NDArray[np.int64]
    spec: npt.NDArray[np.int64]
    quantity: npt.NDArray[np.int64]
    amount_cents: npt.NDArray[np.int64]
    market_nano: npt.NDArray[np.int64]


def _market_lines(
    spec: _Spec,
    runs: list[int],
    qty: npt.NDArray[np.int64],
    slots: npt.NDArray[np.int64],
    sums: _RunSums,
    divisor: int,
) -> tuple[npt.NDArray[np.int64], tuple[_Part, _Part] | None]:
    """``sum(Wh x price)`` of an exchange line per piece (the unit price, a margin, added),
    and, where a true-up removes consumption, its added and removed parts apart."""
    nano = sums.market[slots][:, runs].sum(axis=1)
    if spec.unit_price_micro:
        nano = nano + qty * (spec.unit_price_micro * divisor)
    if sums.removed_wh is None or sums.removed_nano is None:
        return nano, None
    removed_qty = sums.removed_wh[slots][:, runs].sum(axis=1)
    removed = sums.removed_nano[slots][:, runs].sum(axis=1)
    removed = removed + removed_qty * (spec.unit_price_micro * divisor)
    return nano, _added_and_removed(qty, nano, removed_qty, removed)


def _shape_lines(
    shape: _Shape,
    offset: int,
    pieces: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    sums: _RunSums,
    divisor: int,
) -> list[_LineArrays]:
    """The lines of the pieces of one shape (their ``rows`` of the energy), spec by spec."""
    n = pieces.size
    pieces = pieces.astype(np.int64)
    wh_cols = np.rint(sums.wh[rows].astype(np.float64) @ shape.masks).astype(np.int64)
    slots = sums.market_slot[rows] if shape.market else rows
    out: list[_LineArrays] = []
    for j, spec in enumerate(shape.specs):
        spec_index = np.full(n, offset + j, dtype=np.int64)
        if spec.kind == _FEE:
            qty = np.full(n, spec.days, dtype=np.int64)
            amount = np.full(n, spec.fee_cents, dtype=np.int64)
            out.append(_LineArrays(pieces, spec_index, qty, amount, np.zeros(n, dtype=np.int64)))
            continue
        qty = wh_cols[:, shape.mask_of_spec[j]]
        biggest = int(np.abs(qty).max()) * abs(spec.unit_price_micro) * divisor
        if biggest > _INT64_LIMIT // 2:
            raise ValueError(f"{spec.component}: quantity x price overflows; check data")
        if spec.kind == _KWH:
            amount = half_up_div(qty * spec.unit_price_micro, NANO_PER_CENT)
            out.append(_LineArrays(pieces, spec_index, qty, amount, np.zeros(n, dtype=np.int64)))
            continue
        nano, parts = _market_lines(spec, list(spec.runs), qty, slots, sums, divisor)
        if parts is None:
            amount = half_up_div(nano, NANO_PER_CENT * divisor)
            out.append(_LineArrays(pieces, spec_index, qty, amount, nano))
            continue
        for mask, part_qty, part_nano in parts:
            out.append(
                _LineArrays(
                    pieces[mask],
                    np.full(int(mask.sum()), offset + j, dtype=np.int64),
                    part_qty[mask],
                    half_up_div(part_nano[mask], NANO_PER_CENT * divisor),
                    part_nano[mask],
                )
            )
    return out


def _run_sums(
    energy_wh: npt.NDArray[np.integer],
    starts: npt.NDArray[np.intp],
    weights: npt.NDArray[np.int64] | None,
    market_rows: npt.NDArray[np.int64],
    *,
    block_rows: int,
    threads: int,
) -> _RunSums:
    """Pass 1 of :func:`rate_month`: each row's sums per run (runs begin at ``starts``), and
    for ``market_rows`` the sums of ``Wh x price`` (``weights``), block by block of
    ``block_rows`` rows on ``threads`` threads; the matrix is read once."""
    count = energy_wh.shape[1]
    n_rows = energy_wh.shape[0]
    small_ints = energy_wh.dtype.kind in "iu" and energy_wh.dtype.itemsize <= 4
    wh_limit = MAX_ABS_WH
    if weights is not None and weights.size:
        # |sum of Wh x price| over a month must fit int64
        wh_limit = max(MAX_ABS_WH, _INT64_LIMIT // (max(1, int(np.abs(weights).max())) * count))
    check_all = not small_ints  # int32 values need no check: their run sums fit exactly
    check_market = small_ints and wh_limit < 2**31
    market_slot = np.full(n_rows, -1, dtype=np.int64)
    market_slot[market_rows] = np.arange(market_rows.size)
    # Run sums in int64, exact. They are whole numbers below 2**53 (at most 100 intervals of
    # |Wh| <= 2**31), so pass 2 can turn a shape's rows into float64, still exact, for a BLAS
    # matrix product.
    sums = np.zeros((n_rows, len(starts)), dtype=np.int64)
    market_sums = np.zeros((market_rows.size, len(starts)), dtype=np.int64)
    scratch = threading.local()
    # per block of market rows with negative values: (run sums of the negative Wh, of Wh x price)
    negatives: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}

    def pass_one(lo: int) -> None:
        hi = min(lo + block_rows, n_rows)
        block = energy_wh[lo:hi]
        if check_all:
            _check_energy(block, MAX_ABS_WH)
        np.add.reduceat(block, starts, axis=1, dtype=np.int64, out=sums[lo:hi])
        if weights is None:
            return
        m_lo, m_hi = np.searchsorted(market_rows, [lo, hi])
        if m_lo == m_hi:
            return
        sub = block[market_rows[m_lo:m_hi] - lo] if m_hi - m_lo < hi - lo else block
        if check_market:
            _check_energy(sub, wh_limit)
        buffer = getattr(scratch, "buffer", None)
        if buffer is None or buffer.shape[0] < sub.shape[0]:
            buffer = scratch.buffer = np.empty((block_rows, count), dtype=np.int64)
        weighted = buffer[: sub.shape[0]]
        np.multiply(sub, weights, out=weighted)
        np.add.reduceat(weighted, starts, axis=1, out=market_sums[m_lo:m_hi])
        if sub.size and int(sub.min()) < 0:  # a true-up removing consumption: kept apart
            removed = np.minimum(sub, 0).astype(np.int64)
            np.multiply(removed, weights, out=weighted)
            negatives[m_lo] = (
                np.add.reduceat(removed, starts, axis=1),
                np.add.reduceat(weighted, starts, axis=1),
            )

    blocks = range(0, n_rows, block_rows)
    if threads > 1 and len(blocks) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(pass_one, blocks))
    else:
        for lo in blocks:
            pass_one(lo)

    removed_wh: npt.NDArray[np.int64] | None = None
    removed_nano: npt.NDArray[np.int64] | None = None
    if negatives:
        removed_wh = np.zeros_like(market_sums)
        removed_nano = np.zeros_like(market_sums)
        for m_lo, (wh_part, nano_part) in negatives.items():
            removed_wh[m_lo : m_lo + wh_part.shape[0]] = wh_part
            removed_nano[m_lo : m_lo + nano_part.shape[0]] = nano_part
    return _RunSums(sums, market_sums, market_slot, removed_wh, removed_nano)


def _piece_shapes(
    piece_tariff: npt.NDArray[np.integer],
    piece_first_day: npt.NDArray[np.integer],
    piece_end_day: npt.NDArray[np.integer],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct (tariff, first day, end day) of the pieces, in ascending order, and the
    shape of each piece. Days of a month fit 6 bits, so a shape is one int64 (a 1-D unique,
    far faster than a row-wise one); out-of-range days take the row-wise way and are
    refused by the caller."""
    tariff = np.asarray(piece_tariff, dtype=np.int64)
    first = np.asarray(piece_first_day, dtype=np.int64)
    end = np.asarray(piece_end_day, dtype=np.int64)
    fits = tariff.size == 0 or (
        int(tariff.min()) >= 0
        and int(tariff.max()) < 2**40
        and int(min(first.min(), end.min())) >= 0
        and int(max(first.max(), end.max())) < 64
    )
    if not fits:
        keys, shape_of_piece = np.unique(
            np.stack([tariff, first, end], axis=1), axis=0, return_inverse=True
        )
        return keys, shape_of_piece.reshape(-1)
    packed, shape_of_piece = np.unique((tariff << 12) | (first << 6) | end, return_inverse=True)
    keys = np.stack([packed >> 12, (packed >> 6) & 63, packed & 63], axis=1)
    return keys, shape_of_piece.reshape(-1)


def rate_month(
    *,
    month: Month,
    minutes: int,
    energy_wh: npt.NDArray[np.integer],
    piece_row: npt.NDArray[np.integer],
    piece_tariff: npt.NDArray[np.integer],
    piece_first_day: npt.NDArray[np.integer],
    piece_end_day: npt.NDArray[np.integer],
    tariffs: Sequence[Tariff],
    vat: Sequence[VatVersion],
    market: MarketPrices | None = None,
    block_rows: int = 64,
    workers: int | None = None,
) -> RatedMonth:
    """Rate pieces of accounts' months in one resolution (vectorised).

    ``energy_wh``: ``(rows, intervals)`` Wh of ``month_grid(month, minutes)`` (int32 is the
    fast path). Piece ``i`` rates row ``piece_row[i]`` under ``tariffs[piece_tariff[i]]`` on the
    month's day offsets ``[piece_first_day[i], piece_end_day[i])``.

    Two passes: (1) rows in blocks of ``block_rows`` (``workers`` threads; numpy releases the
    GIL) are reduced, in int64, to sums per *run* (intervals of one day with the same band in
    every scheme), and for exchange rows the sums of ``Wh x price``. Blocks are small (64 rows
    x a 15-minute month: 0.8 MB of int32, 1.5 MB of int64 scratch) so a block and its
    temporaries stay in the CPU cache: the matrix is read from memory once, and no temporary
    of the whole matrix (or of a large block) is made; (2) per distinct piece shape
    (tariff, first day, end day) the line quantities are unions of runs and the amounts are
    rounded once per line. Memory beyond the input: ``rows x runs`` int64 (~250 runs).
    """
    grid = month_grid(month, minutes)
    if energy_wh.ndim != 2 or energy_wh.shape[1] != grid.count:
        raise ValueError(
            f"{month} at {minutes} min has {grid.count} intervals; energy has shape "
            f"{energy_wh.shape}"
        )
    n_pieces = int(piece_row.size)
    rows: npt.NDArray[np.int64] = np.asarray(piece_row, dtype=np.int64)
    runs = _Runs(grid, _schemes_of(tariffs))
    weights = _market_weights(market, month, minutes)
    keys, shape_of_piece = _piece_shapes(piece_tariff, piece_first_day, piece_end_day)
    shapes = _build_shapes(keys, tariffs, _ShapeContext.of(grid, runs, vat, market))
    threads = workers if workers is not None else min(os.cpu_count() or 1, 4)
    # pass 1: run sums of every row, Wh x price run sums of the exchange rows
    sums = _run_sums(
        energy_wh,
        runs.starts,
        weights,
        _market_rows(shapes, shape_of_piece, rows, energy_wh.shape[0], weights),
        block_rows=block_rows,
        threads=threads,
    )
    # pass 2: lines per piece shape (shapes in threads too; the lines keep shape order)
    plan = _ShapePlan.of(shapes, shape_of_piece)
    parts = _lines_of_jobs(plan.jobs, rows, sums, 4 if minutes == 60 else 1, threads)
    return RatedMonth(
        month=month,
        minutes=minutes,
        piece=_cat([p.piece for p in parts]),
        spec=_cat([p.spec for p in parts]),
        quantity=_cat([p.quantity for p in parts]),
        amount_cents=_cat([p.amount_cents for p in parts]),
        market_nano=_cat([p.market_nano for p in parts]),
        specs=plan.specs,
        piece_count=n_pieces,
        failures=_piece_failures(shapes, shape_of_piece),
    )


def _schemes_of(tariffs: Sequence[Tariff]) -> list[BandScheme]:
    """The band schemes of the tariffs' energy components, by code."""
    schemes = {
        c.scheme
        for t in tariffs
        for c in t.components
        if isinstance(c, EnergyComponent) and c.scheme is not None
    }
    return sorted(schemes, key=lambda s: s.code)


def _market_weights(
    market: MarketPrices | None, month: Month, minutes: int
) -> npt.NDArray[np.int64] | None:
    """The market price of each interval (micro-euro; hourly: the sum of its quarters)."""
    if market is None:
        return None
    if market.month != month:
        raise ValueError(f"Market prices are for {market.month}, not {month}")
    quarter = np.where(market.missing, 0, market.values_micro).astype(np.int64)
    return quarter.reshape(-1, 4).sum(axis=1) if minutes == 60 else quarter


def _build_shapes(
    keys: npt.NDArray[np.int64], tariffs: Sequence[Tariff], ctx: _ShapeContext
) -> list[_Shape]:
    """The shape of each distinct (tariff, first day, end day)."""
    shapes: list[_Shape] = []
    for t, first, end in keys.tolist():
        if not 0 <= first < end <= ctx.grid.days:
            raise ValueError(f"Piece days [{first}, {end}) are not inside {ctx.grid.month}")
        shapes.append(_build_shape(tariffs[t], first, end, ctx))
    return shapes


def _piece_failures(
    shapes: list[_Shape], shape_of_piece: npt.NDArray[np.int64]
) -> dict[int, Exception]:
    """The failure of each piece whose shape has one."""
    failures: dict[int, Exception] = {}
    for s, shape in enumerate(shapes):
        if shape.failure is not None:
            for p in np.flatnonzero(shape_of_piece == s).tolist():
                failures[p] = shape.failure
    return failures


def _market_rows(
    shapes: list[_Shape],
    shape_of_piece: npt.NDArray[np.int64],
    piece_row: npt.NDArray[np.int64],
    n_rows: int,
    weights: npt.NDArray[np.int64] | None,
) -> npt.NDArray[np.int64]:
    """The rows (ascending) of the pieces rated at market prices, whose ``Wh x price``
    pass 1 sums."""
    shape_is_market = np.array([s.market and s.failure is None for s in shapes], dtype=bool)
    market_row_mask = np.zeros(n_rows, dtype=bool)
    if weights is not None and piece_row.size:
        market_row_mask[piece_row[shape_is_market[shape_of_piece]]] = True
    return np.flatnonzero(market_row_mask)


@dataclass(frozen=True)
class _ShapeJob:
    """Pass 2's work on one shape: its ``pieces``, whose specs start at ``offset``."""

    shape: _Shape
    offset: int
    pieces: npt.NDArray[np.int64]


@dataclass(frozen=True)
class _ShapePlan:
    """The specs of all shapes end to end (a line's ``spec`` indexes them) and the jobs of
    the shapes that have lines to make."""

    specs: list[_Spec]
    jobs: list[_ShapeJob]

    @classmethod
    def of(cls, shapes: list[_Shape], shape_of_piece: npt.NDArray[np.int64]) -> _ShapePlan:
        all_specs: list[_Spec] = []
        jobs: list[_ShapeJob] = []
        order = np.argsort(shape_of_piece, kind="stable")
        bounds = np.searchsorted(shape_of_piece[order], np.arange(len(shapes) + 1))
        for s, shape in enumerate(shapes):
            offset = len(all_specs)
            all_specs.extend(shape.specs)
            pieces = order[bounds[s] : bounds[s + 1]]
            if shape.failure is not None or not shape.specs or not pieces.size:
                continue
            jobs.append(_ShapeJob(shape, offset, pieces))
        return cls(all_specs, jobs)


def _lines_of_jobs(
    jobs: list[_ShapeJob],
    piece_row: npt.NDArray[np.int64],
    sums: _RunSums,
    divisor: int,
    threads: int,
) -> list[_LineArrays]:
    """Pass 2: the lines of every job, in job order (on ``threads`` threads)."""

    def shape_lines(job: _ShapeJob) -> list[_LineArrays]:
        return _shape_lines(job.shape, job.offset, job.pieces, piece_row[job.pieces], sums, divisor)

    if threads > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return [part for lines in pool.map(shape_lines, jobs) for part in lines]
    return [part for job in jobs for part in shape_lines(job)]


def _cat(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def rate_accounts(
    *,
    month: Month,
    accounts: Sequence[AccountMonth],
    vat: Sequence[VatVersion],
    market: MarketPrices | None = None,
) -> tuple[dict[object, list[Line]], dict[object, Exception]]:
    """Rate accounts' months: ``({account_id: lines}, {account_id: failure})``.

    An account with a failing piece (e.g. a missing market price) gets no lines, only its
    failure: its bill stops with that reason while the others go on.
    """
    result: dict[object, list[Line]] = {}
    failed: dict[object, Exception] = {}
    for minutes in (15, 60):
        group = [a for a in accounts if a.minutes == minutes]
        if not group:
            continue
        grid = month_grid(month, minutes)
        energy = np.zeros((len(group), grid.count), dtype=np.int64)
        tariffs: list[Tariff] = []
        tariff_index: dict[int, int] = {}
        rows: list[int] = []
        tix: list[int] = []
        firsts: list[int] = []
        ends: list[int] = []
        owners: list[int] = []
        for r, account in enumerate(group):
            values = np.asarray(account.energy_wh)
            if values.shape != (grid.count,):
                raise ValueError(
                    f"Account {account.account_id}: {month} has {grid.count} intervals at "
                    f"{minutes} min, not {values.shape}"
                )
            energy[r] = values
            for piece in account.pieces:
                key = id(piece.tariff)
                if key not in tariff_index:
                    tariff_index[key] = len(tariffs)
                    tariffs.append(piece.tariff)
                rows.append(r)
                tix.append(tariff_index[key])
                firsts.append((piece.first_day - month.first_day).days)
                ends.append((piece.end_day - month.first_day).days)
                owners.append(r)
        rated = rate_month(
            month=month,
            minutes=minutes,
            energy_wh=energy,
            piece_row=np.array(rows, dtype=np.int64),
            piece_tariff=np.array(tix, dtype=np.int64),
            piece_first_day=np.array(firsts, dtype=np.int64),
            piece_end_day=np.array(ends, dtype=np.int64),
            tariffs=tariffs,
            vat=vat,
            market=market,
        )
        for p, r in enumerate(owners):
            account_id = group[r].account_id
            if account_id in failed:
                continue
            if p in rated.failures:
                failed[account_id] = rated.failures[p]
                result.pop(account_id, None)
                continue
            result.setdefault(account_id, []).extend(rated.lines(p))
    return result, failed


def spread_wh(
    total_wh: int, weights: npt.NDArray[np.floating], mask: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.int64]:
    """Spread a whole number of Wh over intervals in proportion to ``weights`` (only where
    ``mask``), exactly: the result sums to ``total_wh``.

    The first ``k`` intervals together get their exact cumulative share rounded half-up, for
    every ``k``; so each interval, and every run of consecutive intervals (e.g. the hours
    before and after a price change), is within 1 Wh of its exact share. (Handing the
    left-over Wh to the intervals with the largest remainders would be as good for each
    interval alone, but with equal weights it gives them all to the first hours.)"""
    w = np.asarray(weights, dtype=np.float64).copy()
    if mask is not None:
        w[~mask] = 0.0
    if total_wh == 0 or w.sum() <= 0:
        if total_wh and w.size:
            raise ValueError("Cannot spread energy over intervals with no weight")
        return np.zeros(w.size, dtype=np.int64)
    if np.any(w < 0):
        raise ValueError("Weights must not be negative")
    n = abs(total_wh)
    if np.all(w == np.floor(w)) and w.sum() < 2**52:
        # whole weights (e.g. an even spread): exact integer arithmetic
        cum = np.cumsum(w.astype(np.int64))
        whole = int(cum[-1])
        if n * whole < 2**60:
            bounds = (2 * n * cum + whole) // (2 * whole)
        else:  # beyond int64: Python integers
            bounds = np.array([(2 * n * int(c) + whole) // (2 * whole) for c in cum])
    else:
        cum = np.cumsum(w)
        bounds = np.floor(cum / cum[-1] * n + 0.5).astype(np.int64)
        bounds = np.minimum(np.maximum.accumulate(bounds), n)
        bounds[int(np.flatnonzero(w)[-1]) :] = n
    edges = np.concatenate((np.zeros(1, dtype=np.int64), bounds.astype(np.int64)))
    out = (edges[1:] - edges[:-1]).astype(np.int64)
    return out if total_wh > 0 else -out
