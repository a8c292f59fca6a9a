"""A fast reader for the V2 metering-data message as the hub serialises it: compact JSON, a
bare array of points, each period with ``pS``, optional ``rTime``, ``inQty``, ``outQty`` and
the net quantities, in that order. Pure: numpy over the raw bytes, no Django, no float.

It only reads what it recognises completely. Each point's head and the separators are
matched with regular expressions; inside a point's ``periods`` every byte is then proven,
all periods at once, to be either the literal text of the shape at its place or a value of
its class: ``pS`` 16-35 of ``[0-9T:+.Z-]`` (``rTime`` 0-35), ``rType`` ``M`` or ``E``, each
quantity a plain JSON number with at most 6 integer digits and at most 3 decimals. Then
every start must be on the quarter hour, every net quantity within its gross one and never
both above zero. Anything else, or any doubt, returns ``None`` and the caller reads the file
with the general reader, which names each problem. Both give the same columns.

How the places are found: the periods start at ``{"pS":"`` and the fields end at the
document's quotes (a period has 24 quotes, 28 with ``rTime``); every literal between the
fields is compared at the place these give (as little-endian 64-bit words of the bytes), so
a document whose quotes or starts are elsewhere fails a comparison. A number's value is its
digits in integer Wh, computed column by column from its decimal point.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["read_compact_v2"]

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]

_HEAD: Final = re.compile(rb'\{"meteringPointEic":"([0-9A-Z-]{16})","periods":\[')
_SEPARATOR: Final = re.compile(rb"\s*,\s*")

_OPEN: Final = b'{"pS":"'  # a period's first bytes; S1 follows
_R_TIME: Final = b'","rTime":"'  # after S1 when the period has rTime; S2 follows
_IN: Final = b'","inQty":{"rType":"'  # after S1 (or S2); the rType letter follows
_KWH: Final = b'","kwh":'  # after an rType letter; a number follows
_OUT: Final = b'},"outQty":{"rType":"'  # after IN's number
_NET_IN: Final = b'},"netQtyIn":'  # after OUT's number
_NET_OUT: Final = b',"netQtyOut":'  # after net IN's number; net OUT's number then "}"
_CHUNK: Final = 1 << 20  # bytes scanned at once for the brackets
_BLOCK: Final = 100  # points read together (~1.7 MB of a day's 15-minute data)
_TIME_TEXT: Final = re.compile(rb"[0-9T:+.Z-]*")
_MAX_TIME: Final = 35
_MAX_NUMBER: Final = 10  # 6 integer digits, the point, 3 decimals
_POW10: Final = np.array([10**k for k in range(10)], dtype=np.int64)


class _Bytes:
    """The document as bytes and as overlapping little-endian 64-bit words."""

    def __init__(self, data: bytes) -> None:
        # no copy; a position past the end (only in a document not ours) raises IndexError
        self.size = len(data)
        self.u8 = np.frombuffer(data, dtype=np.uint8)
        self.words: npt.NDArray[np.uint64] = np.ndarray(
            shape=(max(len(self.u8) - 7, 0),), dtype="<u8", buffer=self.u8.data, strides=(1,)
        )

    def find(self, start: int, end: int, byte: bytes) -> Ints:
        """The positions of ``byte`` in ``[start, end)``."""
        return np.flatnonzero(self.u8[start:end] == ord(byte)) + start

    def literal_mask(self, pos: Ints, text: bytes) -> Flags:
        """Whether ``text`` is at each of the positions ``pos``."""
        found = np.ones(len(pos), dtype=bool)
        for k in range(0, len(text), 8):
            chunk = text[k : k + 8]
            mask = np.uint64((1 << (8 * len(chunk))) - 1)
            found &= (self.words[pos + k] & mask) == np.uint64(int.from_bytes(chunk, "little"))
        return found

    def literal_at(self, pos: Ints, text: bytes) -> bool:
        """Whether ``text`` is at every one of the positions ``pos``."""
        return bool(np.all(self.literal_mask(pos, text)))

    def text_words(self, start: Ints, length: Ints) -> npt.NDArray[np.uint64]:
        """``(n, k)`` words of texts of at most ``8 k`` bytes, the bytes past each end
        zeroed (texts of different lengths then differ: a text holds no zero byte)."""
        count = max((int(length.max()) + 7) // 8, 1)
        columns = np.empty((len(start), count), dtype=np.uint64)
        for k in range(count):
            left = np.clip(length - 8 * k, 0, 8)
            columns[:, k] = self.words[start + 8 * k] & _BYTE_MASKS[left]
        return columns


_BYTE_MASKS: Final = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


class _Periods(NamedTuple):
    """Where each period's fields are (the periods of all points, in document order)."""

    start: Ints  # the start time's text (after `{"pS":"`)
    start_len: Ints
    r_time_start: Ints  # the reading times' texts, of the periods that have one
    r_time_len: Ints
    type_in: Ints  # the rType letters
    type_out: Ints
    numbers: Ints  # (4, n): where IN, OUT, net IN and net OUT start
    number_len: Ints


