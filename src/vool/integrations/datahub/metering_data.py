"""Parsers for the data hub's metering data: the JSON message and the CSV export.

They speak the hub's language and return plain values: every interval as one row of a few
numpy columns (series number, UTC start in epoch seconds, Wh, estimated flag), the series as
``(meter EIC, direction, minutes)``. Nothing here knows the database; a usecase maps the result
to the metering operations.

JSON (ESTONIA.md §6, ``eng/12-metering-data.md``). V1: one message or a list of messages
``{"meterEic": "38ZEE-...", "periods": [{"r": "PT15M"|"PT1H"|"PT60M", "aI": [{"pS":
"2026-10-01T21:00:00.000Z", "inQty": {"rType": "M"|"E", "kwh": 0.25}, "outQty": {...}}]}]}``.
V2 (since 2026): a list of points ``{"meteringPointEic": ..., "periods": [...]}`` whose
periods are either the interval itself (``pS`` with an offset or ``Z``, ``rTime``, the
quantities; 15 minutes) or the ``r``/``aI`` form; each interval may also carry the net
quantities ``netQtyOut``/``netQtyIn`` (or ``netOutQty``/``netInQty``), plain numbers, read
into :attr:`MeteringData.net`. The points may come bare, in the GET response
``{"successful": [...], "unsuccessful": [{meteringPointEic, error: {id, message, code, args,
traceId}}]}`` (the unsuccessful ones become :attr:`MeteringData.hub_errors`) or in a
data-distribution page ``{"content": [{id, createdTime, reason, content: [...]}]}``.
``IN`` is production (into the grid), ``OUT`` consumption.

CSV (the hub's spreadsheet templates, told apart by the header): ``;``-separated, decimal
comma. The current one has ``Metering Point EIC``, ``Period Start``, ``IN``/``OUT``/``NET
IN``/``NET OUT Quantity kWh`` and ``Reading Type IN``/``OUT`` (quarter hours, no resolution
column); the older one ``Meter EIC``, ``Period Start``, ``Resolution`` (``15 MINUTES``/
``HOURLY``), ``Quantity KWH IN``/``OUT``, ``Reading Type``/``Reading Time IN``/``OUT``.
``Period Start`` is Tallinn wall time ``dd.mm.yyyy hh:mm[:ss]`` as the hub writes it (the
autumn's repeated hour told apart by row order, the spring's missing hour refused), or
states its zone: ``01.10.2026 00:00+03:00``, ``30.09.2026 21:00Z``, ISO 8601; a column headed
``Period Start (UTC)`` holds UTC times. UTF-8 with or without BOM, or windows-1257.

A bad file raises :class:`InvalidMeteringFile` naming every bad line (or JSON path) and field
(the first :data:`MAX_ERRORS`, with the total) and the EICs it names, so that the caller can
report unknown EICs too. Hostile input (a JSON bomb, ``NaN``, duplicate keys, huge fields, stray
carriage returns, times outside 1990..2099) is refused through :mod:`..safe_input` within the
caller's :class:`~vool.integrations.safe_input.InputLimits`. kWh are read as ``Decimal``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from vool.common.collector import gc_paused
from vool.common.localtime import TALLINN
from vool.integrations.datahub import v2_fast
from vool.integrations.safe_input import (
    DOTTED_TIME,
    FIRST_YEAR,
    LAST_YEAR,
    InputLimits,
    UnsafeInput,
    check_size,
    check_year,
    csv_rows,
    cut,
    header_columns,
    load_json,
    shown,
)

__all__ = [
    "FieldError",
    "HubError",
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
    # JSON: (first ordinal, path prefix, first index), e.g. (96, "point 2 (EIC) periods", 0)
    _labels: list[tuple[int, str, int]] = field(default_factory=list)
    # the net quantities (V2 ``netQtyOut``/``netQtyIn``, CSV ``NET OUT``/``NET IN``), same
    # columns; ``None`` when the file has no net columns
    net: MeteringData | None = None
    hub_errors: list[HubError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.start_s)

    def locate(self, row: int) -> str:
        """Where interval ``row`` is in the file, for an error message."""
        ref = int(self.row_ref[row])
        if not self._labels:
            return f"line {ref}"
        firsts = [first for first, _, _ in self._labels]
        k = int(np.searchsorted(firsts, ref, side="right")) - 1
        first, prefix, index = self._labels[k]
        return f"{prefix}[{ref - first + index}]"


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

    def build(self, labels: list[tuple[int, str, int]] | None = None) -> MeteringData:
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


@dataclass(frozen=True)
class HubError:
    """A point the hub could not give (an ``unsuccessful`` entry of its GET response)."""

    location: str  # "unsuccessful[0]"
    eic: str
    code: str
    message: str
    error_id: str = ""
    trace_id: str = ""

    def __str__(self) -> str:
        ids = ", ".join(
            f"{name} {value}"
            for name, value in (("error id", self.error_id), ("trace id", self.trace_id))
            if value
        )
        return f"{self.eic}: the hub answered {self.code}: {self.message}" + (
            f" ({ids})" if ids else ""
        )


class _Point(NamedTuple):
    """One point (V2) or message (V1) of a JSON file and where it is."""

    where: str  # "point 1", "message 1", "successful[0]", "content[0].content[2]"
    value: Any


_NET_KEYS: Final = (("OUT", ("netQtyOut", "netOutQty")), ("IN", ("netQtyIn", "netInQty")))
_ALL_NET_KEYS: Final = frozenset(k for _, keys in _NET_KEYS for k in keys)
_V1_KEY: Final = "meterEic"
_V2_KEY: Final = "meteringPointEic"


def _points_of(doc: Any, errors: _Collector) -> tuple[list[_Point], list[HubError]]:
    """The points of every documented shape: one V1 message, a list of messages or points,
    the GET response ``{"successful": [...], "unsuccessful": [...]}`` and the
    data-distribution page ``{"content": [{"id", "content": [...]}]}``."""
    if isinstance(doc, list):
        kind = "message" if any(isinstance(p, dict) and _V1_KEY in p for p in doc) else "point"
        return [_Point(f"{kind} {i}", p) for i, p in enumerate(doc, start=1)], []
    if not isinstance(doc, dict):
        errors.add("file", "JSON", "must be an object or a list of metering points")
        return [], []
    if "successful" in doc or "unsuccessful" in doc:
        points: list[_Point] = []
        successful = doc.get("successful", [])
        if not isinstance(successful, list):
            errors.add("file", "successful", "must be a list of metering points")
        else:
            points = [_Point(f"successful[{i}]", p) for i, p in enumerate(successful)]
        return points, _hub_errors(doc.get("unsuccessful", []), errors)
    if "content" in doc:
        return _page_points(doc["content"], errors), []
    return [_Point("message 1" if _V1_KEY in doc else "point 1", doc)], []


def _page_points(content: Any, errors: _Collector) -> list[_Point]:
    if not isinstance(content, list):
        errors.add("file", "content", "must be a list of data-distribution entries")
        return []
    points: list[_Point] = []
    for i, entry in enumerate(content):
        inner = entry.get("content") if isinstance(entry, dict) else None
        if not isinstance(inner, list):
            errors.add(f"content[{i}]", "content", "must be a list of metering points")
            continue
        points.extend(_Point(f"content[{i}].content[{j}]", p) for j, p in enumerate(inner))
    return points


def _hub_errors(entries: Any, errors: _Collector) -> list[HubError]:
    if not isinstance(entries, list):
        errors.add("file", "unsuccessful", "must be a list")
        return []
    found = []
    for i, entry in enumerate(entries):
        where = f"unsuccessful[{i}]"
        eic = entry.get(_V2_KEY, entry.get(_V1_KEY)) if isinstance(entry, dict) else None
        error = entry.get("error") if isinstance(entry, dict) else None
        if not isinstance(eic, str) or not eic.strip():
            errors.add(where, _V2_KEY, "is missing")
            continue
        if not isinstance(error, dict):
            errors.add(f"{where} ({cut(eic)})", "error", "must be an object with code and message")
            continue
        errors.saw_eic(eic.strip(), where)
        found.append(
            HubError(
                where,
                cut(eic.strip()),
                cut(error.get("code") or "no code"),
                cut(error.get("message") or "no message", 300),
                cut(error.get("id") or ""),
                cut(error.get("traceId") or ""),
            )
        )
    return found


@dataclass
class _JsonReader:
    """Reads the points into a builder of gross quantities (``inQty``/``outQty``) and one of
    net quantities, naming each bad interval by its path."""

    errors: _Collector = field(default_factory=_Collector)
    gross: _Builder = field(default_factory=_Builder)
    net: _Builder = field(default_factory=_Builder)
    labels: list[tuple[int, str, int]] = field(default_factory=list)
    cache: dict[str, int] = field(default_factory=dict)
    ordinal: int = 0
    versions: dict[str, str] = field(default_factory=dict)  # "V1"/"V2" -> first point

    def point(self, point: _Point) -> None:
        where, value = point
        if not isinstance(value, dict):
            self.errors.add(where, "point", "must be an object with meteringPointEic and periods")
            return
        if _V1_KEY in value and _V2_KEY in value:
            self.errors.add(where, _V2_KEY, "a point has either meterEic (V1) or this (V2)")
            return
        key, version = (_V1_KEY, "V1") if _V1_KEY in value else (_V2_KEY, "V2")
        eic = value.get(key)
        if not isinstance(eic, str) or not eic.strip():
            self.errors.add(where, key, "is missing")
            return
        eic = eic.strip()
        self.errors.saw_eic(eic, where)
        other = self.versions.get("V2" if version == "V1" else "V1")
        if other is not None:
            self.errors.add(
                f"{where} ({cut(eic)})",
                key,
                f"the file mixes V1 (meterEic) and V2 (meteringPointEic) points ({other} is "
                f"{'V2' if version == 'V1' else 'V1'}); send each version in its own file",
            )
            return
        self.versions.setdefault(version, where)
        periods = value.get("periods")
        where = f"{where} ({cut(eic)})"
        if not isinstance(periods, list):
            self.errors.add(where, "periods", "must be a list")
            return
        run_open = False
        for p, period in enumerate(periods):
            path = f"{where} periods[{p}]"
            if not isinstance(period, dict):
                self.errors.add(path, "period", "must be an object")
                run_open = False
            elif "aI" in period or "r" in period:
                self.items(eic, path, period)
                run_open = False
            else:
                # V2: the period is the interval (pS, rTime, quantities), 15 minutes
                if not run_open:
                    self.labels.append((self.ordinal, f"{where} periods", p))
                    run_open = True
                self.interval(eic, 15, path, period)

    def items(self, eic: str, path: str, period: dict[str, Any]) -> None:
        r = period.get("r")
        minutes = _RESOLUTIONS.get(str(r).upper()) if isinstance(r, str) else None
        if minutes is None or "MIN" in str(r).upper():
            self.errors.add(path, "r", f"{shown(r)} is not PT15M or PT1H")
            return
        items = period.get("aI")
        if not isinstance(items, list):
            self.errors.add(path, "aI", "must be a list")
            return
        self.labels.append((self.ordinal, f"{path}.aI", 0))
        for j, item in enumerate(items):
            self.interval(eic, minutes, f"{path}.aI[{j}]", item)

    def interval(self, eic: str, minutes: int, path: str, item: Any) -> None:
        ref = self.ordinal
        self.ordinal += 1
        if not isinstance(item, dict):
            self.errors.add(path, "interval", "must be an object with pS")
            return
        start = self.start(path, item.get("pS"), minutes)
        if start is None:
            return
        gross: dict[str, tuple[int, int]] = {}
        for direction, key in (("OUT", "outQty"), ("IN", "inQty")):
            qty = item.get(key)
            if qty is None:
                continue
            if not isinstance(qty, dict):
                self.errors.add(path, key, "must be an object with kwh")
                continue
            wh = _kwh_number_to_wh(qty.get("kwh"))
            if isinstance(wh, str):
                self.errors.add(path, f"{key}.kwh", wh)
                continue
            rtype = _READING_TYPES.get(str(qty.get("rType", "M")).upper())
            if rtype is None or len(str(qty.get("rType", "M"))) > 1:
                self.errors.add(path, f"{key}.rType", "must be M or E")
                continue
            gross[direction] = (wh, rtype)
        net = self.net_quantities(path, item, gross) if _ALL_NET_KEYS & item.keys() else {}
        for builder, values in ((self.gross, gross), (self.net, net)):
            for direction, (wh, rtype) in values.items():
                builder.series.append(builder.key(eic, direction, minutes))
                builder.start.append(start)
                builder.wh.append(wh)
                builder.est.append(rtype)
                builder.ref.append(ref)

    def start(self, path: str, ps: Any, minutes: int) -> int | None:
        try:
            if not isinstance(ps, str):
                raise ValueError("is missing")
            start = _utc_seconds(ps, self.cache)
        except ValueError as exc:
            reason = (
                str(exc)
                if str(exc) in ("is missing", "has no time zone")
                or str(exc).endswith(f"{FIRST_YEAR} and {LAST_YEAR}")
                else f"{shown(ps)} is not an ISO 8601 time such as 2026-10-01T21:00:00.000Z"
            )
            self.errors.add(path, "pS", reason)
            return None
        if start % (minutes * 60):
            self.errors.add(path, "pS", f"{cut(ps)} {_check_alignment(start, minutes)}")
            return None
        return start

    def net_quantities(
        self, path: str, item: dict[str, Any], gross: dict[str, tuple[int, int]]
    ) -> dict[str, tuple[int, int]]:
        """``netQtyOut``/``netQtyIn`` (or ``netOutQty``/``netInQty``): plain numbers of kWh
        that netting leaves, at most the gross quantity and never both above zero."""
        net: dict[str, tuple[int, int]] = {}
        for direction, keys in _NET_KEYS:
            given = [k for k in keys if item.get(k) is not None]
            if len(given) > 1:
                self.errors.add(path, given[1], f"is given together with {given[0]}; give one")
                continue
            if not given:
                continue
            wh = _kwh_number_to_wh(item[given[0]])
            if isinstance(wh, str):
                self.errors.add(path, given[0], wh)
                continue
            gross_wh = gross[direction][0] if direction in gross else None
            problem = _net_error(wh, gross_wh, f"{direction.lower()}Qty")
            if problem is not None:
                self.errors.add(path, given[0], problem)
                continue
            net[direction] = (wh, gross.get(direction, (0, 0))[1])
        if net.get("OUT", (0, 0))[0] and net.get("IN", (0, 0))[0]:
            self.errors.add(path, "netQtyIn/netQtyOut", _BOTH_NET)
            return {}
        return net


def _read_fast(data: bytes | str, limits: InputLimits) -> MeteringData | None:
    """The compact V2 array through :mod:`v2_fast`, or ``None`` for the general reader."""
    if not isinstance(data, bytes) or len(data) > limits.max_file_bytes:
        return None
    cache: dict[str, int] = {}
    try:
        found = v2_fast.read_compact_v2(data, utc_seconds=lambda t: _utc_seconds(t, cache))
    except ValueError:
        return None  # a time the general reader explains
    if found is None:
        return None
    series, gross, net, labels = found
    result = MeteringData(series=series, _labels=labels, **gross)
    result.net = MeteringData(series=list(series), _labels=labels, **net)
    return result


def parse_json(data: bytes | str, *, limits: InputLimits | None = None) -> MeteringData:
    """Parse data hub metering data: V1 messages (``meterEic``) or V2 points
    (``meteringPointEic``), alone, in a list, in the GET response or in a data-distribution
    page (see the module doc)."""
    fast = _read_fast(data, limits or InputLimits())
    if fast is not None:
        return fast
    try:
        doc = load_json(data, limits or InputLimits())
    except UnsafeInput as exc:
        raise _refused(exc) from exc
    reader = _JsonReader()
    points, hub_errors = _points_of(doc, reader.errors)
    for point in points:
        reader.point(point)
    reader.errors.raise_if_any()
    result = reader.gross.build(reader.labels)
    result.net = reader.net.build(reader.labels)
    result.hub_errors = hub_errors
    return result


# --- CSV ---------------------------------------------------------------------------------

_COLUMNS: Final = {
    "meter eic": "eic",
    "metering point eic": "eic",
    "in quantity kwh": "in",
    "out quantity kwh": "out",
    "net in quantity kwh": "net_in",
    "net out quantity kwh": "net_out",
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


def _csv_start(text: str, *, utc_column: bool, cache: dict[str, int]) -> int:
    seconds = cache.get(text)
    if seconds is not None:
        return seconds
    t = text.strip()
    m = DOTTED_TIME.fullmatch(t)
    if m is not None:
        day, month, year, hour, minute, second, zone = m.groups()
        if zone is None and not utc_column:
            seconds = cache[text] = _tallinn_wall_time(t, m.groups()[:6])
            return seconds
        zone = zone or "Z"
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


class AmbiguousLocalTime(ValueError):
    """A local time of the autumn hour that Tallinn's clocks repeat: ``first`` (summer time)
    and ``second`` (winter time) are its two instants in epoch seconds; the row order tells
    them apart."""

    def __init__(self, text: str, first: int, second: int) -> None:
        self.first = first
        self.second = second
        super().__init__(f"{shown(text)} is in the hour the clocks repeat")


def _tallinn_wall_time(text: str, parts: Sequence[str | None]) -> int:
    """Epoch seconds of ``dd.mm.yyyy hh:mm[:ss]`` on Tallinn's clocks, as the hub writes its
    spreadsheets. A time the clocks skip (spring) is refused; a time they repeat (autumn)
    raises :class:`AmbiguousLocalTime` for the caller to resolve by row order."""
    day, month, year, hour, minute, second = (int(p or 0) for p in parts)
    try:
        first = dt.datetime(year, month, day, hour, minute, second, tzinfo=TALLINN)
    except ValueError as exc:
        raise ValueError(f"{shown(text)} is not a date and time ({exc})") from exc
    check_year(year, text)
    second_ = first.replace(fold=1)
    if first.astimezone(dt.UTC).astimezone(TALLINN).replace(tzinfo=None) != first.replace(
        tzinfo=None
    ):
        raise ValueError(
            f"{shown(text)} does not exist in Tallinn: on {first:%d.%m.%Y} the clocks jump "
            "from 03:00 to 04:00 (summer time begins)"
        )
    if first.utcoffset() != second_.utcoffset():
        raise AmbiguousLocalTime(text, int(first.timestamp()), int(second_.timestamp()))
    return int(first.timestamp())


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


def _decode(data: bytes | str, limits: InputLimits) -> tuple[str, bytes]:
    """The text of the file (UTF-8 with or without BOM, or windows-1257 as Excel in Estonia
    saves it) and its UTF-8 bytes for the vectorised parser."""
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
        return text, text.encode()
    try:
        check_size(len(data), limits)
    except UnsafeInput as exc:
        raise _refused(exc) from exc
    try:
        return data.decode("utf-8-sig"), data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1257")
    except UnicodeDecodeError as exc:
        raise InvalidMeteringFile(
            [FieldError("file", "encoding", f"is neither UTF-8 nor windows-1257 ({exc.reason})")]
        ) from exc
    return text, text.encode()


class _Layout(NamedTuple):
    """Which of the hub's spreadsheet templates a header is, and where its columns are."""

    columns: dict[str, int]
    current: bool  # the 2026 template: "Metering Point EIC", no resolution, net columns
    utc_column: bool

    @property
    def i_start(self) -> int:
        return self.columns["start_utc" if self.utc_column else "start"]

    def directions(self, prefix: str = "") -> list[tuple[str, int, int | None]]:
        """``(direction, quantity column, reading-type column)`` of the gross (or, with
        ``prefix="net_"``, the net) quantities."""
        return [
            (d, self.columns[prefix + d], self.columns.get(f"type_{d}"))
            for d in ("out", "in")
            if prefix + d in self.columns
        ]


