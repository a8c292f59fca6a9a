"""Packing, unpacking and aggregating interval data. Pure: numpy, no Django.

A stored interval day holds its values as little-endian int32 Wh (4 bytes per interval) and
one quality byte per interval (0 measured, 1 estimated, 2 missing): 5 bytes per interval in
the row. :func:`unpack_values` reads the bytes back without copying (a read-only view).

The number of intervals in a day follows from the day (92/96/100 quarters, 23/24/25 hours);
this module never assumes a constant: callers pass the count or the values.

Net quantities (a prosumer point, V2 ``netQtyOut``/``netQtyIn``) ride on the consumption row
as one signed channel, ``net = net OUT - net IN`` per interval: netting leaves at most one of
the two above zero (the parser refuses both), so the one signed number holds both. It is
stored as little-endian int16 (2 bytes per interval) when every value fits, int32 otherwise;
the width follows from the blob's length and the day's interval count. An interval the hub
gave no net value for holds the width's minimum (:data:`NET_ABSENT16`/:data:`NET_ABSENT32`).
A day without net data stores an empty blob (0 bytes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from vool.common.localtime import TALLINN, local_midnight

__all__ = [
    "ESTIMATED",
    "MEASURED",
    "MISSING",
    "NET_ABSENT16",
    "NET_ABSENT32",
    "QUALITIES",
    "VALUE_DTYPE",
    "DayGroup",
    "DayVersion",
    "Grouping",
    "KnownDay",
    "NetDay",
    "OpenCorrection",
    "build_day",
    "build_net",
    "combine_quality",
    "fill_gaps",
    "group_into_days",
    "pack_net",
    "pack_quality",
    "pack_values",
    "resample_sum",
    "total_wh",
    "unpack_net",
    "unpack_quality",
    "unpack_values",
]

MEASURED: Final = 0
ESTIMATED: Final = 1
MISSING: Final = 2
QUALITIES: Final = (MEASURED, ESTIMATED, MISSING)

VALUE_DTYPE: Final = np.dtype("<i4")
QUALITY_DTYPE: Final = np.dtype("u1")
_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1


def pack_values(values: npt.ArrayLike) -> bytes:
    """Values in Wh (integers) as little-endian int32 bytes, 4 per interval.

    Raises :class:`ValueError` for non-integral or out-of-range values: nothing is silently
    truncated.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"Interval values must be one-dimensional, not shape {arr.shape}")
    if arr.dtype == VALUE_DTYPE:
        return arr.tobytes()
    if arr.size == 0:
        return b""
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError("Interval values must be whole Wh")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"Interval values must be integers, not {arr.dtype}")
    if arr.min() < _INT32_MIN or arr.max() > _INT32_MAX:
        raise ValueError("Interval value out of the int32 range")
    return arr.astype(VALUE_DTYPE).tobytes()


def unpack_values(blob: bytes | bytearray | memoryview) -> npt.NDArray[np.int32]:
    """The int32 Wh values of a packed blob, as a read-only view (no copy)."""
    if len(blob) % 4:
        raise ValueError(f"A packed value blob has a multiple of 4 bytes, not {len(blob)}")
    return np.frombuffer(blob, dtype=VALUE_DTYPE)