def _locate(doc: _Bytes, opens: Ints, ends: Ints) -> _Periods | None:
    """The fields of the periods opening at ``opens`` and closing at ``ends`` (their `}`),
    every literal between them checked in its place; ``None`` if one is not there."""
    quotes = doc.find(int(opens[0]), int(ends[-1]), b'"')
    q0 = np.searchsorted(quotes, opens)  # the quote at opens + 1
    quote = np.concatenate(
        [quotes, np.full(32, doc.size, dtype=np.int64)]
    )  # past the end: reading there raises IndexError
    s1_end = quote[q0 + 3]
    r_time = doc.literal_mask(s1_end, _R_TIME)
    shift = np.where(r_time, 4, 0)
    in_at = quote[q0 + 3 + shift]
    type_in = in_at + len(_IN)
    out_at = quote[q0 + 12 + shift] - 2
    type_out = out_at + len(_OUT)
    net_in_at = quote[q0 + 20 + shift] - 2
    net_out_at = quote[q0 + 22 + shift] - 1
    if not (
        doc.literal_at(in_at, _IN)
        and doc.literal_at(type_in + 1, _KWH)
        and doc.literal_at(out_at, _OUT)
        and doc.literal_at(type_out + 1, _KWH)
        and doc.literal_at(net_in_at, _NET_IN)
        and doc.literal_at(net_out_at, _NET_OUT)
    ):
        return None
    numbers = np.stack(
        [
            type_in + 1 + len(_KWH),
            type_out + 1 + len(_KWH),
            net_in_at + len(_NET_IN),
            net_out_at + len(_NET_OUT),
        ]
    )
    with_time = s1_end[r_time]
    return _Periods(
        start=opens + len(_OPEN),
        start_len=s1_end - opens - len(_OPEN),
        r_time_start=with_time + len(_R_TIME),
        r_time_len=in_at[r_time] - with_time - len(_R_TIME),
        type_in=type_in,
        type_out=type_out,
        numbers=numbers,
        number_len=np.stack([out_at, net_in_at, net_out_at, ends]) - numbers,
    )


def _wh(doc: _Bytes, start: Ints, length: Ints) -> Ints | None:
    """The integer Wh of the plain JSON numbers of kWh at ``start`` (at most 6 integer
    digits, no leading zero, at most 3 decimals), or ``None`` if one is not such a number.
    Every byte is checked: the digits before the point, the point, the decimals."""
    if np.any((length < 1) | (length > _MAX_NUMBER)):
        return None
    u8 = doc.u8
    end = start + length
    point = end  # none: the integer digits run to the end
    for decimals in (3, 2, 1):
        at = end - decimals - 1
        point = np.where((at > start) & (u8[at] == ord(".")), at, point)
    digits = point - start
    decimals = np.maximum(end - point - 1, 0)
    if np.any(digits > 6) or np.any((digits > 1) & (u8[start] == ord("0"))):
        return None
    places = [(point - 1 - k, k < digits, 10 ** (k + 3)) for k in range(int(digits.max()))]
    places += [(point + 1 + k, k < decimals, 10 ** (2 - k)) for k in range(int(decimals.max()))]
    wh = np.zeros(len(start), dtype=np.int64)
    for at, live, weight in places:  # the digits left of the point, then the decimals
        digit = u8[at] - np.uint8(ord("0"))  # wraps above 9 for a byte below "0"
        if np.any(live & (digit > 9)):
            return None
        wh += np.where(live, digit, 0).astype(np.int64) * weight
    return wh


class _Texts(NamedTuple):
    distinct: list[str]  # each distinct text once
    which: Ints  # the index in ``distinct`` of each text


def _distinct_texts(doc: _Bytes, data: bytes, start: Ints, length: Ints) -> _Texts | None:
    """The texts at ``start`` (each of 0 to 35 bytes) as their distinct values, or ``None``
    unless each is of ``[0-9T:+.Z-]`` (checked once per distinct text)."""
    if not len(start):
        return _Texts([], np.zeros(0, dtype=np.int64))
    words = doc.text_words(start, length)
    key = words[:, 0] ^ length.astype(np.uint64)
    for k in range(1, words.shape[1]):
        key = key * np.uint64(1_000_003) + words[:, k]
    _, first, which = np.unique(key, return_index=True, return_inverse=True)
    if not np.array_equal(words, words[first[which]]):
        return None  # two texts with the same key (not seen, but then not ours)
    texts = [
        data[s : s + n] for s, n in zip(start[first].tolist(), length[first].tolist(), strict=True)
    ]
    if not all(_TIME_TEXT.fullmatch(t) for t in texts):
        return None
    return _Texts([t.decode() for t in texts], which.ravel())


