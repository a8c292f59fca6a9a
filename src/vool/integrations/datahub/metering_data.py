"""Parsers for the data hub's metering data: the JSON message and the CSV export.

They speak the hub's language and return plain values: every interval as one row of a few
numpy columns (series number, UTC start in epoch seconds, Wh, estimated flag), the series as
``(meter EIC, direction, minutes)``. Nothing here knows the database; a usecase maps the result
to the metering operations.

JSON (ESTONIA.md §6, ``eng/12-metering-data.md``): one message or a list of messages
``{"meterEic": "38ZEE-...", "periods": [{"r": "PT15M"|"PT1H"|"PT60M", "aI": [{"pS":
"2026-10-01T21:00:00.000Z", "inQty": {"rType": "M"|"E", "kwh": 0.25}, "outQty": {...}}]}]}``.
``IN`` is production (into the grid), ``OUT`` consumption.

CSV (the hub's spreadsheet template): ``;``-separated, decimal comma, a header row with
``Meter EIC``, ``Period Start``, ``Resolution`` (``15 MINUTES``/``HOURLY``), ``Quantity KWH IN``
and/or ``Quantity KWH OUT``, optional ``Reading Type IN``/``OUT`` (``METERED``/``ESTIMATED``)
and ``Reading Time IN``/``OUT``. ``Period Start`` states its zone: ``01.10.2026 00:00+03:00``,
``30.09.2026 21:00Z`` or ISO 8601 ``2026-09-30T21:00:00Z``; a column headed
``Period Start (UTC)`` may leave it out.

A bad file raises :class:`InvalidMeteringFile` naming every bad line (or JSON path) and field
(the first :data:`MAX_ERRORS`, with the total) and the EICs it names, so that the caller can
report unknown EICs too. Hostile input (a JSON bomb, ``NaN``, duplicate keys, huge fields, stray
carriage returns, times outside 1990..2099) is refused through :mod:`..safe_input` within the
caller's :class:`~vool.integrations.safe_input.InputLimits`. kWh are read as ``Decimal``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from vool.common.localtime import TALLINN
from vool.integrations.safe_input import (
    FIRST_YEAR,
    LAST_YEAR,
    InputLimits,
    UnsafeInput,
    check_size,
    check_year,
    csv_rows,
    cut,
    load_json,
    shown,
)

__all__ = [
    "FieldError",
    "InvalidMeteringFile",
    "MeteringData",
    "parse",
    "parse_csv",
    "parse_json",
]

MAX_ERRORS: Final = 200
MAX_WH: Final = 2**31 - 1
_RESOLUTIONS: Final = {
    "PT15M": 15,
    "PT1H": 60,
    "PT60M": 60,
    "15 MINUTES": 15,
    "15 MIN": 15,
    "HOURLY": 60,
    "60 MINUTES": 60,
}
_READING_TYPES: Final = {"M": 0, "E": 1, "METERED": 0, "ESTIMATED": 1, "": 0}


@dataclass(frozen=True)
class FieldError:
    location: str  # "line 7" or "message 1 (38ZEE-...) periods[0].aI[5]"
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}, {self.field}: {self.message}"


class InvalidMeteringFile(Exception):
    """The file cannot be imported; ``errors`` names each bad line and field (the first
    :data:`MAX_ERRORS` of ``total``); ``eics`` maps each EIC the file names to where it first
    appears."""

    def __init__(
        self,
        errors: list[FieldError],
        *,
        total: int | None = None,
        eics: dict[str, str] | None = None,
    ) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        self.truncated = self.total > len(errors)
        self.eics = eics or {}
        super().__init__(f"{self.total} error(s): " + "; ".join(map(str, errors[:5])))


@dataclass
class MeteringData:
    """Intervals as columns; ``series[i]`` is ``(eic, direction, minutes)``. The order of the
    rows is not significant (``row_ref`` says where each came from)."""

    series: list[tuple[str, str, int]]
    series_index: npt.NDArray[np.int32]
    start_s: npt.NDArray[np.int64]
    wh: npt.NDArray[np.int64]
    estimated: npt.NDArray[np.uint8]
    row_ref: npt.NDArray[np.int64]  # line number (CSV) or interval ordinal (JSON)
    _labels: list[tuple[int, str]] = field(default_factory=list)  # JSON: (first ordinal, path)

    def __len__(self) -> int:
        return len(self.start_s)

    def locate(self, row: int) -> str:
        """Where interval ``row`` is in the file, for an error message."""
        ref = int(self.row_ref[row])
        if not self._labels:
            return f"line {ref}"
        firsts = [first for first, _ in self._labels]
        k = int(np.searchsorted(firsts, ref, side="right")) - 1
        first, label = self._labels[k]
        return f"{label}.aI[{ref - first}]"


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.total = 0
        self.eics: dict[str, str] = {}

    def add(self, location: str, field_name: str, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FieldError(location, field_name, message))

    def saw_eic(self, eic: str, location: str) -> None:
        self.eics.setdefault(eic, location)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidMeteringFile(self.errors, total=self.total, eics=self.eics)


class _Builder:
    """Accumulates interval rows in Python lists, then hands out numpy columns."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str, int], int] = {}
        self.series: list[int] = []
        self.start: list[int] = []
        self.wh: list[int] = []
        self.est: list[int] = []
        self.ref: list[int] = []

    def key(self, eic: str, direction: str, minutes: int) -> int:
        k = (eic, direction, minutes)
        index = self.keys.get(k)
        if index is None:
            index = self.keys[k] = len(self.keys)
        return index

    def build(self, labels: list[tuple[int, str]] | None = None) -> MeteringData:
        return MeteringData(
            series=list(self.keys),
            series_index=np.array(self.series, dtype=np.int32),
            start_s=np.array(self.start, dtype=np.int64),
            wh=np.array(self.wh, dtype=np.int64),
            estimated=np.array(self.est, dtype=np.uint8),
            row_ref=np.array(self.ref, dtype=np.int64),
            _labels=labels or [],
        )


