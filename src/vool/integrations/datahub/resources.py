"""The hub's data-distribution pages and the resources in them, as plain values. Pure.

A page (``POST data-distribution/search``) is ``{"content": [entry...], "last": bool}``
(Spring-style paging: ``last``, or ``number``/``totalPages``); an entry is ``{id, createdTime,
resourceType, reason, content}`` where ``content`` is the resource: a list of metering-data
points, a metering point, a list of agreements, a network bill list, a connection-state
answer. The examples of ``eng/30-data-distribution.md`` are the model.

**Numbers are read exactly.** A page is read from the hub's own bytes (:func:`parse_page`):
every number as :class:`~decimal.Decimal` (never through ``float``), and each entry keeps its
``content`` as the hub wrote it (``Entry.content_text``, the text between the brackets), which
is what Vool stores (``HubEntry.raw``) and what the metering importer reads, like a file.
:func:`decode_content` reads that text again, exactly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from vool.common.localtime import as_local, local_date

__all__ = [
    "Agreement",
    "BadResource",
    "ConnectionAnswer",
    "Entry",
    "NetworkBill",
    "NetworkBillLine",
    "Page",
    "PointMasterData",
    "decode_content",
    "exact_json",
    "parse_agreements",
    "parse_connection_answer",
    "parse_network_bills",
    "parse_page",
    "parse_point",
]

CONNECTION_STATES: Final = ("PLANNED", "REFUSED", "CONNECTED", "DISCONNECTED", "CANCELLED")


class BadResource(ValueError):
    """A page or resource the hub sent does not have the documented shape; the message names
    the entry and field."""


@dataclass(frozen=True)
class Entry:
    id: str
    resource_type: str
    created_at: dt.datetime
    reason: str
    content: Any  # read exactly: numbers with a fraction are Decimal
    content_text: str  # the content's JSON text as the hub wrote it


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    last: bool


def _instant(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise BadResource(f"{where}: is missing")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadResource(f"{where}: {value[:40]!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise BadResource(f"{where}: {value[:40]!r} has no time zone")
    return parsed.astimezone(dt.UTC)


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadResource(f"{where}, {key}: is missing")
    return value.strip()


# --- reading a page exactly ---------------------------------------------------------------


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number; JSON has no {name}")


_EXACT: Final = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)
_SPACE: Final = " \t\n\r"


def decode_content(text: str | bytes) -> Any:
    """An entry's stored content text as values, exactly (a fraction is a Decimal)."""
    try:
        return _EXACT.decode(text.decode() if isinstance(text, bytes) else text)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise BadResource(f"content: does not parse as JSON ({exc})") from exc


def exact_json(value: Any) -> str:
    """JSON text of ``value`` in which a Decimal is written as its own digits (the standard
    encoder cannot write a Decimal as a number)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return str(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))}: {exact_json(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(exact_json(v) for v in value) + "]"
    return json.dumps(value)


class _Text:
    """A cursor over a JSON text that reads values exactly and remembers their text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip(self) -> str:
        """The next significant character (``""`` at the end), not consumed."""
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        self.pos = pos
        return text[pos : pos + 1]

    def take(self, char: str, where: str) -> None:
        if self.skip() != char:
            raise BadResource(f"{where}: expected {char!r} at character {self.pos}")
        self.pos += 1

    def value(self, where: str) -> tuple[Any, str]:
        """The next value and its text."""
        self.skip()
        start = self.pos
        try:
            value, self.pos = _EXACT.raw_decode(self.text, start)
        except (ValueError, RecursionError) as exc:
            raise BadResource(f"{where}: does not parse as JSON ({exc})") from exc
        return value, self.text[start : self.pos]

    def members(self, where: str) -> Iterator[str]:
        """The keys of the object here, one by one; after each the caller reads its value."""
        self.take("{", where)
        if self.skip() == "}":
            self.pos += 1
            return
        seen: set[str] = set()
        while True:
            key, _ = self.value(where)
            if not isinstance(key, str) or key in seen:
                raise BadResource(f"{where}: the key {str(key)[:40]!r} is not a new string")
            seen.add(key)
            self.take(":", where)
            yield key
            if self.skip() == "}":
                self.pos += 1
                return
            self.take(",", where)

    def items(self, where: str) -> Iterator[int]:
        """The indexes of the list here, one by one; after each the caller reads the item."""
        self.take("[", where)
        if self.skip() == "]":
            self.pos += 1
            return
        index = 0
        while True:
            yield index
            index += 1
            if self.skip() == "]":
                self.pos += 1
                return
            self.take(",", where)