def pack_quality(quality: npt.ArrayLike | Iterable[int]) -> bytes:
    """One byte per interval: 0 measured, 1 estimated, 2 missing."""
    arr = np.asarray(quality if not isinstance(quality, bytes) else bytearray(quality))
    if arr.ndim != 1:
        raise ValueError(f"Quality flags must be one-dimensional, not shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > MISSING):
        raise ValueError("Quality flags are 0 (measured), 1 (estimated) or 2 (missing)")
    return arr.astype(QUALITY_DTYPE).tobytes()


def unpack_quality(blob: bytes | bytearray | memoryview) -> npt.NDArray[np.uint8]:
    """The quality flags of a packed blob, as a read-only view (no copy)."""
    return np.frombuffer(blob, dtype=QUALITY_DTYPE)


def combine_quality(flags: npt.NDArray[np.uint8], factor: int) -> npt.NDArray[np.uint8]:
    """Quality of intervals merged ``factor`` at a time: the worst flag wins
    (missing > estimated > measured)."""
    if flags.size % factor:
        raise ValueError(f"{flags.size} flags do not divide into groups of {factor}")
    return np.asarray(flags.reshape(-1, factor).max(axis=1), dtype=QUALITY_DTYPE)


def resample_sum(values: npt.NDArray[np.integer], factor: int) -> npt.NDArray[np.int64]:
    """Sum consecutive groups of ``factor`` values (e.g. 4 quarters -> 1 hour), in int64."""
    if values.size % factor:
        raise ValueError(f"{values.size} values do not divide into groups of {factor}")
    return np.asarray(values.reshape(-1, factor).sum(axis=1, dtype=np.int64), dtype=np.int64)


def total_wh(values: npt.NDArray[np.integer] | Sequence[int]) -> int:
    """The exact total of a day's values (int64 sum, Python int out)."""
    return int(np.asarray(values).sum(dtype=np.int64))


@dataclass(frozen=True)
class DayGroup:
    """The intervals of one series that fall into one local day.

    ``rows`` index the caller's arrays (sorted by time); ``positions`` are the intervals'
    places in the day (0 = the first interval after local midnight); ``count`` is the number
    of intervals the day has at this resolution (92/96/100 or 23/24/25).
    """

    series: int
    day: dt.date
    count: int
    rows: npt.NDArray[np.intp]
    positions: npt.NDArray[np.int64]


@dataclass(frozen=True)
class Grouping:
    groups: list[DayGroup]
    duplicates: npt.NDArray[np.intp]  # rows that repeat an earlier row's series and start


def _day_starts(first: dt.date, last: dt.date) -> tuple[list[dt.date], npt.NDArray[np.int64]]:
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 2)]
    starts = np.array([int(local_midnight(d).timestamp()) for d in days], dtype=np.int64)
    return days, starts


