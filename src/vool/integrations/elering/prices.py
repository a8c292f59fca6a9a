"""Elering Nord Pool price files and API: parse JSON and CSV, fetch over HTTP. Pure: no Django.

JSON (``GET https://dashboard.elering.ee/api/nps/price?start=…&end=…``)::

    {"success": true, "data": {"ee": [{"timestamp": 1705276800, "price": 40.01}, ...], ...}}

``timestamp`` is the interval start in Unix seconds (UTC), ``price`` EUR/MWh excl. VAT.

CSV (``/api/nps/price/csv``): ``;``-separated, quoted, decimal comma, header
``"Ajatempel (UTC)";"Kuupäev (Eesti aeg)";"NPS Läti";"NPS Leedu";"NPS Soome";"NPS Eesti"``.

Resolution: from the spacing of consecutive rows (15 or 60 minutes); a row with no
15/60-minute neighbour takes the market's resolution on its date (15 minutes from the first
15-minute delivery day, 1 October 2025 local, before that 60). A bad file is rejected whole:
:class:`PriceFileError` lists every problem with its line (or JSON path) and field. Prices are
read as ``Decimal`` (JSON numbers too); hostile input is refused through :mod:`..safe_input`.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo

from vool.integrations.safe_input import (
    FIRST_YEAR,
    LAST_YEAR,
    InputLimits,
    UnsafeInput,
    csv_rows,
    cut,
    load_json,
    parse_decimal,
    shown,
)

__all__ = [
    "API_URL",
    "AREAS",
    "FIRST_QUARTER_HOUR_START",
    "PriceFetchFailed",
    "PriceFileError",
    "PricePoint",
    "fetch_json",
    "parse_csv",
    "parse_json",
    "parse_text",
]

API_URL: Final = "https://dashboard.elering.ee/api/nps/price"
AREAS: Final = {"ee": "NPS Eesti", "fi": "NPS Soome", "lv": "NPS Läti", "lt": "NPS Leedu"}
# 1 October 2025 00:00 Tallinn (UTC+3): the first 15-minute delivery day of SDAC.
FIRST_QUARTER_HOUR_START: Final = dt.datetime(2025, 9, 30, 21, 0, tzinfo=dt.UTC)
_TALLINN: Final = ZoneInfo("Europe/Tallinn")
_MAX_ERRORS: Final = 50
_FIRST_SECOND: Final = int(dt.datetime(FIRST_YEAR, 1, 1, tzinfo=dt.UTC).timestamp())
_END_SECOND: Final = int(dt.datetime(LAST_YEAR + 1, 1, 1, tzinfo=dt.UTC).timestamp())


@dataclass(frozen=True)
class PricePoint:
    start: dt.datetime  # UTC
    minutes: int
    price_eur_mwh: Decimal


class PriceFileError(ValueError):
    """The file is not a valid Elering price file; ``errors`` says where and why."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        shown = "\n  ".join(self.errors[:_MAX_ERRORS])
        more = (
            f"\n  ... and {len(self.errors) - _MAX_ERRORS} more (the list is cut at {_MAX_ERRORS})"
            if len(self.errors) > _MAX_ERRORS
            else ""
        )
        super().__init__(
            f"Rejected the whole file ({len(self.errors)} problem(s)):\n  {shown}{more}"
        )


class PriceFetchFailed(Exception):
    """The Elering API could not be reached or answered with an error."""


def _price(text: object, where: str, errors: list[str]) -> Decimal | None:
    if isinstance(text, bool) or text is None:
        errors.append(f"{where}: missing price")
        return None
    if isinstance(text, Decimal | int):
        value = Decimal(text)
    elif isinstance(text, str):
        try:
            value = parse_decimal(text)
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            return None
    else:
        errors.append(f"{where}: {shown(text)} is not a number")
        return None
    what = shown(text) if isinstance(text, str) else cut(text)
    if abs(value) > 10_000:
        errors.append(f"{where}: {what} EUR/MWh is out of range (|price| <= 10000)")
        return None
    if value != value.quantize(Decimal("0.001")):
        errors.append(f"{where}: {what} has more than 3 decimals (EUR/MWh)")
        return None
    return value


def _start(value: object, where: str, errors: list[str]) -> dt.datetime | None:
    text = str(value).strip()
    seconds = None
    if not isinstance(value, bool) and text.isdigit() and len(text) <= 12:
        seconds = int(text)
    if seconds is None:
        errors.append(f"{where}: {shown(text)} is not a Unix timestamp in seconds")
        return None
    if not _FIRST_SECOND <= seconds < _END_SECOND:
        errors.append(
            f"{where}: {seconds} is not a time between {FIRST_YEAR} and {LAST_YEAR} "
            "(a Unix timestamp in seconds)"
        )
        return None
    if seconds % 900:
        errors.append(f"{where}: {seconds} is not on a quarter hour")
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


class _Row(NamedTuple):
    """A price read from the file, and where (for messages)."""

    start: dt.datetime
    price: Decimal
    where: str


