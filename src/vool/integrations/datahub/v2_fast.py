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

_NUM: Final = rb"(0|[1-9]\d{0,5}(?:\.\d{1,3})?|0\.\d{1,3})"
_PERIOD: Final = re.compile(
    rb'\{"pS":"([0-9T:+.Z-]{16,35})"((?:,"rTime":"[0-9T:+.Z-]{0,35}")?)'
    rb',"inQty":\{"rType":"([ME])","kwh":' + _NUM + rb"\}"
    rb',"outQty":\{"rType":"([ME])","kwh":' + _NUM + rb"\}"
    rb',"netQtyIn":' + _NUM + rb',"netQtyOut":' + _NUM + rb"\}"
)
# the period's text without its variable parts (pS, the rTime part, the four numbers); the
# two reading types are one character each
_FIXED: Final = len(
    b'{"pS":"","inQty":{"rType":"M","kwh":},"outQty":{"rType":"M","kwh":},"netQtyIn":,"netQtyOut":}'
)
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


def _exactly_periods(
    data: bytes, points: list[tuple[bytes, int, int]], counts: list[int], parts: list[list[bytes]]
) -> bool:
    """Whether the periods found fill their brackets exactly, separated by single commas:
    each bracket holds ``n - 1`` separators ``},{`` (a period holds none), and the text
    found plus those commas is as long as all the brackets together, so nothing else is in
    them."""
    separators = 0
    for (_, a, b), n in zip(points, counts, strict=True):
        if n == 0 or data.count(b"},{", a, b) != n - 1:
            return False
        separators += n - 1
    found = sum(counts) * _FIXED + sum(sum(map(len, column)) for column in parts)
    return found + separators == sum(b - a for _, a, b in points)


Compact = tuple[
    list[tuple[str, str, int]], dict[str, Any], dict[str, Any], list[tuple[int, str, int]]
]


def read_compact_v2(data: bytes, *, utc_seconds: Callable[[str], int]) -> Compact | None:
    """``(series, gross columns, net columns, labels)`` like the general reader's, or
    ``None`` when the document is not entirely of the compact shape (or has a problem)."""
    points = _points(data)
    if not points:
        return None
    columns: list[list[bytes]] = [[] for _ in range(8)]
    counts = []
    for _, a, b in points:
        rows = _PERIOD.findall(data, a, b)
        counts.append(len(rows))
        if rows:
            for column, values in zip(columns, zip(*rows, strict=True), strict=True):
                column.extend(values)
    ps, r_time, in_type, in_kwh, out_type, out_kwh, net_in, net_out = columns
    n = len(ps)
    variable = [ps, r_time, in_kwh, out_kwh, net_in, net_out]
    if n == 0 or not _exactly_periods(data, points, counts, variable):
        return None
    starts_by_text = {t: utc_seconds(t.decode()) for t in set(ps)}
    start = np.fromiter(map(starts_by_text.__getitem__, ps), dtype=np.int64, count=n)
    if np.any(start % 900):
        return None
    numbers = {t: _wh(t) for t in set(in_kwh) | set(out_kwh) | set(net_in) | set(net_out)}

    def wh(column: list[bytes]) -> np.ndarray[Any, np.dtype[np.int64]]:
        return np.fromiter(map(numbers.__getitem__, column), dtype=np.int64, count=n)

    in_wh, out_wh, net_in_wh, net_out_wh = wh(in_kwh), wh(out_kwh), wh(net_in), wh(net_out)
    if np.any(net_in_wh > in_wh) or np.any(net_out_wh > out_wh):
        return None
    if np.any((net_in_wh > 0) & (net_out_wh > 0)):
        return None
    estimated = {b"M": 0, b"E": 1}
    in_est = np.fromiter(map(estimated.__getitem__, in_type), dtype=np.uint8, count=n)
    out_est = np.fromiter(map(estimated.__getitem__, out_type), dtype=np.uint8, count=n)
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
