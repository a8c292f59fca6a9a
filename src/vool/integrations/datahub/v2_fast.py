"""A fast reader for the V2 metering-data message as the hub serialises it: compact JSON, a
bare array of points, each period with ``pS``, optional ``rTime``, ``inQty``, ``outQty`` and
the net quantities, in that order. Pure: regular expressions and numpy, no Django.

It only reads what it recognises completely: the whole document must be exactly points of
that shape (checked by position, point by point), every number a plain JSON number with at
most 3 decimals, every start on the quarter hour, every net quantity within its gross one and
never both above zero. Anything else, or any doubt, returns ``None`` and the caller reads the
file with the general reader, which names each problem. Both give the same columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import numpy as np

__all__ = ["read_compact_v2"]

_NUM: Final = rb"(?:0|[1-9]\d{0,5}(?:\.\d{1,3})?|0\.\d{1,3})"
_ONE_PERIOD: Final = (
    rb'\{"pS":"[0-9T:+.Z-]{16,35}"(?:,"rTime":"[0-9T:+.Z-]{0,35}")?'
    rb',"inQty":\{"rType":"[ME]","kwh":' + _NUM + rb"\}"
    rb',"outQty":\{"rType":"[ME]","kwh":' + _NUM + rb"\}"
    rb',"netQtyIn":' + _NUM + rb',"netQtyOut":' + _NUM + rb"\}"
)
# a point's periods, exactly: one or more periods separated by single commas (no captures:
# the check creates no objects; the values are then read from the whole document at once)
_PERIODS: Final = re.compile(_ONE_PERIOD + rb"(?:," + _ONE_PERIOD + rb")*")
# in a document whose periods all passed _PERIODS, the only `":` followed by a digit are the
# four numbers of each period, in order (inQty kwh, outQty kwh, netQtyIn, netQtyOut); every
# other `":` is followed by `"`, `{` or `[`
_NUMBER: Final = re.compile(rb'":(\d[\d.]*)')
_START: Final = re.compile(rb'\{"pS":"([^"]*)"')
_PERIOD_OPEN: Final = b'{"pS":"'
_ESTIMATED_IN: Final = b'"inQty":{"rType":"E"'
_ESTIMATED_OUT: Final = b'"outQty":{"rType":"E"'
_TYPE: Final = re.compile(rb'"rType":"([ME])"')
_HEAD: Final = re.compile(rb'\{"meteringPointEic":"([0-9A-Z-]{16})","periods":\[')
_SEPARATOR: Final = re.compile(rb"\s*,\s*")


def _wh(text: bytes) -> int:
    whole, _, frac = text.partition(b".")
    return int(whole) * 1000 + int(frac.ljust(3, b"0"))


def _points(data: bytes) -> list[tuple[bytes, int, int]] | None:
    """``(eic, periods start, periods end)`` of each point, or ``None`` unless the document
    is ``[point, point, ...]`` with each point ``{"meteringPointEic":"…","periods":[…]}``
    (what is inside the brackets is checked by :func:`_exactly_periods`)."""
    start = len(data) - len(data.lstrip())
    end = len(data.rstrip())
    if data[start : start + 1] != b"[" or data[end - 1 : end] != b"]":
        return None
    pos = start + 1
    while data[pos : pos + 1].isspace():
        pos += 1
    found = []
    while True:
        head = _HEAD.match(data, pos)
        if head is None:
            return None
        close = data.find(b"]}", head.end(), end)  # a period holds no "]"
        if close < 0:
            return None
        found.append((head.group(1), head.end(), close))
        sep = _SEPARATOR.match(data, close + 2)
        if sep is not None and b"," in sep.group():
            pos = sep.end()
            continue
        tail = close + 2
        while data[tail : tail + 1].isspace():
            tail += 1
        return found if tail == end - 1 else None


Compact = tuple[
    list[tuple[str, str, int]], dict[str, Any], dict[str, Any], list[tuple[int, str, int]]
]


def _reading_types(data: bytes, n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """IN's and OUT's estimated flags (1 = ``E``): all 0 without an ``E`` in the document
    (one scan), else read in order (two per period, IN first: the shape is checked)."""
    if _ESTIMATED_IN not in data and _ESTIMATED_OUT not in data:
        zeros = np.zeros(n, dtype=np.uint8)
        return zeros, zeros.copy()
    types = np.frombuffer(b"".join(_TYPE.findall(data)), dtype=np.uint8)
    if len(types) != 2 * n:
        raise _NotCompact
    flags = (types == ord("E")).astype(np.uint8)
    return flags[0::2].copy(), flags[1::2].copy()


class _NotCompact(Exception):
    """The document is not entirely of the compact shape: the general reader reads it."""


def read_compact_v2(data: bytes, *, utc_seconds: Callable[[str], int]) -> Compact | None:
    """``(series, gross columns, net columns, labels)`` like the general reader's, or
    ``None`` when the document is not entirely of the compact shape (or has a problem)."""
    points = _points(data)
    if not points:
        return None
    if not all(_PERIODS.fullmatch(data, a, b) for _, a, b in points):
        return None
    counts = [data.count(_PERIOD_OPEN, a, b) for _, a, b in points]
    n = sum(counts)
    starts_text = _START.findall(data)
    numbers_text = _NUMBER.findall(data)
    if len(starts_text) != n or len(numbers_text) != 4 * n:
        return None  # a period-like text outside the periods (e.g. in an EIC): not ours
    starts_by_text = {t: utc_seconds(t.decode()) for t in set(starts_text)}
    start = np.fromiter(map(starts_by_text.__getitem__, starts_text), dtype=np.int64, count=n)
    if np.any(start % 900):
        return None
    wh_of = {t: _wh(t) for t in set(numbers_text)}
    numbers = np.fromiter(map(wh_of.__getitem__, numbers_text), dtype=np.int64, count=4 * n)
    in_wh, out_wh, net_in_wh, net_out_wh = (numbers[k::4] for k in range(4))
    if np.any(net_in_wh > in_wh) or np.any(net_out_wh > out_wh):
        return None
    if np.any((net_in_wh > 0) & (net_out_wh > 0)):
        return None
    try:
        in_est, out_est = _reading_types(data, n)
    except _NotCompact:
        return None
    series: list[tuple[str, str, int]] = []
    labels: list[tuple[int, str, int]] = []
    first = 0
    for i, ((eic, _, _), count) in enumerate(zip(points, counts, strict=True), start=1):
        text = eic.decode()
        series.extend([(text, "OUT", 15), (text, "IN", 15)])
        labels.append((first, f"point {i} ({text}) periods", 0))
        first += count
    point_of_row = np.repeat(np.arange(len(points), dtype=np.int32), counts)
    ordinal = np.arange(n, dtype=np.int64)

    def interleave(out: np.ndarray[Any, Any], inn: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        both = np.empty(2 * n, dtype=out.dtype)
        both[0::2] = out
        both[1::2] = inn
        return both

    columns_of = {
        "series_index": interleave(point_of_row * 2, point_of_row * 2 + 1),
        "start_s": np.repeat(start, 2),
        "row_ref": np.repeat(ordinal, 2),
    }
    gross = dict(columns_of, wh=interleave(out_wh, in_wh), estimated=interleave(out_est, in_est))
    net = dict(
        columns_of,
        wh=interleave(net_out_wh, net_in_wh),
        estimated=interleave(out_est, in_est),
    )
    return series, gross, net, labels