def _kwh_number_to_wh(value: Any) -> int | str:
    """Wh from a JSON number of kWh (``int`` or ``Decimal``), or the reason it is not
    acceptable."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return "must be a number of kWh"
    if value < 0:
        return f"{value} is negative"
    if value * 1000 > MAX_WH:
        return f"{value} is out of range (at most {MAX_WH / 1000:,.3f} kWh)"
    scaled = Decimal(value) * 1000
    if scaled != scaled.to_integral_value():
        return f"{value} has more than 3 decimals"
    return int(scaled)


_KWH_TEXT: Final = re.compile(r"(\d+)(?:[.,](\d{1,3}))?")


def _kwh_text_to_wh(text: str) -> int | str | None:
    """Wh from ``"1,234"`` (decimal comma or point), ``None`` when empty, or the reason."""
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if not t:
        return None
    m = _KWH_TEXT.fullmatch(t)
    if m is None:
        if t.startswith("-"):
            return f"{shown(text)} is negative"
        return f"{shown(text)} is not a quantity in kWh with at most 3 decimals, e.g. 1,234"
    if len(m.group(1).lstrip("0")) > 7:
        return f"{shown(text)} is out of range"
    wh = int(m.group(1)) * 1000 + int((m.group(2) or "").ljust(3, "0"))
    if wh > MAX_WH:
        return f"{shown(text)} is out of range"
    return wh


def _utc_seconds(text: str, cache: dict[str, int]) -> int:
    seconds = cache.get(text)
    if seconds is None:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None:
            raise ValueError("has no time zone")
        check_year(value.year, text)
        seconds = cache[text] = int(value.timestamp())
    return seconds


def _check_alignment(seconds: int, minutes: int) -> str | None:
    if seconds % (minutes * 60):
        return f"does not start on a {minutes}-minute boundary" + (
            " (hh:00, hh:15, hh:30 or hh:45)" if minutes == 15 else " (a full hour)"
        )
    return None


# --- JSON --------------------------------------------------------------------------------


def _refused(exc: UnsafeInput) -> InvalidMeteringFile:
    return InvalidMeteringFile([FieldError(exc.location, exc.field, exc.message)])


def parse_json(data: bytes | str, *, limits: InputLimits | None = None) -> MeteringData:
    """Parse one data hub metering-data message, or a list of them."""
    errors = _Collector()
    try:
        doc = load_json(data, limits or InputLimits())
    except UnsafeInput as exc:
        raise _refused(exc) from exc
    messages = doc if isinstance(doc, list) else [doc]
    builder = _Builder()
    labels: list[tuple[int, str]] = []
    cache: dict[str, int] = {}
    ordinal = 0
    for m, message in enumerate(messages, start=1):
        where = f"message {m}"
        if not isinstance(message, dict):
            errors.add(where, "message", "must be an object with meterEic and periods")
            continue
        eic = message.get("meterEic")
        if not isinstance(eic, str) or not eic.strip():
            errors.add(where, "meterEic", "is missing")
            continue
        eic = eic.strip()
        errors.saw_eic(eic, where)
        periods = message.get("periods")
        if not isinstance(periods, list):
            errors.add(f"{where} ({eic})", "periods", "must be a list")
            continue
        for p, period in enumerate(periods):
            path = f"{where} ({eic}) periods[{p}]"
            if not isinstance(period, dict):
                errors.add(path, "period", "must be an object")
                continue
            minutes = _RESOLUTIONS.get(str(period.get("r", "")).upper())
            if minutes is None or "MIN" in str(period.get("r", "")).upper():
                errors.add(path, "r", f"{shown(period.get('r'))} is not PT15M or PT1H")
                continue
            items = period.get("aI")
            if not isinstance(items, list):
                errors.add(path, "aI", "must be a list")
                continue
            labels.append((ordinal, path))
            series_out = builder.key(eic, "OUT", minutes)
            series_in = builder.key(eic, "IN", minutes)
            step = minutes * 60
            for j, item in enumerate(items):
                ref = ordinal
                ordinal += 1
                if not isinstance(item, dict):
                    errors.add(f"{path}.aI[{j}]", "aI", "must be an object")
                    continue
                ps = item.get("pS")
                try:
                    if not isinstance(ps, str):
                        raise ValueError("is missing")
                    start = _utc_seconds(ps, cache)
                except ValueError as exc:
                    reason = (
                        str(exc)
                        if str(exc) in ("is missing", "has no time zone")
                        or str(exc).endswith(f"{FIRST_YEAR} and {LAST_YEAR}")
                        else f"{shown(ps)} is not an ISO 8601 time such as 2026-10-01T21:00:00.000Z"
                    )
                    errors.add(f"{path}.aI[{j}]", "pS", reason)
                    continue
                if start % step:
                    errors.add(
                        f"{path}.aI[{j}]", "pS", f"{cut(ps)} {_check_alignment(start, minutes)}"
                    )
                    continue
                for key, series in (("outQty", series_out), ("inQty", series_in)):
                    qty = item.get(key)
                    if qty is None:
                        continue
                    if not isinstance(qty, dict):
                        errors.add(f"{path}.aI[{j}]", key, "must be an object with kwh")
                        continue
                    wh = _kwh_number_to_wh(qty.get("kwh"))
                    if isinstance(wh, str):
                        errors.add(f"{path}.aI[{j}]", f"{key}.kwh", wh)
                        continue
                    rtype = _READING_TYPES.get(str(qty.get("rType", "M")).upper())
                    if rtype is None or len(str(qty.get("rType", "M"))) > 1:
                        errors.add(f"{path}.aI[{j}]", f"{key}.rType", "must be M or E")
                        continue
                    builder.series.append(series)
                    builder.start.append(start)
                    builder.wh.append(wh)
                    builder.est.append(rtype)
                    builder.ref.append(ref)
    errors.raise_if_any()
    return builder.build(labels)


# --- CSV ---------------------------------------------------------------------------------

_COLUMNS: Final = {
    "meter eic": "eic",
    "period start": "start",
    "period start (utc)": "start_utc",
    "resolution": "resolution",
    "quantity kwh in": "in",
    "quantity kwh out": "out",
    "reading type in": "type_in",
    "reading type out": "type_out",
    "reading time in": "time_in",
    "reading time out": "time_out",
}
_LOCAL_FORMAT: Final = re.compile(
    r"(\d{2})\.(\d{2})\.(\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)


def _csv_start(text: str, *, utc_column: bool, cache: dict[str, int]) -> int:
    seconds = cache.get(text)
    if seconds is not None:
        return seconds
    t = text.strip()
    m = _LOCAL_FORMAT.fullmatch(t)
    if m is not None:
        day, month, year, hour, minute, second, zone = m.groups()
        if zone is None:
            if not utc_column:
                raise ValueError(
                    "has no time zone: write it as 01.10.2026 00:00+03:00 or 30.09.2026 21:00Z, "
                    "or head the column 'Period Start (UTC)'"
                )
            zone = "Z"
        try:
            if zone in ("Z", "UTC"):
                tz: dt.tzinfo = dt.UTC
            else:
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                tz = dt.timezone(
                    sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                )
            value = dt.datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second or 0),
                tzinfo=tz,
            )
        except ValueError as exc:
            raise ValueError(f"{shown(t)} is not a date and time ({exc})") from exc
    else:
        try:
            value = dt.datetime.fromisoformat(t)
        except ValueError as exc:
            raise ValueError(
                f"{shown(t)} is not a time such as 01.10.2026 00:00+03:00 "
                "(dd.mm.yyyy hh:mm and zone)"
            ) from exc
        if value.tzinfo is None:
            if not utc_column:
                raise ValueError(f"{shown(t)} has no time zone")
            value = value.replace(tzinfo=dt.UTC)
    check_year(value.year, t)
    offset = value.utcoffset()
    tallinn = value.astimezone(TALLINN)
    if offset and offset != tallinn.utcoffset():
        raise ValueError(
            f"{shown(t)} is not a Tallinn time: Tallinn is at UTC{_shown_offset(tallinn)} then, "
            f"so write {tallinn:%d.%m.%Y %H:%M}{_shown_offset(tallinn)} or the UTC time"
        )
    seconds = cache[text] = int(value.timestamp())
    return seconds


def _shown_offset(value: dt.datetime) -> str:
    text = value.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def _longest_field(raw: bytes) -> int:
    """The length of the longest run of bytes between separators and line ends."""
    buf = np.frombuffer(raw, dtype=np.uint8)
    marks = np.flatnonzero((buf == 59) | (buf == 10))
    if not len(marks):
        return len(raw)
    return int(max(np.diff(marks).max(initial=0), marks[0], len(raw) - marks[-1]))


def parse_csv(data: bytes | str, *, limits: InputLimits | None = None) -> MeteringData:
    """Parse the hub's CSV template (``;``, decimal comma, zoned timestamps)."""
    limits = limits or InputLimits()
    if isinstance(data, bytes):
        try:
            check_size(len(data), limits)
            text = data.decode("utf-8-sig")
        except UnsafeInput as exc:
            raise _refused(exc) from exc
        except UnicodeDecodeError as exc:
            raise InvalidMeteringFile(
                [FieldError("file", "encoding", f"is not UTF-8 ({exc.reason})")]
            ) from exc
    else:
        text = data.removeprefix("\ufeff")
    rows = csv_rows(text, limits)
    try:
        header = next(rows, (1, []))[1]
    except UnsafeInput as exc:
        raise _refused(exc) from exc
    if not text.strip() or not header:
        raise InvalidMeteringFile([FieldError("line 1", "header", "the file is empty")])
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        key = _COLUMNS.get(name.strip().lower())
        if key is not None:
            columns[key] = i
    missing = [
        label
        for label, present in (
            ("Meter EIC", "eic" in columns),
            ("Period Start", "start" in columns or "start_utc" in columns),
            ("Resolution", "resolution" in columns),
            ("Quantity KWH IN or Quantity KWH OUT", "in" in columns or "out" in columns),
        )
        if not present
    ]
    if missing:
        raise InvalidMeteringFile(
            [FieldError("line 1", name, "mandatory column is missing") for name in missing]
        )
    utc_column = "start_utc" in columns
    i_eic = columns["eic"]
    i_start = columns["start_utc" if utc_column else "start"]
    i_res = columns["resolution"]
    directions = [(d, columns[d], columns.get(f"type_{d}")) for d in ("out", "in") if d in columns]
    fast = None
    raw = data if isinstance(data, bytes) else text.encode()
    if "\r" not in text and _longest_field(raw) <= limits.max_field_chars:
        with _gc_paused():
            fast = _parse_csv_numpy(
                raw, len(header), i_eic, i_start, i_res, directions, utc_column=utc_column
            ) or _parse_csv_fast(
                text, len(header), i_eic, i_start, i_res, directions, utc_column=utc_column
            )
    if fast is not None:
        return fast
    return _CsvRows(columns, i_start, directions, utc_column).parse(rows)