def _points(rows: list[_Row], errors: list[str]) -> list[PricePoint]:
    """The rows as points, in time order, each with its resolution (15 or 60 minutes, from
    its neighbours, else from the date); :class:`PriceFileError` with every error found."""
    rows.sort(key=lambda row: row.start)
    seen: dict[dt.datetime, str] = {}
    for row in rows:
        if row.start in seen:
            errors.append(
                f"{row.where}: interval {row.start:%Y-%m-%dT%H:%MZ} repeats {seen[row.start]}"
            )
        seen[row.start] = row.where
    points = []
    for i, row in enumerate(rows):
        start = row.start
        gaps = []
        if i + 1 < len(rows):
            gaps.append((rows[i + 1].start - start) // dt.timedelta(minutes=1))
        if i > 0:
            gaps.append((start - rows[i - 1].start) // dt.timedelta(minutes=1))
        known = [g for g in gaps if g in (15, 60)]
        by_date = 15 if start >= FIRST_QUARTER_HOUR_START else 60
        minutes = min(known) if known else by_date
        if minutes == 60 and start.minute:
            errors.append(
                f"{row.where}: hourly price starting {start:%H:%M} UTC is not on the hour"
            )
        points.append(PricePoint(start, minutes, row.price))
    if errors:
        raise PriceFileError(errors)
    return points


def parse_json(
    text: str, *, area: str = "ee", limits: InputLimits | None = None
) -> list[PricePoint]:
    """Points of ``area`` from Elering's JSON; :class:`PriceFileError` if anything is wrong."""
    try:
        doc: Any = load_json(text, limits or InputLimits())
    except UnsafeInput as exc:
        raise PriceFileError([str(exc)]) from exc
    errors: list[str] = []
    if not isinstance(doc, dict) or doc.get("success") is not True:
        raise PriceFileError(['"success": the file does not say "success": true'])
    data = doc.get("data")
    if not isinstance(data, dict) or not isinstance(data.get(area), list):
        raise PriceFileError(
            [
                f'"data.{area}": missing (areas in the file: '
                f"{shown(sorted(data)) if isinstance(data, dict) else 'none'})"
            ]
        )
    rows: list[_Row] = []
    for i, item in enumerate(data[area]):
        where = f"data.{area}[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: not an object")
            continue
        start = _start(item.get("timestamp"), f"{where}.timestamp", errors)
        price = _price(item.get("price"), f"{where}.price", errors)
        if start is not None and price is not None:
            rows.append(_Row(start, price, where))
    return _points(rows, errors)


def parse_csv(
    text: str, *, area: str = "ee", limits: InputLimits | None = None
) -> list[PricePoint]:
    """Points of ``area`` from Elering's CSV; :class:`PriceFileError` if anything is wrong."""
    column = AREAS.get(area)
    if column is None:
        raise PriceFileError([f"area {shown(area)} is not one of {sorted(AREAS)}"])
    try:
        return _parse_csv_rows(csv_rows(text.lstrip("\ufeff"), limits or InputLimits()), column)
    except UnsafeInput as exc:
        raise PriceFileError([str(exc)]) from exc


def _parse_csv_rows(reader: Iterator[tuple[int, list[str]]], column: str) -> list[PricePoint]:
    try:
        header = [h.strip() for h in next(reader)[1]]
    except StopIteration:
        raise PriceFileError(["line 1: the file is empty"]) from None
    missing = [h for h in ("Ajatempel (UTC)", column) if h not in header]
    if missing:
        raise PriceFileError([f"line 1: missing column(s) {', '.join(missing)}"])
    ts_col, price_col = header.index("Ajatempel (UTC)"), header.index(column)
    local_col = header.index("Kuupäev (Eesti aeg)") if "Kuupäev (Eesti aeg)" in header else None
    errors: list[str] = []
    rows: list[_Row] = []
    for line_no, row in reader:
        if not row or all(not c.strip() for c in row):
            continue
        where = f"line {line_no}"
        if len(row) != len(header):
            errors.append(f"{where}: {len(row)} fields, the header has {len(header)}")
            continue
        start = _start(row[ts_col], f"{where}, field 'Ajatempel (UTC)'", errors)
        price = _price(row[price_col], f"{where}, field '{column}'", errors)
        if start is not None and local_col is not None:
            local = start.astimezone(_TALLINN).strftime("%d.%m.%Y %H:%M")
            if row[local_col].strip() != local:
                errors.append(
                    f"{where}, field 'Kuupäev (Eesti aeg)': {shown(row[local_col])} is not "
                    f"the local time of the timestamp ({local})"
                )
        if start is not None and price is not None:
            rows.append(_Row(start, price, where))
    return _points(rows, errors)


def parse_text(
    text: str, *, area: str = "ee", limits: InputLimits | None = None
) -> list[PricePoint]:
    """JSON if the text starts with ``{``, otherwise CSV."""
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        return parse_json(text, area=area, limits=limits)
    return parse_csv(text, area=area, limits=limits)


def fetch_json(
    start: dt.datetime,
    end: dt.datetime,
    *,
    timeout: float = 30.0,
    limits: InputLimits | None = None,
) -> str:
    """Elering's JSON for ``[start, end)`` (aware datetimes), at most ``max_file_bytes``."""
    max_bytes = (limits or InputLimits()).max_file_bytes

    def iso(t: dt.datetime) -> str:
        utc = t.astimezone(dt.UTC)
        return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"

    # Elering's end is inclusive: ask up to the last millisecond before ``end``.
    last = end - dt.timedelta(milliseconds=1)
    url = f"{API_URL}?{urllib.parse.urlencode({'start': iso(start), 'end': iso(last)})}"
    request = urllib.request.Request(  # noqa: S310 (a fixed https URL)
        url, headers={"Accept": "application/json", "User-Agent": "vool/0.1"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(max_bytes + 1)
        if len(body) > max_bytes:
            raise PriceFetchFailed(
                f"Elering's answer is larger than the limit of {max_bytes:,} bytes "
                "(setting VOOL_IMPORT_MAX_FILE_BYTES); fetch fewer days at a time."
            )
        return str(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PriceFetchFailed(f"Elering's answer is not UTF-8 text ({exc.reason}).") from exc
    except urllib.error.HTTPError as exc:
        raise PriceFetchFailed(f"Elering answered {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PriceFetchFailed(
            f"Could not reach dashboard.elering.ee ({reason}). Check the network connection, "
            "or download the prices and run `vool prices import FILE`."
        ) from exc