def _points(data: bytes, doc: _Bytes) -> list[tuple[bytes, int, int]] | None:
    """``(eic, periods start, periods end)`` of each point, or ``None`` unless the document
    is ``[point, point, ...]`` with each point ``{"meteringPointEic":"…","periods":[…]}``
    (what is inside the brackets is checked by :func:`_read_periods`)."""
    brackets = iter(
        np.concatenate(
            [doc.find(k, k + _CHUNK, b"]") for k in range(0, len(data), _CHUNK)]
        ).tolist()
    )
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
        # a period holds no "]": the point ends at the first one after its head
        close = next((b for b in brackets if b >= head.end()), -1)
        if close < 0 or data[close + 1 : close + 2] != b"}":
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


class _Read(NamedTuple):
    counts: Ints  # periods per point
    start_s: Ints
    wh: Ints  # (4, n): IN, OUT, net IN, net OUT
    in_estimated: npt.NDArray[np.uint8]
    out_estimated: npt.NDArray[np.uint8]


def _read_periods(
    doc: _Bytes,
    data: bytes,
    points: list[tuple[bytes, int, int]],
    utc_seconds: Callable[[str], int],
) -> _Read | None:
    """The periods of ``points`` (consecutive), each byte between their brackets proven (see
    the module doc), or ``None``."""
    first = np.array([a for _, a, _ in points], dtype=np.int64)  # each at its first "{"
    close = np.array([b for _, _, b in points], dtype=np.int64)  # each at its "]}"
    braces = doc.find(int(first[0]), int(close[-1]), b"{")
    opens = braces[doc.literal_mask(braces, _OPEN)]
    lo, hi = np.searchsorted(opens, first), np.searchsorted(opens, close)
    counts = hi - lo
    if np.any(counts < 1) or counts.sum() != len(opens) or np.any(opens[lo] != first):
        return None
    ends = np.empty(len(opens), dtype=np.int64)  # each period's "}"
    ends[:-1] = opens[1:] - 2  # "},{" between two periods of a point
    ends[hi - 1] = close - 1  # "}]}" after a point's last period
    between = np.ones(len(opens), dtype=bool)
    between[hi - 1] = False
    if np.any(doc.u8[ends] != ord("}")) or np.any(doc.u8[ends[between] + 1] != ord(",")):
        return None
    where = _locate(doc, opens, ends)
    if where is None:
        return None
    lengths = where.r_time_len
    if np.any(lengths < 0) or np.any(lengths > _MAX_TIME):
        return None
    if _distinct_texts(doc, data, where.r_time_start, lengths) is None:
        return None
    letters = np.stack([doc.u8[where.type_in], doc.u8[where.type_out]])
    if np.any((letters != ord("M")) & (letters != ord("E"))):
        return None
    starts = where.start_len
    if np.any((starts < 16) | (starts > _MAX_TIME)):
        return None
    texts = _distinct_texts(doc, data, where.start, starts)
    wh = _wh(doc, where.numbers.ravel(), where.number_len.ravel())
    if texts is None or wh is None:
        return None
    seconds = np.array([utc_seconds(t) for t in texts.distinct], dtype=np.int64)
    start_s = seconds[texts.which]
    estimated = (letters == ord("E")).astype(np.uint8)
    return _Read(counts, start_s, wh.reshape(4, -1), estimated[0], estimated[1])


Compact = tuple[
    list[tuple[str, str, int]], dict[str, Any], dict[str, Any], list[tuple[int, str, int]]
]


def read_compact_v2(data: bytes, *, utc_seconds: Callable[[str], int]) -> Compact | None:
    """``(series, gross columns, net columns, labels)`` like the general reader's, or
    ``None`` when the document is not entirely of the compact shape (or has a problem)."""
    doc = _Bytes(data)
    points = _points(data, doc)
    if not points:
        return None
    blocks = []
    try:
        for k in range(0, len(points), _BLOCK):  # periods in blocks that stay in the cache
            block = _read_periods(doc, data, points[k : k + _BLOCK], utc_seconds)
            if block is None:
                return None
            blocks.append(block)
    except IndexError:
        return None  # a place computed past the end: not of the shape
    read = _Read(*(np.concatenate(parts, axis=-1) for parts in zip(*blocks, strict=True)))
    start = read.start_s
    if np.any(start % 900):
        return None
    in_wh, out_wh, net_in_wh, net_out_wh = read.wh
    if np.any(net_in_wh > in_wh) or np.any(net_out_wh > out_wh):
        return None
    if np.any((net_in_wh > 0) & (net_out_wh > 0)):
        return None
    n = len(start)
    series: list[tuple[str, str, int]] = []
    labels: list[tuple[int, str, int]] = []
    first = 0
    for i, ((eic, _, _), count) in enumerate(zip(points, read.counts.tolist(), strict=True), 1):
        text = eic.decode()
        series.extend([(text, "OUT", 15), (text, "IN", 15)])
        labels.append((first, f"point {i} ({text}) periods", 0))
        first += count
    point_of_row = np.repeat(np.arange(len(points), dtype=np.int32), read.counts)
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
    estimated = interleave(read.out_estimated, read.in_estimated)
    gross = dict(columns_of, wh=interleave(out_wh, in_wh), estimated=estimated)
    net = dict(columns_of, wh=interleave(net_out_wh, net_in_wh), estimated=estimated.copy())
    return series, gross, net, labels
