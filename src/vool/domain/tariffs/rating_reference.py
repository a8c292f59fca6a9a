"""The rating rules in plain Decimal arithmetic, one interval at a time. Pure: no Django.

Slow on purpose and written to be read: the property tests compare the vectorised kernel
(:mod:`vool.domain.tariffs.rating`) against this for random consumption, prices and periods.
Prices are EUR/kWh Decimals (µ€/kWh x 10^-6), energy kWh Decimals (Wh x 10^-3); an hourly
point on quarter-hour prices pays ``(p1+p2+p3+p4)/4``; each line's exact amount is rounded
once with :func:`vool.common.money.round_money` (``HALF_UP``).

The reference has its own time grid (:func:`interval_starts`: plain ``datetime`` stepping
from the Tallinn midnights given by ``zoneinfo``), not the kernel's ``month_grid``, so a bug
in the kernel's grid (a lost or doubled DST hour) makes the two disagree instead of hiding in
both.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from vool.common.localtime import Month
from vool.common.money import RoundingMode, round_money
from vool.domain.tariffs.bands import ALL
from vool.domain.tariffs.rating import (
    EnergyComponent,
    FeeComponent,
    Line,
    MissingMarketPrice,
    MissingPrice,
    Tariff,
    VatVersion,
)

__all__ = ["interval_starts", "rate_piece"]

_TALLINN = ZoneInfo("Europe/Tallinn")

_CONTEXT = decimal.Context(prec=80, rounding=decimal.ROUND_HALF_EVEN)


def interval_starts(month: Month, minutes: int) -> list[dt.datetime]:
    """The UTC starts of the ``minutes`` intervals of a Tallinn month: from local midnight of
    the 1st to local midnight of the next month's 1st, one step of ``minutes`` at a time in
    UTC (so a 23- or 25-hour day has its 92 or 100 quarters)."""
    year, number = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
    start = dt.datetime(month.year, month.month, 1, tzinfo=_TALLINN).astimezone(dt.UTC)
    stop = dt.datetime(year, number, 1, tzinfo=_TALLINN).astimezone(dt.UTC)
    step = dt.timedelta(minutes=minutes)
    starts = []
    while start < stop:
        starts.append(start)
        start += step
    return starts


def _version_index(spans: Sequence[tuple[dt.date, dt.date | None]], day: dt.date) -> int | None:
    for i, (start, end) in enumerate(spans):
        if start <= day and (end is None or day < end):
            return i
    return None


def _segment_bounds(
    spans: Sequence[tuple[dt.date, dt.date | None]],
    vat: Sequence[VatVersion],
    first: dt.date,
    end: dt.date,
    day: dt.date,
) -> tuple[dt.date, dt.date]:
    """The run of days around ``day`` within ``[first, end)`` with the same version and VAT."""
    key = (_version_index(spans, day), _vat_index(vat, day))
    lo = day
    while (
        lo > first
        and (
            _version_index(spans, lo - dt.timedelta(days=1)),
            _vat_index(vat, lo - dt.timedelta(days=1)),
        )
        == key
    ):
        lo -= dt.timedelta(days=1)
    hi = day + dt.timedelta(days=1)
    while hi < end and (_version_index(spans, hi), _vat_index(vat, hi)) == key:
        hi += dt.timedelta(days=1)
    return lo, hi


def _vat_index(vat: Sequence[VatVersion], day: dt.date) -> int | None:
    return _version_index([(v.valid_from, v.valid_to) for v in vat], day)


def rate_piece(
    *,
    month: Month,
    minutes: int,
    energy_wh: Sequence[int],
    first_day: dt.date,
    end_day: dt.date,
    tariff: Tariff,
    vat: Sequence[VatVersion],
    quarter_prices_micro: Sequence[int | None] | None = None,
) -> list[Line]:
    """The lines of one piece, in the kernel's order (components as listed, then date, then
    band as listed in the scheme). ``quarter_prices_micro``: one per quarter of the month,
    ``None`` where missing."""
    grid = interval_starts(month, minutes)
    quarters = interval_starts(month, 15)
    lines: list[Line] = []
    for comp in tariff.components:
        spans = [(v.valid_from, v.valid_to) for v in comp.versions]
        if isinstance(comp, FeeComponent):
            day = first_day
            while day < end_day:
                v = _version_index(spans, day)
                r = _vat_index(vat, day)
                if v is None:
                    raise MissingPrice(f"{comp.code} has no price valid on {day.isoformat()}")
                if r is None:
                    raise MissingPrice(f"No VAT rate valid on {day.isoformat()}")
                lo, hi = _segment_bounds(spans, vat, first_day, end_day, day)
                days = (hi - lo).days
                monthly = comp.versions[v].monthly_amount
                exact = _CONTEXT.divide(_CONTEXT.multiply(monthly, Decimal(days)), month.days)
                amount = round_money(exact, mode=RoundingMode.HALF_UP)
                lines.append(
                    Line(
                        comp.code,
                        ALL,
                        lo,
                        hi,
                        Decimal(days),
                        "DAY",
                        _unit_price(Decimal(days), amount, _CONTEXT.divide(monthly, month.days)),
                        amount,
                        vat[r].rate,
                        monthly,
                    )
                )
                day = hi
            continue
        lines.extend(
            _energy_lines(
                comp,
                spans,
                grid,
                quarters,
                energy_wh,
                first_day,
                end_day,
                vat,
                quarter_prices_micro,
                minutes,
            )
        )
    return lines


@dataclass
class _Sum:
    """One line's running sums: kWh and the exact amount, and of them, apart, the
    negative kWh (a true-up removing consumption) and their exact amount."""

    kwh: Decimal = Decimal(0)
    exact: Decimal = Decimal(0)
    removed_kwh: Decimal = Decimal(0)
    removed_exact: Decimal = Decimal(0)

    def add(self, kwh: Decimal, price: Decimal) -> None:
        self.kwh += kwh
        self.exact = _CONTEXT.add(self.exact, _CONTEXT.multiply(kwh, price))
        if kwh < 0:
            self.removed_kwh += kwh
            self.removed_exact = _CONTEXT.add(self.removed_exact, _CONTEXT.multiply(kwh, price))


_SumKey = tuple[dt.date, dt.date, str]  # segment start, segment end, band


def _market_price(
    start: dt.datetime,
    quarters: Sequence[dt.datetime],
    quarter_index: dict[dt.datetime, int],
    quarter_prices_micro: Sequence[int | None] | None,
    minutes: int,
    missing: list[dt.datetime],
) -> Decimal | None:
    """The interval's market price (EUR/kWh; an hour: the mean of its quarters), or None
    with the quarters that have none added to ``missing``."""
    q0 = quarter_index[start]
    qs = [q0] if minutes == 15 else [q0, q0 + 1, q0 + 2, q0 + 3]
    values = [quarter_prices_micro[q] if quarter_prices_micro else None for q in qs]
    if any(p is None for p in values):
        missing.extend(quarters[q] for q, p in zip(qs, values, strict=True) if p is None)
        return None
    return _CONTEXT.divide(
        sum((Decimal(p).scaleb(-6) for p in values if p is not None), Decimal(0)),
        len(values),
    )


def _energy_lines(
    comp: EnergyComponent,
    spans: Sequence[tuple[dt.date, dt.date | None]],
    grid: Sequence[dt.datetime],
    quarters: Sequence[dt.datetime],
    energy_wh: Sequence[int],
    first_day: dt.date,
    end_day: dt.date,
    vat: Sequence[VatVersion],
    quarter_prices_micro: Sequence[int | None] | None,
    minutes: int,
) -> list[Line]:
    segment_of_day: dict[dt.date, tuple[dt.date, dt.date]] = {}
    acc: dict[_SumKey, _Sum] = {}
    rate_of: dict[_SumKey, Decimal] = {}
    missing: list[dt.datetime] = []
    quarter_index = {t: i for i, t in enumerate(quarters)}
    for i, start in enumerate(grid):
        day = start.astimezone(_TALLINN).date()
        if not first_day <= day < end_day:
            continue
        v = _version_index(spans, day)
        r = _vat_index(vat, day)
        if v is None:
            raise MissingPrice(f"{comp.code} has no price valid on {day.isoformat()}")
        if r is None:
            raise MissingPrice(f"No VAT rate valid on {day.isoformat()}")
        band = comp.scheme.band_at(start) if comp.scheme is not None else ALL
        price = Decimal(comp.versions[v].unit_prices[band]).scaleb(-6)
        if comp.market:
            market = _market_price(
                start, quarters, quarter_index, quarter_prices_micro, minutes, missing
            )
            if market is None:
                continue
            price = market + price
        if day not in segment_of_day:
            segment_of_day[day] = _segment_bounds(spans, vat, first_day, end_day, day)
        lo, hi = segment_of_day[day]
        key = (lo, hi, band)
        acc.setdefault(key, _Sum()).add(Decimal(energy_wh[i]).scaleb(-3), price)
        rate_of[key] = vat[r].rate
    if missing:
        raise MissingMarketPrice(sorted(set(missing)))
    return _lines_of_sums(comp, spans, acc, rate_of)


def _lines_of_sums(
    comp: EnergyComponent,
    spans: Sequence[tuple[dt.date, dt.date | None]],
    acc: dict[_SumKey, _Sum],
    rate_of: dict[_SumKey, Decimal],
) -> list[Line]:
    """A line per sum (an exchange line with removed kWh: its added and removed parts),
    by segment and band, each amount rounded once."""
    band_order = list(comp.scheme.bands) if comp.scheme is not None else [ALL]
    lines: list[Line] = []
    for (lo, hi, band), total in sorted(
        acc.items(), key=lambda kv: (kv[0][0], band_order.index(kv[0][2]))
    ):
        parts = [(total.kwh, total.exact)]
        if comp.market and total.removed_kwh != 0:  # added and removed consumption apart
            added = (
                total.kwh - total.removed_kwh,
                _CONTEXT.subtract(total.exact, total.removed_exact),
            )
            parts = ([added] if added[0] != 0 else []) + [(total.removed_kwh, total.removed_exact)]
        for part_kwh, part_exact in parts:
            amount = round_money(part_exact, mode=RoundingMode.HALF_UP)
            if not comp.market:
                v = _version_index(spans, lo)
                assert v is not None
                unit_price: Decimal | None = Decimal(comp.versions[v].unit_prices[band]).scaleb(-6)
            elif part_kwh == 0:
                unit_price = None
            else:
                unit_price = _unit_price(part_kwh, amount, _CONTEXT.divide(part_exact, part_kwh))
            lines.append(
                Line(
                    comp.code,
                    band,
                    lo,
                    hi,
                    part_kwh,
                    "KWH",
                    unit_price,
                    amount,
                    rate_of[(lo, hi, band)],
                )
            )
    return lines


def _unit_price(quantity: Decimal, amount: Decimal, exact: Decimal) -> Decimal:
    """The price nearest to ``exact`` with 6 decimals (up to 9 if none fits) such that
    ``quantity x price`` rounds half-up to ``amount``: scan outwards from the rounded price."""
    for decimals in range(6, 10):
        step = Decimal(1).scaleb(-decimals)
        nearest = exact.quantize(step, rounding=decimal.ROUND_HALF_UP, context=_CONTEXT)

        def fits(price: Decimal) -> bool:
            product = _CONTEXT.multiply(quantity, price)
            return round_money(product, mode=RoundingMode.HALF_UP) == amount

        if fits(nearest):
            return nearest
        # the prices that fit lie within half a cent / |quantity| of the amount's price
        half = _CONTEXT.divide(Decimal("0.005"), abs(quantity))
        centre = _CONTEXT.divide(amount, quantity)
        low = (centre - half).quantize(step, rounding=decimal.ROUND_FLOOR, context=_CONTEXT)
        high = (centre + half).quantize(step, rounding=decimal.ROUND_CEILING, context=_CONTEXT)
        candidates = []
        price = low
        while price <= high:
            if fits(price):
                candidates.append(price)
            price += step
        if candidates:
            return min(candidates, key=lambda p: (abs(p - exact), p))
    raise ValueError(f"No unit price multiplies {quantity} out to {amount}")