def _layout(header: list[str]) -> _Layout:
    columns = header_columns(header, _COLUMNS)
    current = any(name.strip().lower() == "metering point eic" for name in header)
    quantities = ("in", "out", "net_in", "net_out") if current else ("in", "out")
    required = (
        (("Metering Point EIC" if current else "Meter EIC"), "eic" in columns),
        ("Period Start", "start" in columns or "start_utc" in columns),
        ("Resolution", current or "resolution" in columns),
        (
            "IN Quantity kWh or OUT Quantity kWh" if current else "Quantity KWH IN or OUT",
            any(q in columns for q in quantities),
        ),
    )
    missing = [name for name, present in required if not present]
    if missing:
        raise InvalidMeteringFile(
            [FieldError("line 1", name, "mandatory column is missing") for name in missing]
        )
    return _Layout(columns, current, "start_utc" in columns)


def parse_csv(data: bytes | str, *, limits: InputLimits | None = None) -> MeteringData:
    """Parse the hub's spreadsheet templates (``;``, decimal comma): the current one
    (``Metering Point EIC``, local ``Period Start``, IN/OUT/NET IN/NET OUT quantities) and
    the older one (``Meter EIC``, ``Resolution``, ``Quantity KWH IN``/``OUT``), told apart
    by the header."""
    limits = limits or InputLimits()
    text, raw = _decode(data, limits)
    rows = csv_rows(text, limits)
    try:
        header = next(rows, (1, []))[1]
    except UnsafeInput as exc:
        raise _refused(exc) from exc
    if not text.strip() or not header:
        raise InvalidMeteringFile([FieldError("line 1", "header", "the file is empty")])
    layout = _layout(header)
    columns = layout.columns
    directions = layout.directions()
    plain = "resolution" in columns and not layout.directions("net_")
    if plain and "\r" not in text and _longest_field(raw) <= limits.max_field_chars:
        args = (len(header), columns["eic"], layout.i_start, columns["resolution"], directions)
        with gc_paused():
            fast = _parse_csv_numpy(raw, *args, utc_column=layout.utc_column) or _parse_csv_fast(
                text, *args, utc_column=layout.utc_column
            )
        if fast is not None:
            return fast
    return _CsvRows(layout).parse(rows)