def group_into_days(
    *,
    series: npt.NDArray[np.integer],
    start_s: npt.NDArray[np.int64],
    step_s: npt.NDArray[np.int64],
) -> Grouping:
    """Group interval rows by series and local (Tallinn) day, vectorised.

    ``series`` is each row's series number, ``start_s`` its UTC start in epoch seconds and
    ``step_s`` its interval length in seconds (900 or 3600; starts must be aligned to it).
    """
    n = len(start_s)
    if n == 0:
        return Grouping(groups=[], duplicates=np.empty(0, dtype=np.intp))
    series = np.asarray(series, dtype=np.int64)
    base = int(start_s.min())
    key = (series << 34) | (start_s - base)  # starts span far less than 2**34 s
    if np.all(key[1:] >= key[:-1]):
        order = np.arange(n, dtype=np.intp)  # already in order (files usually are)
        s_sorted, t_sorted = series, start_s
    else:
        order = np.argsort(key, kind="stable")
        s_sorted = series[order]
        t_sorted = start_s[order]
    dup_mask = np.zeros(n, dtype=bool)
    dup_mask[1:] = (s_sorted[1:] == s_sorted[:-1]) & (t_sorted[1:] == t_sorted[:-1])
    duplicates = order[dup_mask]
    first = dt.datetime.fromtimestamp(int(t_sorted.min()), tz=dt.UTC).astimezone(TALLINN).date()
    last = dt.datetime.fromtimestamp(int(t_sorted.max()), tz=dt.UTC).astimezone(TALLINN).date()
    days, starts = _day_starts(first, last)
    day_idx = np.searchsorted(starts, t_sorted, side="right") - 1
    step_sorted = step_s[order]
    positions = (t_sorted - starts[day_idx]) // step_sorted
    change = np.ones(n, dtype=bool)
    change[1:] = (s_sorted[1:] != s_sorted[:-1]) | (day_idx[1:] != day_idx[:-1])
    bounds = np.append(np.flatnonzero(change), n)
    groups: list[DayGroup] = []
    lengths = np.diff(starts)
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        d = int(day_idx[a])
        groups.append(
            DayGroup(
                series=int(s_sorted[a]),
                day=days[d],
                count=int(lengths[d] // step_sorted[a]),
                rows=order[a:b],
                positions=positions[a:b],
            )
        )
    return Grouping(groups=groups, duplicates=duplicates)


def build_day(
    *,
    count: int,
    positions: npt.NDArray[np.int64],
    wh: npt.NDArray[np.integer],
    quality: npt.NDArray[np.integer],
    base_values: npt.NDArray[np.int32] | None = None,
    base_quality: npt.NDArray[np.uint8] | None = None,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """The day's full value and quality arrays: the given intervals over ``base`` (an earlier
    version of the same day) or over nothing (value 0, quality MISSING)."""
    if base_values is not None and base_quality is not None and len(base_values) == count:
        values = np.array(base_values, dtype=VALUE_DTYPE)
        flags = np.array(base_quality, dtype=QUALITY_DTYPE)
    else:
        values = np.zeros(count, dtype=VALUE_DTYPE)
        flags = np.full(count, MISSING, dtype=QUALITY_DTYPE)
    if len(positions) == count and count and positions[0] == 0 and positions[-1] == count - 1:
        values[:] = wh
        flags[:] = quality
    else:
        values[positions] = wh
        flags[positions] = quality
    return values, flags


def fill_gaps(
    values: npt.NDArray[np.integer], quality: npt.NDArray[np.integer]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]] | None:
    """Estimate the MISSING intervals of a day by straight lines between the nearest known
    intervals (the nearest one's value at the day's edges), rounded half up to whole Wh, with
    quality ESTIMATED. Known intervals are unchanged. ``None`` if the day has no known interval.
    """
    flags = np.asarray(quality, dtype=QUALITY_DTYPE)
    known = np.flatnonzero(flags != MISSING)
    if known.size == 0:
        return None
    out_values = np.array(values, dtype=VALUE_DTYPE)
    out_flags = flags.copy()
    missing = np.flatnonzero(flags == MISSING)
    if missing.size:
        estimated = np.interp(missing, known, out_values[known].astype(np.float64))
        out_values[missing] = np.floor(estimated + 0.5).astype(VALUE_DTYPE)
        out_flags[missing] = ESTIMATED
    return out_values, out_flags


NET_ABSENT16: Final = -(2**15)
NET_ABSENT32: Final = _INT32_MIN
_NET16: Final = np.dtype("<i2")


@dataclass(frozen=True)
class NetDay:
    """A day's net quantities: ``out_wh`` (net consumption) and ``in_wh`` (net surplus fed
    in), both >= 0 and never both above zero, and ``given`` (the hub gave a net value)."""

    out_wh: npt.NDArray[np.int64]
    in_wh: npt.NDArray[np.int64]
    given: npt.NDArray[np.bool_]


def pack_net(net_wh: npt.NDArray[np.integer], given: npt.NDArray[np.bool_]) -> bytes:
    """The signed net channel (``net OUT - net IN``, in Wh) of a day as bytes: int16 when
    every given value fits, else int32; ``b""`` when no interval has a net value."""
    if not np.any(given):
        return b""
    net = np.asarray(net_wh, dtype=np.int64)
    shown = net[given]
    if shown.min() > NET_ABSENT16 and shown.max() < 2**15:
        out = np.where(given, net, NET_ABSENT16).astype(_NET16)
    elif shown.min() > NET_ABSENT32 and shown.max() <= _INT32_MAX:
        out = np.where(given, net, NET_ABSENT32).astype(VALUE_DTYPE)
    else:
        raise ValueError("Net value out of the int32 range")
    return out.tobytes()


def _net_array(blob: bytes | bytearray | memoryview, count: int) -> npt.NDArray[np.int64]:
    if len(blob) == 2 * count:
        raw = np.frombuffer(blob, dtype=_NET16).astype(np.int64)
        return np.where(raw == NET_ABSENT16, NET_ABSENT32, raw)
    if len(blob) == 4 * count:
        return np.frombuffer(blob, dtype=VALUE_DTYPE).astype(np.int64)
    raise ValueError(f"A net blob of {len(blob)} bytes does not fit a day of {count} intervals")


def unpack_net(blob: bytes | bytearray | memoryview, count: int) -> NetDay:
    """The net quantities of a day of ``count`` intervals (none given for an empty blob)."""
    if not blob:
        zeros = np.zeros(count, dtype=np.int64)
        return NetDay(out_wh=zeros, in_wh=zeros.copy(), given=np.zeros(count, dtype=bool))
    net = _net_array(blob, count)
    given = net != NET_ABSENT32
    signed = np.where(given, net, 0)
    return NetDay(out_wh=np.maximum(signed, 0), in_wh=np.maximum(-signed, 0), given=given)


def build_net(
    *,
    count: int,
    positions: npt.NDArray[np.int64],
    net_wh: npt.NDArray[np.integer],
    base: bytes = b"",
) -> bytes:
    """The day's packed net channel: the given signed net values (``net OUT - net IN``) at
    ``positions`` over ``base`` (an earlier version's blob of the same day, or nothing)."""
    if base:
        merged = _net_array(base, count).copy()
    else:
        merged = np.full(count, NET_ABSENT32, dtype=np.int64)
    merged[positions] = net_wh
    given = merged != NET_ABSENT32
    return pack_net(np.where(given, merged, 0), given)


@dataclass(frozen=True)
class CombinedNet:
    """Net rows merged per series and start: ``net_wh`` is ``net OUT - net IN``; ``rows``
    is a row of the input for each (for messages); ``duplicates`` are input rows that give
    the same direction of the same interval again."""

    series: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.int64]
    net_wh: npt.NDArray[np.int64]
    rows: npt.NDArray[np.intp]
    duplicates: npt.NDArray[np.intp]


