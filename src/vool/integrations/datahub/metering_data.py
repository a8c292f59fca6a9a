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

A bad file raises :class:`InvalidMeteringFile` naming every bad line (or JSON path) and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

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
    """The file cannot be imported; ``errors`` names each bad line and field."""

    def __init__(self, errors: list[FieldError], *, truncated: bool = False) -> None:
        self.errors = errors
        self.truncated = truncated
        more = " (and more)" if truncated else ""
        super().__init__(f"{len(errors)} error(s){more}: " + "; ".join(map(str, errors[:5])))


@dataclass
class MeteringData:
    """Intervals as columns; ``series[i]`` is ``(eic, direction, minutes)``."""

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
        self.truncated = False

    def add(self, location: str, field_name: str, message: str) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.truncated = True
            return
        self.errors.append(FieldError(location, field_name, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidMeteringFile(self.errors, truncated=self.truncated)


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
    """Wh from a JSON number of kWh, or the reason it is not acceptable."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number of kWh"
    scaled = value * 1000
    wh = round(scaled)
    if abs(scaled - wh) > 1e-6:
        return f"{value} has more than 3 decimals"
    if wh < 0:
        return f"{value} is negative"
    if wh > MAX_WH:
        return f"{value} is out of range"
    return wh


_KWH_TEXT: Final = re.compile(r"(\d+)(?:[.,](\d{1,3}))?")


def _kwh_text_to_wh(text: str) -> int | str | None:
    """Wh from ``"1,234"`` (decimal comma or point), ``None`` when empty, or the reason."""
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if not t:
        return None
    m = _KWH_TEXT.fullmatch(t)
    if m is None:
        if t.startswith("-"):
            return f"{text!r} is negative"
        return f"{text!r} is not a quantity in kWh with at most 3 decimals, e.g. 1,234"
    wh = int(m.group(1)) * 1000 + int((m.group(2) or "").ljust(3, "0"))
    if wh > MAX_WH:
        return f"{text!r} is out of range"
    return wh


def _utc_seconds(text: str, cache: dict[str, int]) -> int:
    seconds = cache.get(text)
    if seconds is None:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None:
            raise ValueError("has no time zone")
        seconds = cache[text] = int(value.timestamp())
    return seconds


def _check_alignment(seconds: int, minutes: int) -> str | None:
    if seconds % (minutes * 60):
        return f"does not start on a {minutes}-minute boundary" + (
            " (hh:00, hh:15, hh:30 or hh:45)" if minutes == 15 else " (a full hour)"
        )
    return None


# --- JSON --------------------------------------------------------------------------------


def parse_json(data: bytes | str) -> MeteringData:
    """Parse one data hub metering-data message, or a list of them."""
    errors = _Collector()
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidMeteringFile([FieldError("file", "JSON", f"does not parse: {exc}")]) from exc
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
                errors.add(path, "r", f"{period.get('r')!r} is not PT15M or PT1H")
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
                        else (f"{ps!r} is not an ISO 8601 time such as 2026-10-01T21:00:00.000Z")
                    )
                    errors.add(f"{path}.aI[{j}]", "pS", reason)
                    continue
                if start % step:
                    errors.add(f"{path}.aI[{j}]", "pS", f"{ps} {_check_alignment(start, minutes)}")
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
        if zone in ("Z", "UTC"):
            tz: dt.tzinfo = dt.UTC
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        try:
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
            raise ValueError(f"{t!r} is not a date and time ({exc})") from exc
    else:
        try:
            value = dt.datetime.fromisoformat(t)
        except ValueError as exc:
            raise ValueError(
                f"{t!r} is not a time such as 01.10.2026 00:00+03:00 (dd.mm.yyyy hh:mm and zone)"
            ) from exc
        if value.tzinfo is None:
            if not utc_column:
                raise ValueError(f"{t!r} has no time zone")
            value = value.replace(tzinfo=dt.UTC)
    seconds = cache[text] = int(value.timestamp())
    return seconds


def parse_csv(data: bytes | str) -> MeteringData:
    """Parse the hub's CSV template (``;``, decimal comma, zoned timestamps)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidMeteringFile(
                [FieldError("file", "encoding", f"is not UTF-8 ({exc.reason})")]
            ) from exc
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    errors = _Collector()
    header = next(reader, None)
    if header is None:
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
    width = max(columns.values()) + 1
    builder = _Builder()
    cache: dict[str, int] = {}
    res_cache: dict[str, int | None] = {}
    for line, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        where = f"line {line}"
        if len(row) < width:
            row = row + [""] * (width - len(row))
        eic = row[i_eic].strip()
        if not eic:
            errors.add(where, "Meter EIC", "is missing")
            continue
        res_text = row[i_res]
        minutes = res_cache.get(res_text, -1)
        if minutes == -1:
            minutes = res_cache[res_text] = _RESOLUTIONS.get(res_text.strip().upper())
        if minutes is None:
            errors.add(where, "Resolution", f"{res_text!r} is not 15 MINUTES or HOURLY")
            continue
        try:
            start = _csv_start(row[i_start], utc_column=utc_column, cache=cache)
        except ValueError as exc:
            errors.add(where, "Period Start", str(exc))
            continue
        if start % (minutes * 60):
            errors.add(
                where,
                "Period Start",
                f"{row[i_start].strip()} {_check_alignment(start, minutes)}",
            )
            continue
        for direction, i_qty, i_type in directions:
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
            builder.series.append(builder.key(eic, direction.upper(), minutes))
            builder.start.append(start)
            builder.wh.append(wh)
            builder.est.append(rtype)
            builder.ref.append(line)
    errors.raise_if_any()
    return builder.build()


def parse(data: bytes, *, name: str = "") -> MeteringData:
    """JSON or CSV, by the file name's suffix or, failing that, by the first character."""
    lowered = name.lower()
    parser: Callable[[bytes], MeteringData]
    if lowered.endswith(".json"):
        parser = parse_json
    elif lowered.endswith(".csv"):
        parser = parse_csv
    else:
        head = data.lstrip()[:1]
        parser = parse_json if head in (b"{", b"[") else parse_csv
    return parser(data)
