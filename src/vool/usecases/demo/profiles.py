"""Realistic consumption shapes for demo data: seasons, weekdays and a daily rhythm.

Pure numpy over plain values. A shape is a vector over the intervals of one local day whose
mean is 1; multiplying by a point's mean interval energy gives its load for that day.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import numpy.typing as npt

from vool.common.localtime import as_local, day_bounds, interval_starts

FloatArray = npt.NDArray[np.float64]


def local_hours(day: dt.date, *, minutes: int) -> FloatArray:
    """Local clock time (hours, e.g. 7.25) of each interval start of the local ``day``."""
    start, end = day_bounds(day)
    starts = [as_local(t) for t in interval_starts(start, end, minutes=minutes)]
    return np.array([t.hour + t.minute / 60 for t in starts], dtype=np.float64)


def season_factor(day: dt.date) -> float:
    """About 1.35 in mid-January, 0.65 in mid-July; averages 1 over a year."""
    return 1.0 + 0.35 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)


def _bump(hours: FloatArray, centre: float, width: float) -> FloatArray:
    return np.asarray(np.exp(-(((hours - centre) / width) ** 2)), dtype=np.float64)


def household_shape(hours: FloatArray, *, weekend: bool) -> FloatArray:
    morning = 8.5 if weekend else 7.5
    shape = 0.45 + 0.55 * _bump(hours, morning, 1.6) + 1.0 * _bump(hours, 19.5, 2.4)
    if weekend:
        shape += 0.35 * _bump(hours, 13.0, 3.0)
    return np.asarray(shape / shape.mean(), dtype=np.float64)


def business_shape(hours: FloatArray, *, weekend: bool) -> FloatArray:
    if weekend:
        shape = 0.35 + 0.1 * _bump(hours, 12.0, 4.0)
    else:
        working = 1.0 / (1.0 + np.exp(-(hours - 7.5) * 3)) / (1.0 + np.exp((hours - 18.0) * 3))
        shape = 0.3 + 1.4 * working
    return np.asarray(shape / shape.mean(), dtype=np.float64)


def day_matrix_wh(
    *,
    daily_kwh: FloatArray,
    shape: FloatArray,
    rng: np.random.Generator,
    noise: float = 0.25,
) -> npt.NDArray[np.int32]:
    """Interval energies (Wh, int32) for many points on one day: points x intervals."""
    mean_wh = daily_kwh * 1000.0 / shape.size
    jitter = rng.lognormal(mean=-(noise**2) / 2, sigma=noise, size=(daily_kwh.size, shape.size))
    values = np.rint(mean_wh[:, None] * shape[None, :] * jitter)
    return np.asarray(values, dtype=np.int32)