def combine_net(
    *,
    series: npt.NDArray[np.integer],
    start_s: npt.NDArray[np.int64],
    wh: npt.NDArray[np.integer],
    is_out: npt.NDArray[np.bool_],
) -> CombinedNet:
    """Merge net OUT and net IN rows (separate rows, ``wh`` >= 0) into one signed value per
    series and interval, vectorised."""
    n = len(start_s)
    series64 = np.asarray(series, dtype=np.int64)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return CombinedNet(empty, empty, empty, np.zeros(0, np.intp), np.zeros(0, np.intp))
    direction = np.asarray(is_out, dtype=np.int64)
    order = np.lexsort((direction, start_s, series64))
    s, t, d = series64[order], start_s[order], direction[order]
    same_interval = np.zeros(n, dtype=bool)
    same_interval[1:] = (s[1:] == s[:-1]) & (t[1:] == t[:-1])
    duplicate = np.zeros(n, dtype=bool)
    duplicate[1:] = same_interval[1:] & (d[1:] == d[:-1])
    signed = np.where(d == 1, np.asarray(wh, dtype=np.int64)[order], -np.asarray(wh)[order])
    signed[duplicate] = 0
    starts = np.flatnonzero(~same_interval)
    return CombinedNet(
        series=s[starts],
        start_s=t[starts],
        net_wh=np.add.reduceat(signed, starts),
        rows=order[starts],
        duplicates=order[duplicate],
    )


# -- named rows of stored interval data (what the bill reads) --------------------------------


@dataclass(frozen=True)
class KnownDay:
    """A local day's interval data in the version known at a data cut-off."""

    minutes: int
    values: bytes  # packed (:func:`pack_values`)
    quality: bytes  # packed (:func:`pack_quality`)
    version: int
    net: bytes = b""  # the signed net channel (:func:`pack_net`); empty: no net data


@dataclass(frozen=True)
class DayVersion:
    """One stored version of a point's local day, with when it was known and superseded."""

    id: int
    version: int
    minutes: int
    values: bytes
    known_at: dt.datetime
    superseded_at: dt.datetime | None
    net: bytes = b""  # the signed net channel (:func:`pack_net`); empty: no net data

    def known_at_cutoff(self, as_of: dt.datetime) -> bool:
        """Whether this is the version known at ``as_of`` (known by then, not superseded)."""
        return self.known_at <= as_of and (self.superseded_at is None or self.superseded_at > as_of)


@dataclass(frozen=True)
class OpenCorrection:
    """An unsettled interval correction: a day whose data changed and may need a true-up."""

    id: int
    point_id: int
    day: dt.date
    version: int  # the version the correction made