def _entry_of(reader: _Text, where: str) -> tuple[dict[str, Any], str]:
    """One entry object: its members as values, and its content's text."""
    values: dict[str, Any] = {}
    content_text = "null"
    for key in reader.members(where):
        values[key], text = reader.value(f"{where}, {key}")
        if key == "content":
            content_text = text
    return values, content_text


def _page_of(body: str) -> tuple[dict[str, Any], list[str]]:
    """A search answer as values, and the content text of each of its entries."""
    reader = _Text(body)
    doc: dict[str, Any] = {}
    texts: list[str] = []
    for key in reader.members("page"):
        if key == "content" and reader.skip() == "[":
            doc[key] = []
            for i in reader.items("page, content"):
                if reader.skip() != "{":
                    value, text = reader.value(f"content[{i}]")
                    doc[key].append(value)
                    texts.append(text)
                    continue
                entry, text = _entry_of(reader, f"content[{i}]")
                doc[key].append(entry)
                texts.append(text)
        else:
            doc[key], _ = reader.value(f"page, {key}")
    if reader.skip():
        raise BadResource(f"page: more follows the answer at character {reader.pos}")
    return doc, texts


def parse_page(body: bytes | str | dict[str, Any], *, resource_type: str) -> Page:
    """A search answer as entries; ``last`` says whether more pages follow. Given the hub's
    bytes (or text), every number is read exactly and each entry's content text is kept as
    the hub wrote it; given values already read, the content text is written from them."""
    if isinstance(body, bytes | str):
        try:
            text = body.decode() if isinstance(body, bytes) else body
        except UnicodeDecodeError as exc:
            raise BadResource(f"page: is not UTF-8 ({exc.reason})") from exc
        doc, texts = _page_of(text)
    else:
        doc = body
        raw = doc.get("content") if isinstance(doc, dict) else None
        texts = [
            exact_json(e.get("content") if isinstance(e, dict) else None)
            for e in (raw if isinstance(raw, list) else [])
        ]
    if not isinstance(doc, dict) or not isinstance(doc.get("content"), list):
        raise BadResource("page: must be an object with a content list")
    entries = []
    for i, (raw, content_text) in enumerate(zip(doc["content"], texts, strict=True)):
        where = f"content[{i}]"
        if not isinstance(raw, dict):
            raise BadResource(f"{where}: must be an object")
        entries.append(
            Entry(
                id=_text(raw, "id", where)
                if not isinstance(raw.get("id"), int)
                else str(raw["id"]),
                resource_type=str(raw.get("resourceType") or resource_type),
                created_at=_instant(raw.get("createdTime"), f"{where}, createdTime"),
                reason=str(raw.get("reason") or ""),
                content=raw.get("content"),
                content_text=content_text,
            )
        )
    if isinstance(doc.get("last"), bool):
        last = doc["last"]
    elif isinstance(doc.get("totalPages"), int) and isinstance(doc.get("number"), int):
        last = doc["number"] + 1 >= doc["totalPages"]
    else:
        last = not entries
    return Page(entries=entries, last=last)


@dataclass(frozen=True)
class PointMasterData:
    """A metering point as the hub describes it (``eng/30-data-distribution.md``)."""

    eic: str
    remote_read: bool
    street_address: str
    city: str
    postal_code: str
    address_id: int | None
    resolution: str  # PT15M / PT60M
    connection_state: str
    production: bool
    grid_operator_eic: str
    network_package: str


def _street(raw: str) -> str:
    """The hub writes the street address as comma-separated parts, some empty
    (``", Uus tn, , 20-3"``): the non-empty parts, joined."""
    return " ".join(part.strip() for part in raw.split(",") if part.strip())