@dataclass
class _CsvRows:
    """The line-by-line parser: names each bad line and field."""

    columns: dict[str, int]
    i_start: int
    directions: Sequence[tuple[str, int, int | None]]
    utc_column: bool
    errors: _Collector = field(default_factory=_Collector)
    builder: _Builder = field(default_factory=_Builder)
    cache: dict[str, int] = field(default_factory=dict)
    res_cache: dict[str, int | None] = field(default_factory=dict)

    def parse(self, rows: Iterator[tuple[int, list[str]]]) -> MeteringData:
        try:
            for line, row in rows:
                self.row(line, row)
        except UnsafeInput as exc:
            self.errors.add(exc.location, exc.field, exc.message)
        self.errors.raise_if_any()
        return self.builder.build()

    def row(self, line: int, row: list[str]) -> None:
        if not row or all(not c.strip() for c in row):
            return
        errors, columns = self.errors, self.columns
        where = f"line {line}"
        width = max(columns.values()) + 1
        if len(row) < width:
            row = row + [""] * (width - len(row))
        eic = row[columns["eic"]].strip()
        if not eic:
            errors.add(where, "Meter EIC", "is missing")
            return
        errors.saw_eic(eic, where)
        res_text = row[columns["resolution"]]
        minutes = self.res_cache.get(res_text, -1)
        if minutes == -1:
            minutes = self.res_cache[res_text] = _RESOLUTIONS.get(res_text.strip().upper())
        if minutes is None:
            errors.add(where, "Resolution", f"{shown(res_text)} is not 15 MINUTES or HOURLY")
            return
        try:
            start = _csv_start(row[self.i_start], utc_column=self.utc_column, cache=self.cache)
        except ValueError as exc:
            errors.add(where, "Period Start", str(exc))
            return
        if start % (minutes * 60):
            errors.add(
                where,
                "Period Start",
                f"{cut(row[self.i_start].strip())} {_check_alignment(start, minutes)}",
            )
            return
        for direction, i_qty, i_type in self.directions:
            wh = _kwh_text_to_wh(row[i_qty])
            if wh is None:
                continue
            label = f"Quantity KWH {direction.upper()}"
            if isinstance(wh, str):
                errors.add(where, label, wh)
                continue
            rtype = _READING_TYPES.get(row[i_type].strip().upper()) if i_type is not None else 0
            if rtype is None:
                errors.add(
                    where, f"Reading Type {direction.upper()}", "must be METERED or ESTIMATED"
                )
                continue
            builder = self.builder
            builder.series.append(builder.key(eic, direction.upper(), minutes))
            builder.start.append(start)
            builder.wh.append(wh)
            builder.est.append(rtype)
            builder.ref.append(line)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cycle collector while millions of acyclic strings and lists are made: it
    would otherwise walk the growing lists again and again (parsing gets about 2x faster)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _NotFast(Exception):
    """The fast path cannot take this file; the line-by-line parser will (and report)."""