def _net_error(net_wh: int, gross_wh: int | None, gross_name: str) -> str | None:
    """Why a net quantity cannot be, or ``None``: netting cannot add energy."""
    if gross_wh is not None and net_wh > gross_wh:
        return (
            f"{net_wh / 1000:.3f} kWh is more than the {gross_name} of {gross_wh / 1000:.3f} "
            "kWh: netting cannot add energy"
        )
    return None


_BOTH_NET: Final = "both net quantities are above zero; netting leaves one of them at zero"


@dataclass
class _CsvRows:
    """The line-by-line parser: names each bad line and field."""

    layout: _Layout
    errors: _Collector = field(default_factory=_Collector)
    builder: _Builder = field(default_factory=_Builder)
    net: _Builder = field(default_factory=_Builder)
    cache: dict[str, int] = field(default_factory=dict)
    res_cache: dict[str, int | None] = field(default_factory=dict)
    repeated: dict[tuple[str, str], int] = field(default_factory=dict)  # autumn hour seen

    def parse(self, rows: Iterator[tuple[int, list[str]]]) -> MeteringData:
        try:
            for line, row in rows:
                self.row(line, row)
        except UnsafeInput as exc:
            self.errors.add(exc.location, exc.field, exc.message)
        self.errors.raise_if_any()
        result = self.builder.build()
        if self.layout.directions("net_"):
            result.net = self.net.build()
        return result

    def label(self, key: str) -> str:
        """The column's heading in this layout, for messages."""
        current = {
            "eic": "Metering Point EIC",
            "in": "IN Quantity kWh",
            "out": "OUT Quantity kWh",
            "net_in": "NET IN Quantity kWh",
            "net_out": "NET OUT Quantity kWh",
        }
        older = {"eic": "Meter EIC", "in": "Quantity KWH IN", "out": "Quantity KWH OUT"}
        return (current if self.layout.current else older).get(key, key)

    def minutes(self, where: str, row: list[str]) -> int | None:
        i_res = self.layout.columns.get("resolution")
        if i_res is None:
            return 15  # the current template: quarter hours
        res_text = row[i_res]
        minutes = self.res_cache.get(res_text, -1)
        if minutes == -1:
            minutes = self.res_cache[res_text] = _RESOLUTIONS.get(res_text.strip().upper())
        if minutes is None:
            self.errors.add(where, "Resolution", f"{shown(res_text)} is not 15 MINUTES or HOURLY")
        return minutes

    def start(self, where: str, eic: str, text: str, minutes: int) -> int | None:
        try:
            start = _csv_start(text, utc_column=self.layout.utc_column, cache=self.cache)
        except AmbiguousLocalTime as exc:
            # the hub writes rows in time order: the first is summer time, the next winter
            seen = self.repeated[eic, text.strip()] = self.repeated.get((eic, text.strip()), 0) + 1
            if seen > 2:
                self.errors.add(
                    where,
                    "Period Start",
                    f"{shown(text.strip())} appears a third time for {cut(eic)}; the autumn hour "
                    "repeats once (first summer time, then winter time)",
                )
                return None
            start = exc.first if seen == 1 else exc.second
        except ValueError as exc:
            self.errors.add(where, "Period Start", str(exc))
            return None
        if start % (minutes * 60):
            self.errors.add(
                where, "Period Start", f"{cut(text.strip())} {_check_alignment(start, minutes)}"
            )
            return None
        return start

    def quantities(
        self, where: str, row: list[str], prefix: str = ""
    ) -> dict[str, tuple[int, int]] | None:
        """``{direction: (Wh, estimated)}`` of the row's filled quantity columns."""
        found: dict[str, tuple[int, int]] = {}
        ok = True
        for direction, i_qty, i_type in self.layout.directions(prefix):
            wh = _kwh_text_to_wh(row[i_qty])
            if wh is None:
                continue
            if isinstance(wh, str):
                self.errors.add(where, self.label(prefix + direction), wh)
                ok = False
                continue
            rtype = _READING_TYPES.get(row[i_type].strip().upper()) if i_type is not None else 0
            if rtype is None:
                self.errors.add(
                    where, f"Reading Type {direction.upper()}", "must be METERED or ESTIMATED"
                )
                ok = False
                continue
            found[direction.upper()] = (wh, rtype)
        return found if ok else None

    def row(self, line: int, row: list[str]) -> None:
        if not row or all(not c.strip() for c in row):
            return
        columns = self.layout.columns
        where = f"line {line}"
        width = max(columns.values()) + 1
        if len(row) < width:
            row = row + [""] * (width - len(row))
        eic = row[columns["eic"]].strip()
        if not eic:
            self.errors.add(where, self.label("eic"), "is missing")
            return
        self.errors.saw_eic(eic, where)
        minutes = self.minutes(where, row)
        if minutes is None:
            return
        start = self.start(where, eic, row[self.layout.i_start], minutes)
        gross = self.quantities(where, row)
        net = self.quantities(where, row, "net_")
        if start is None or gross is None or net is None:
            return
        for direction, (wh, _) in net.items():
            gross_wh = gross[direction][0] if direction in gross else None
            problem = _net_error(wh, gross_wh, self.label(direction.lower()))
            if problem is not None:
                self.errors.add(where, self.label("net_" + direction.lower()), problem)
                return
        if all(net.get(d, (0, 0))[0] for d in ("IN", "OUT")):
            self.errors.add(where, "NET IN/NET OUT Quantity kWh", _BOTH_NET)
            return
        for builder, values in ((self.builder, gross), (self.net, net)):
            for direction, (wh, rtype) in values.items():
                builder.series.append(builder.key(eic, direction, minutes))
                builder.start.append(start)
                builder.wh.append(wh)
                builder.est.append(rtype)
                builder.ref.append(line)


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