def parse_point(content: Any, *, where: str = "content") -> PointMasterData:
    if not isinstance(content, dict):
        raise BadResource(f"{where}: must be a metering point object")
    point = content.get("meteringPoint") or {}
    location = content.get("meterLocation") or {}
    characteristics = content.get("electricityCharacteristics") or {}
    if not all(isinstance(x, dict) for x in (point, location, characteristics)):
        raise BadResource(f"{where}: meteringPoint, meterLocation, electricityCharacteristics")
    eic = str(point.get("meteringPointEic") or point.get("meterEic") or "").strip()
    if not eic:
        raise BadResource(f"{where}, meteringPoint.meterEic: is missing")
    resolution = str(characteristics.get("resolution") or "PT15M").upper()
    if resolution not in ("PT15M", "PT1H", "PT60M"):
        raise BadResource(f"{where}, resolution: {resolution[:20]!r} is not PT15M or PT1H")
    adr = location.get("adrId")
    city = location.get("locality") or location.get("municipality") or ""
    return PointMasterData(
        eic=eic,
        remote_read=str(point.get("meteringType") or "") != "NON_REMOTE_READING",
        street_address=_street(str(location.get("streetAddress") or ""))[:200],
        city=str(city)[:100],
        postal_code=str(location.get("postcode") or "")[:10],
        address_id=adr if isinstance(adr, int) else None,
        resolution="PT15M" if resolution == "PT15M" else "PT60M",
        connection_state=str(characteristics.get("connectionState") or ""),
        production=bool(characteristics.get("production")),
        grid_operator_eic=str(
            content.get("gridOperatorEic") or characteristics.get("gridOperatorEic") or ""
        ),
        network_package=str(characteristics.get("networkPackage") or ""),
    )


@dataclass(frozen=True)
class Agreement:
    """A supply agreement notice: ``valid_to`` set means the agreement ends then (e.g. the
    hub ended it because another supplier takes the point)."""

    agreement_id: str
    eic: str
    agreement_type: str
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    supplier_eic: str


def parse_agreements(content: Any, *, where: str = "content") -> list[Agreement]:
    items = content if isinstance(content, list) else [content]
    found = []
    for i, raw in enumerate(items):
        here = f"{where}[{i}]"
        if not isinstance(raw, dict):
            raise BadResource(f"{here}: must be an agreement object")
        valid_to = raw.get("validTo")
        found.append(
            Agreement(
                agreement_id=_text(raw, "agreementId", here),
                eic=_text(raw, "meterEic", here),
                agreement_type=str(raw.get("agreementType") or ""),
                valid_from=_instant(raw.get("validFrom"), f"{here}, validFrom"),
                valid_to=_instant(valid_to, f"{here}, validTo") if valid_to else None,
                supplier_eic=str(raw.get("supplierEic") or ""),
            )
        )
    return found


@dataclass(frozen=True)
class ConnectionAnswer:
    request_id: str
    state: str
    at: dt.datetime | None
    comment: str


def parse_connection_answer(content: Any, *, where: str = "content") -> ConnectionAnswer:
    if not isinstance(content, dict):
        raise BadResource(f"{where}: must be a connection-state object")
    state = _text(content, "state", where).upper()
    if state not in CONNECTION_STATES:
        raise BadResource(f"{where}, state: {state[:20]!r} is not one of {CONNECTION_STATES}")
    at = content.get("stateTime")
    return ConnectionAnswer(
        request_id=_text(content, "requestId", where),
        state=state,
        at=_instant(at, f"{where}, stateTime") if at else None,
        comment=str(content.get("comment") or "")[:500],
    )


# --- network bills ---------------------------------------------------------------------------
# The docs (eng/30-data-distribution.md) name the resource and say what it carries: the day and
# night kWh per direction, for joint invoices. The field names below are ours, written from
# that description (docs/architecture.md, "Network bills and joint invoices"):
# {billId, meteringPointEic, gridOperatorEic, periodStart, periodEnd,
#  quantities: [{timeBand: DAY|NIGHT, direction: IN|OUT, kwh}], lines: [...], netAmount}

BILL_BANDS: Final = ("DAY", "NIGHT")
BILL_DIRECTIONS: Final = ("IN", "OUT")


@dataclass(frozen=True)
class NetworkBillLine:
    description: str
    quantity: Decimal | None
    unit: str
    unit_price: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class NetworkBill:
    """One grid operator's network bill of one point for ``[period_start, period_end)`` (local
    days); ``kwh[(band, direction)]`` for DAY/NIGHT x IN/OUT (a pair not given is 0)."""

    bill_id: str
    eic: str
    grid_operator_eic: str
    period_start: dt.date
    period_end: dt.date
    kwh: dict[tuple[str, str], Decimal]
    lines: tuple[NetworkBillLine, ...]
    net_amount: Decimal | None