_CHUNK_CHARS: Final = 32_000_000


def _column(
    values: Sequence[str], convert: Callable[[str], int], dtype: type[np.generic]
) -> npt.NDArray[Any]:
    """Convert a column through a table of its distinct values (a file repeats its EICs,
    times, resolutions and quantities), so each distinct text is parsed once."""
    table = {text: convert(text) for text in dict.fromkeys(values)}
    return np.fromiter(map(table.__getitem__, values), dtype=dtype, count=len(values))


def _fast_kwh(text: str) -> int:
    wh = _kwh_text_to_wh(text)
    if isinstance(wh, str):
        raise _NotFast
    return -1 if wh is None else wh


def _fast_type(text: str) -> int:
    rtype = _READING_TYPES.get(text.strip().upper())
    if rtype is None:
        raise _NotFast
    return rtype


def _fast_minutes(text: str) -> int:
    minutes = _RESOLUTIONS.get(text.strip().upper())
    if minutes is None:
        raise _NotFast
    return minutes


def _parse_csv_fast(
    text: str,
    width: int,
    i_eic: int,
    i_start: int,
    i_res: int,
    directions: Sequence[tuple[str, int, int | None]],
    *,
    utc_column: bool,
) -> MeteringData | None:
    """Column-wise parsing of a plain file (no quotes, every line complete), in chunks.

    Returns ``None`` when the file is not plain or has any error: the line-by-line parser
    then reads it and names each bad line. Both give the same intervals for a good file.
    """
    if '"' in text:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    text = text.rstrip()
    body_at = text.find("\n") + 1
    if body_at <= 0:
        return None
    # every line must have exactly ``width`` fields: count the separators between newlines
    raw = np.frombuffer(text[body_at:].encode(), dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    separators = np.flatnonzero(raw == 59)
    per_line = np.diff(np.searchsorted(separators, newlines), prepend=0, append=len(separators))
    if np.any(per_line != width - 1):
        return None
    cache: dict[str, int] = {}
    eic_ids: dict[str, int] = {}
    parts: list[tuple[npt.NDArray[Any], ...]] = []
    next_line = 2  # the first line after the header
    try:
        while body_at < len(text):
            end = text.find("\n", body_at + _CHUNK_CHARS)
            end = len(text) if end < 0 else end
            # one list of all the chunk's fields, no list per line
            flat = text[body_at:end].replace("\n", ";").split(";")
            body_at = end + 1
            cols = [flat[i::width] for i in range(width)]
            n_lines = len(cols[0])
            first = next_line
            next_line += n_lines
            eic_col = cols[i_eic]
            for eic in dict.fromkeys(eic_col):
                if not eic or eic != eic.strip():
                    return None
                eic_ids.setdefault(eic, len(eic_ids))
            eic_idx = np.fromiter(map(eic_ids.__getitem__, eic_col), np.int64, len(eic_col))
            minutes = _column(cols[i_res], _fast_minutes, np.int64)

            def start_of(value: str) -> int:
                try:
                    return _csv_start(value, utc_column=utc_column, cache=cache)
                except ValueError as exc:
                    raise _NotFast from exc

            start = _column(cols[i_start], start_of, np.int64)
            if np.any(start % (minutes * 60)):
                return None
            line_no = np.arange(first, first + n_lines, dtype=np.int64)
            for d, (_, i_qty, i_type) in enumerate(directions):
                wh = _column(cols[i_qty], _fast_kwh, np.int64)
                rtype = (
                    _column(cols[i_type], _fast_type, np.uint8)
                    if i_type is not None
                    else np.zeros(n_lines, dtype=np.uint8)
                )
                keep = wh >= 0
                # a series key that sorts by EIC, then resolution, then direction
                key = (eic_idx * 2 + (minutes == 60)) * 2 + d
                parts.append((key[keep], start[keep], wh[keep], rtype[keep], line_no[keep]))
    except _NotFast:
        return None
    return _assemble(parts, list(eic_ids), directions)


# --- CSV, vectorised over the bytes ------------------------------------------------------

_ROWS_PER_CHUNK: Final = 1_000_000
_DAYS_IN_MONTH: Final = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_TIME_DIGITS_OFFSET: Final = (0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21)
_TIME_DIGITS_UTC: Final = (0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15)


def _byte(
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    k: int,
) -> npt.NDArray[np.int64]:
    """Byte ``k`` of every field (0 past a field's end), one column at a time."""
    inside = lengths > k
    return np.where(inside, buf[np.where(inside, starts + k, 0)], 0).astype(np.int64)


def _runs(
    raw: bytes,
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], list[str]] | None:
    """Codes and texts of a column whose values come in runs (the same EIC for a meter's
    rows, one resolution): each run's text is decoded once. ``None`` if it is not so."""
    n = len(starts)
    width = int(lengths.max())
    if width > 32:
        return None
    change = np.ones(n, dtype=bool)
    same = lengths[1:] == lengths[:-1]
    for k in range(width):
        column = _byte(buf, starts, lengths, k)
        same &= column[1:] == column[:-1]
    change[1:] = ~same
    run_starts = np.flatnonzero(change)
    if len(run_starts) > max(10_000, n // 8):
        return None
    table: dict[str, int] = {}
    codes = []
    try:
        for i in run_starts.tolist():
            first = int(starts[i])
            text = raw[first : first + int(lengths[i])].decode()
            codes.append(table.setdefault(text, len(table)))
    except UnicodeDecodeError:
        return None
    run_lengths = np.diff(np.append(run_starts, n))
    return np.repeat(np.array(codes, dtype=np.int64), run_lengths), list(table)


def _days_from_civil(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return np.asarray(era * 146097 + doe - 719468, dtype=np.int64)


def _fixed_times(
    buf: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    *,
    utc_column: bool,
) -> npt.NDArray[np.int64] | None:
    """UTC epoch seconds of ``dd.mm.yyyy hh:mm+hh:mm`` (or ``dd.mm.yyyy hh:mm`` in a UTC
    column); ``None`` for any other shape or an impossible date."""
    width = 16 if utc_column else 22
    if np.any(lengths != width):
        return None

    def at(k: int) -> npt.NDArray[np.int64]:
        return buf[starts + k].astype(np.int64)

    literals = [(2, 46), (5, 46), (10, 32), (13, 58)] + ([] if utc_column else [(19, 58)])
    for pos, char in literals:
        if np.any(at(pos) != char):
            return None
    digit_positions = _TIME_DIGITS_UTC if utc_column else _TIME_DIGITS_OFFSET
    d: dict[int, npt.NDArray[np.int64]] = {}
    for pos in digit_positions:
        d[pos] = at(pos) - 48
        if np.any((d[pos] < 0) | (d[pos] > 9)):
            return None
    day = d[0] * 10 + d[1]
    month = d[3] * 10 + d[4]
    year = d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9]
    hour = d[11] * 10 + d[12]
    minute = d[14] * 10 + d[15]
    if np.any(
        (month < 1)
        | (month > 12)
        | (year < FIRST_YEAR)
        | (year > LAST_YEAR)
        | (hour > 23)
        | (minute > 59)
    ):
        return None
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = _DAYS_IN_MONTH[month - 1] + ((month == 2) & leap)
    if np.any((day < 1) | (day > month_days)):
        return None
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60
    if utc_column:
        return seconds
    sign_char = at(16)
    if np.any((sign_char != 43) & (sign_char != 45)):
        return None
    off_h = d[17] * 10 + d[18]
    off_m = d[20] * 10 + d[21]
    if np.any((off_h > 14) | (off_m > 59)):
        return None
    sign = np.where(sign_char == 43, 1, -1)
    offset = sign * (off_h * 3600 + off_m * 60)
    utc = np.asarray(seconds - offset, dtype=np.int64)
    # a stated offset other than UTC must be Tallinn's at that instant (+02:00 or +03:00)
    if np.any((offset != 0) & (offset != _tallinn_offsets(utc, year))):
        return None
    return utc


def _tallinn_offsets(
    utc: npt.NDArray[np.int64], year: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Tallinn's UTC offset in seconds at each instant (EU summer time rules)."""
    offsets = np.full(len(utc), 7200, dtype=np.int64)
    for y in np.unique(year).tolist():
        # summer time: from 01:00 UTC on the last Sunday of March to the last of October
        bounds = []
        for month in (3, 10):
            last = dt.date(y, month, 31)
            last -= dt.timedelta(days=(last.weekday() + 1) % 7)
            bounds.append(int(dt.datetime(y, month, last.day, 1, tzinfo=dt.UTC).timestamp()))
        mask = (year == y) & (utc >= bounds[0]) & (utc < bounds[1])
        offsets[mask] = 10800
    return offsets


def _quantities(
    buf: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64] | None:
    """Wh of ``1234``, ``0,123`` or ``12.5`` kWh (at most 3 decimals), -1 for an empty
    field; ``None`` if any field is something else."""
    n = len(starts)
    width = int(lengths.max())
    if width > 15:
        return None
    value = np.zeros(n, dtype=np.int64)
    n_sep = np.zeros(n, dtype=np.int64)
    sep_at = lengths.copy()
    for k in range(width):
        inside = lengths > k
        b = _byte(buf, starts, lengths, k)
        is_digit = (b >= 48) & (b <= 57)
        is_sep = inside & ((b == 44) | (b == 46))
        if np.any(inside & ~is_digit & ~is_sep):
            return None
        value = np.where(is_digit, value * 10 + (b - 48), value)
        sep_at = np.where(is_sep, k, sep_at)
        n_sep += is_sep
    if np.any(n_sep > 1):
        return None
    decimals = np.where(n_sep == 1, lengths - sep_at - 1, 0)
    if np.any((n_sep == 1) & ((sep_at == 0) | (decimals == 0) | (decimals > 3))):
        return None
    wh = value * np.array([1000, 100, 10, 1], dtype=np.int64)[decimals]
    if np.any(wh > MAX_WH):
        return None
    wh[lengths == 0] = -1
    return np.asarray(wh, dtype=np.int64)


def _parse_csv_numpy(
    raw: bytes,
    width: int,
    i_eic: int,
    i_start: int,
    i_res: int,
    directions: Sequence[tuple[str, int, int | None]],
    *,
    utc_column: bool,
) -> MeteringData | None:
    """The CSV parsed over its bytes with numpy: no Python object per line or field.

    Takes plain files only (no quotes or carriage returns, every line complete, times as
    ``dd.mm.yyyy hh:mm+hh:mm``, EICs and resolutions in runs); returns ``None`` otherwise or
    on any error, and the string parsers take over (and name each bad line).
    """
    buf = np.frombuffer(raw, dtype=np.uint8)
    end = len(raw)
    while end and raw[end - 1] in b" \t\r\n":  # trailing blank lines (no copy of the text)
        end -= 1
    header_end = raw.find(b"\n")
    if header_end < 0 or header_end >= end or b'"' in raw or b"\r" in raw:
        return None
    body = buf[header_end + 1 : end]
    marks = np.flatnonzero((body == 59) | (body == 10)) + (header_end + 1)
    marks = np.append(marks, end)  # the last line ends where the text ends
    if len(marks) % width:
        return None
    bounds = marks.reshape(-1, width)
    kinds = buf[bounds[:, :-1]]
    if np.any(kinds != 59) or np.any(buf[bounds[:-1, -1]] != 10):
        return None
    n = len(bounds)
    line_starts = np.empty(n, dtype=np.int64)
    line_starts[0] = header_end + 1
    line_starts[1:] = bounds[:-1, -1] + 1

    def field(c: int, rows: slice) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        first = line_starts[rows] if c == 0 else bounds[rows, c - 1] + 1
        return first, bounds[rows, c] - first

    eic_ids: dict[str, int] = {}
    parts: list[tuple[npt.NDArray[Any], ...]] = []
    for a in range(0, n, _ROWS_PER_CHUNK):
        rows = slice(a, min(n, a + _ROWS_PER_CHUNK))
        count = rows.stop - rows.start
        eic_runs = _runs(raw, buf, *field(i_eic, rows))
        res_runs = _runs(raw, buf, *field(i_res, rows))
        start = _fixed_times(buf, *field(i_start, rows), utc_column=utc_column)
        if eic_runs is None or res_runs is None or start is None:
            return None
        eic_codes, eic_texts = eic_runs
        if any(not t or t != t.strip() for t in eic_texts):
            return None
        to_global = np.array([eic_ids.setdefault(t, len(eic_ids)) for t in eic_texts])
        eic_idx = to_global[eic_codes]
        res_minutes = []
        for t in res_runs[1]:
            minutes_of = _RESOLUTIONS.get(t.strip().upper())
            if minutes_of is None:
                return None
            res_minutes.append(minutes_of)
        minutes = np.array(res_minutes, dtype=np.int64)[res_runs[0]]
        if np.any(start % (minutes * 60)):
            return None
        line_no = np.arange(a + 2, a + 2 + count, dtype=np.int64)
        for d, (_, i_qty, i_type) in enumerate(directions):
            wh = _quantities(buf, *field(i_qty, rows))
            if wh is None:
                return None
            if i_type is not None:
                type_runs = _runs(raw, buf, *field(i_type, rows)) if count else None
                if type_runs is None:
                    return None
                type_codes = []
                for t in type_runs[1]:
                    rtype = _READING_TYPES.get(t.strip().upper())
                    if rtype is None:
                        return None
                    type_codes.append(rtype)
                rtypes = np.array(type_codes, dtype=np.uint8)[type_runs[0]]
            else:
                rtypes = np.zeros(count, dtype=np.uint8)
            keep = wh >= 0
            key = (eic_idx * 2 + (minutes == 60)) * 2 + d
            parts.append((key[keep], start[keep], wh[keep], rtypes[keep], line_no[keep]))
    return _assemble(parts, list(eic_ids), directions)


def _assemble(
    parts: list[tuple[npt.NDArray[Any], ...]],
    eic_names: list[str],
    directions: Sequence[tuple[str, int, int | None]],
) -> MeteringData:
    key = np.concatenate([p[0] for p in parts])
    present, series_index = np.unique(key, return_inverse=True)
    direction_names = [d.upper() for d, _, _ in directions]
    series = [
        (eic_names[int(k) // 4], direction_names[int(k) % 2], 60 if (int(k) // 2) % 2 else 15)
        for k in present
    ]
    return MeteringData(
        series=series,
        series_index=series_index.astype(np.int32),
        start_s=np.concatenate([p[1] for p in parts]),
        wh=np.concatenate([p[2] for p in parts]),
        estimated=np.concatenate([p[3] for p in parts]),
        row_ref=np.concatenate([p[4] for p in parts]),
    )


def parse(data: bytes, *, name: str = "", limits: InputLimits | None = None) -> MeteringData:
    """JSON or CSV, by the file name's suffix or, failing that, by the first character."""
    lowered = name.lower()
    parser: Callable[..., MeteringData]
    if lowered.endswith(".json"):
        parser = parse_json
    elif lowered.endswith(".csv"):
        parser = parse_csv
    else:
        head = data.lstrip()[:1]
        parser = parse_json if head in (b"{", b"[") else parse_csv
    return parser(data, limits=limits)
