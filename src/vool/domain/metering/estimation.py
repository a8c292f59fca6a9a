"""Estimating a register's consumption when no reading came. Pure: no Django, no clock.

The methods, in the order they are tried:

1. ``SAME_MONTH_LAST_YEAR``: the consumption of the same month a year earlier, scaled by days:
   ``kwh_last_year * days / days_last_year``.
2. ``AVERAGE_DAILY``: the average daily consumption of the latest actual periods (total kWh over
   total days) times the days to estimate.
3. ``LOAD_PROFILE``: a standard load profile for the segment: the segment's typical annual
   consumption (or the point's own, when known) times the month's share of the year, scaled by
   the days of the month covered.

An estimate is whole kWh, rounded half up, and carries the method and its inputs as strings so
that a person can see why. :func:`apportion` spreads an actual consumption over the months an
estimate covered (the true-up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

import numpy as np
import numpy.typing as npt

from vool.common.localtime import TALLINN, Month
from vool.domain.metering.plausibility import HistoryPeriod

__all__ = [
    "ANNUAL_KWH_BY_SEGMENT",
    "MONTHLY_SHARE",
    "REGISTER_SHARE",
    "Estimate",
    "UnableToEstimate",
    "apportion",
    "estimate",
    "from_average_daily",
    "from_load_profile",
    "from_same_month_last_year",
    "hourly_profile",
]

SAME_MONTH_LAST_YEAR: Final = "SAME_MONTH_LAST_YEAR"
AVERAGE_DAILY: Final = "AVERAGE_DAILY"
LOAD_PROFILE: Final = "LOAD_PROFILE"

# Share of a year's consumption by calendar month for Estonian households (heating season
# heavier); sums to exactly 1.
MONTHLY_SHARE: Final[Mapping[int, Decimal]] = {
    1: Decimal("0.113"),
    2: Decimal("0.098"),
    3: Decimal("0.095"),
    4: Decimal("0.078"),
    5: Decimal("0.070"),
    6: Decimal("0.060"),
    7: Decimal("0.058"),
    8: Decimal("0.062"),
    9: Decimal("0.068"),
    10: Decimal("0.082"),
    11: Decimal("0.100"),
    12: Decimal("0.116"),
}

# Typical annual consumption by segment (kWh a year).
ANNUAL_KWH_BY_SEGMENT: Final[Mapping[str, Decimal]] = {
    "APARTMENT": Decimal(2000),
    "HOUSE": Decimal(6000),
    "BUSINESS": Decimal(24000),
}

# Share of the consumption on each kind of register for the load profile (a day/night meter
# counts about 60 % of the energy on its day register).
REGISTER_SHARE: Final[Mapping[str, Decimal]] = {
    "SINGLE": Decimal(1),
    "DAY": Decimal("0.6"),
    "NIGHT": Decimal("0.4"),
}


def hourly_profile(starts: Sequence[dt.datetime]) -> npt.NDArray[np.float64]:
    """The standard household load shape within a month (the weight of each interval that
    starts at ``starts``, by its local Tallinn time): a morning and an evening peak, more at
    weekends. The month's total comes from :data:`MONTHLY_SHARE`; this only says how a month's
    energy falls over its hours (not Elering's official load profile)."""
    local = [t.astimezone(TALLINN) for t in starts]
    hours = np.array([t.hour + t.minute / 60 for t in local], dtype=np.float64)
    weekend = np.array([t.weekday() >= 5 for t in local], dtype=np.bool_)
    shape = (
        0.45
        + 0.55 * np.exp(-(((hours - np.where(weekend, 8.5, 7.5)) / 1.6) ** 2))
        + 1.0 * np.exp(-(((hours - 19.5) / 2.4) ** 2))
        + np.where(weekend, 0.35 * np.exp(-(((hours - 13.0) / 3.0) ** 2)), 0.0)
    )
    return np.asarray(shape, dtype=np.float64)


_KWH: Final = Decimal(1)
_MWH_PRECISION: Final = Decimal("0.001")


class UnableToEstimate(ValueError):
    """No method could estimate the consumption (the message says why)."""


@dataclass(frozen=True)
class Estimate:
    kwh: Decimal  # the register advance (kWh before the meter multiplier)
    method: str
    inputs: dict[str, str] = field(default_factory=dict)


def _whole(kwh: Decimal) -> Decimal:
    return kwh.quantize(_KWH, rounding=ROUND_HALF_UP)


def _check_days(days: Decimal) -> None:
    if days <= 0:
        raise UnableToEstimate(f"Nothing to estimate over {days} days")


def from_same_month_last_year(*, last_year: HistoryPeriod, days: Decimal) -> Estimate:
    """``last_year.kwh * days / last_year.days``, whole kWh."""
    _check_days(days)
    if last_year.days <= 0:
        raise UnableToEstimate("Last year's period has no days")
    return Estimate(
        kwh=_whole(last_year.kwh * days / last_year.days),
        method=SAME_MONTH_LAST_YEAR,
        inputs={
            "last_year_kwh": str(last_year.kwh),
            "last_year_days": str(last_year.days),
            "days": str(days),
        },
    )


def from_average_daily(*, recent: Sequence[HistoryPeriod], days: Decimal) -> Estimate:
    """Total kWh over total days of ``recent`` periods, times ``days``, whole kWh."""
    _check_days(days)
    total_days = sum((p.days for p in recent), Decimal(0))
    if total_days <= 0:
        raise UnableToEstimate("No recent actual consumption to average")
    total_kwh = sum((p.kwh for p in recent), Decimal(0))
    daily = total_kwh / total_days
    return Estimate(
        kwh=_whole(daily * days),
        method=AVERAGE_DAILY,
        inputs={
            "recent_kwh": str(total_kwh),
            "recent_days": str(total_days),
            "daily_kwh": str(daily.quantize(_MWH_PRECISION, rounding=ROUND_HALF_UP)),
            "days": str(days),
        },
    )


def from_load_profile(
    *,
    segment: str,
    month: Month,
    days: Decimal,
    annual_kwh: Decimal | None = None,
    register_share: Decimal = Decimal(1),
    multiplier: Decimal = Decimal(1),
) -> Estimate:
    """``annual * register_share * share(month) * days / days_in_month``, whole kWh, as a
    register advance: divided by the meter's ``multiplier`` (to the register's 0.001), since
    the bill multiplies the advance again. The other methods work in register units already
    (they come from the register's own readings)."""
    _check_days(days)
    if annual_kwh is None:
        if segment not in ANNUAL_KWH_BY_SEGMENT:
            raise UnableToEstimate(f"No standard load profile for segment {segment!r}")
        annual_kwh = ANNUAL_KWH_BY_SEGMENT[segment]
    annual_kwh = annual_kwh * register_share
    if multiplier <= 0:
        raise UnableToEstimate(f"The meter multiplier {multiplier} is not positive")
    share = MONTHLY_SHARE[month.month]
    profile_kwh = _whole(annual_kwh * share * days / month.days)
    inputs = {}
    if multiplier != 1:
        inputs = {"profile_kwh": str(profile_kwh), "multiplier": str(multiplier)}
    return Estimate(
        kwh=(profile_kwh / multiplier).quantize(_MWH_PRECISION, rounding=ROUND_HALF_UP),
        method=LOAD_PROFILE,
        inputs={
            **inputs,
            "segment": segment,
            "annual_kwh": str(annual_kwh),
            "month": str(month),
            "month_share": str(share),
            "days": str(days),
            "days_in_month": str(month.days),
        },
    )


def estimate(
    *,
    month: Month,
    days: Decimal,
    same_month_last_year: HistoryPeriod | None,
    recent: Sequence[HistoryPeriod],
    segment: str,
    annual_kwh: Decimal | None = None,
    register_share: Decimal = Decimal(1),
    multiplier: Decimal = Decimal(1),
) -> Estimate:
    """The first method that has its inputs: last year, then recent average, then profile.
    The estimate is a register advance (register units; the bill multiplies it by the meter's
    ``multiplier``)."""
    if same_month_last_year is not None and same_month_last_year.days > 0:
        return from_same_month_last_year(last_year=same_month_last_year, days=days)
    if sum((p.days for p in recent), Decimal(0)) > 0:
        return from_average_daily(recent=recent, days=days)
    return from_load_profile(
        segment=segment,
        month=month,
        days=days,
        annual_kwh=annual_kwh,
        register_share=register_share,
        multiplier=multiplier,
    )


def apportion(*, total_kwh: Decimal, weights: Sequence[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Split ``total_kwh`` over keys in proportion to ``weights`` (e.g. days per month), in
    0.001 kWh, so that the parts add up exactly to the total (largest remainder)."""
    if not weights:
        raise ValueError("Nothing to apportion over")
    total_weight = sum((w for _, w in weights), Decimal(0))
    if total_weight <= 0:
        raise ValueError("The weights must add up to more than zero")
    units = int((total_kwh / _MWH_PRECISION).to_integral_value(rounding=ROUND_HALF_UP))
    sign = -1 if units < 0 else 1
    units = abs(units)
    exact = [Decimal(units) * w / total_weight for _, w in weights]
    floors = [int(e) for e in exact]
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return {key: sign * Decimal(floors[i]) * _MWH_PRECISION for i, (key, _) in enumerate(weights)}