def _decimal(value: Any, where: str, *, places: int, negative: bool = False) -> Decimal:
    """A JSON number read exactly: :func:`parse_page` and :func:`decode_content` give a
    fraction as a Decimal (a float, from values read elsewhere, is taken by its repr)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise BadResource(f"{where}: is missing or not a number")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation as exc:
        raise BadResource(f"{where}: {str(value)[:30]!r} is not a number") from exc
    if not number.is_finite():
        raise BadResource(f"{where}: {str(value)[:30]!r} is not a number")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > places:
        raise BadResource(f"{where}: {number} has more than {places} decimals")
    if number < 0 and not negative:
        raise BadResource(f"{where}: {number} is negative")
    return number


def _bill_day(value: Any, where: str) -> dt.date:
    """A period bound: a local midnight as an instant, or a plain date."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise BadResource(f"{where}: {value!r} is not a date") from exc
    instant = _instant(value, where)
    local = as_local(instant)
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        raise BadResource(f"{where}: {value!r} is not a local midnight (Tallinn)")
    return local_date(instant)


def _bill_kwh(raw: Any, where: str) -> dict[tuple[str, str], Decimal]:
    if not isinstance(raw, list):
        raise BadResource(f"{where}: must be a list of {{timeBand, direction, kwh}}")
    kwh = dict.fromkeys(((b, d) for b in BILL_BANDS for d in BILL_DIRECTIONS), Decimal(0))
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise BadResource(f"{here}: must be an object")
        band = str(item.get("timeBand") or "").upper()
        direction = str(item.get("direction") or "").upper()
        if band not in BILL_BANDS:
            raise BadResource(f"{here}, timeBand: {band[:20]!r} is not DAY or NIGHT")
        if direction not in BILL_DIRECTIONS:
            raise BadResource(f"{here}, direction: {direction[:20]!r} is not IN or OUT")
        if (band, direction) in seen:
            raise BadResource(f"{here}: {band} {direction} is given twice")
        seen.add((band, direction))
        kwh[(band, direction)] = _decimal(item.get("kwh"), f"{here}, kwh", places=3)
    return kwh


def _bill_lines(raw: Any, where: str) -> tuple[NetworkBillLine, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BadResource(f"{where}: must be a list")
    lines = []
    for i, item in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise BadResource(f"{here}: must be an object")
        quantity, price = item.get("quantity"), item.get("unitPrice")
        lines.append(
            NetworkBillLine(
                description=_text(item, "description", here)[:200],
                quantity=None
                if quantity is None
                else _decimal(quantity, f"{here}, quantity", places=3, negative=True),
                unit=str(item.get("unit") or "")[:10],
                unit_price=None
                if price is None
                else _decimal(price, f"{here}, unitPrice", places=9, negative=True),
                amount=_decimal(item.get("amount"), f"{here}, amount", places=2, negative=True),
            )
        )
    return tuple(lines)


def parse_network_bills(content: Any, *, where: str = "content") -> list[NetworkBill]:
    """A NETWORK_BILL entry's bills (a list, or one bill object). Bad input names the bill's
    point and field."""
    items = content if isinstance(content, list) else [content]
    bills = []
    for i, raw in enumerate(items):
        here = f"{where}[{i}]"
        if not isinstance(raw, dict):
            raise BadResource(f"{here}: must be a network bill object")
        eic = str(raw.get("meteringPointEic") or raw.get("meterEic") or "").strip()
        if not eic:
            raise BadResource(f"{here}, meteringPointEic: is missing")
        here = f"{here} ({eic})"
        start = _bill_day(raw.get("periodStart"), f"{here}, periodStart")
        end = _bill_day(raw.get("periodEnd"), f"{here}, periodEnd")
        if end <= start:
            raise BadResource(f"{here}, periodEnd: {end} is not after periodStart {start}")
        net = raw.get("netAmount")
        bills.append(
            NetworkBill(
                bill_id=_text(raw, "billId", here)[:200],
                eic=eic,
                grid_operator_eic=_text(raw, "gridOperatorEic", here)[:16],
                period_start=start,
                period_end=end,
                kwh=_bill_kwh(raw.get("quantities"), f"{here}, quantities"),
                lines=_bill_lines(raw.get("lines"), f"{here}, lines"),
                net_amount=None
                if net is None
                else _decimal(net, f"{here}, netAmount", places=2, negative=True),
            )
        )
    return bills
