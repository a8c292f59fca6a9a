"""The data a shadow run needs besides the history (``extract_format.SHADOW_FILES``): the
shadow month's 15-minute interval data of the remote-read points, into metering
(:func:`vool.domain.metering.interval_operations.store_intervals`: its checks, versions, the
same data again changes nothing), and that month's day-ahead prices, into tariffs
(:func:`vool.domain.tariffs.operations.store_market_prices`, idempotent as well).

Only points the load kept (in the key map) get their intervals; a held-back point's rows wait
for the delta that brings the point. A row that cannot be read is a validation issue
(``BAD_INTERVAL_ROW`` / ``BAD_MARKET_PRICE_ROW``, an error) and is left out, like any other.

The interval file (some seven million rows at 500,000 customers) is partitioned with the
history, each row to its point's chunk (:mod:`partition`): each chunk of the load stores its
points' rows (:func:`load_intervals`) in its own transaction, so the chunks' processes share
the work, and a file found truncated at its end, in the partition, stores nothing. The prices
are read whole at the end of the load (:func:`load_shadow_data`)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from django.db import transaction

from vool.common.localtime import day_bounds
from vool.domain.bulk import in_batches
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import mapping, queries, rules
from vool.domain.metering.interval_operations import IntervalBatch, store_intervals
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs.models import Product, ProductPrice
from vool.domain.tariffs.operations import store_market_prices

AREA = "ee"
PRICE_FIELDS = (
    "energy_price",
    "day_price",
    "night_price",
    "margin",
    "monthly_fee_amount",
    "green_price",
)
# ASCII digits only (``\d`` takes any script's) and under 10⁹ kWh: what ``np.fromstring``
# reads into int64 Wh without overflow
VALUES = re.compile(r"[0-9]{1,9},[0-9]{3}(?: [0-9]{1,9},[0-9]{3})*")
BATCH_ROWS = 20_000  # interval rows (point days) per store: ~2 million values


@dataclass
class ShadowData:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    issues: list[rules.Issue] = field(default_factory=list)


def load_shadow_data(*, directory: Path, manifest: fmt.Manifest, now: dt.datetime) -> ShadowData:
    """Load the extract's day-ahead prices if its manifest lists them (a version-1 extract
    has none). The interval rows are stored by the chunks (:func:`load_intervals`)."""
    result = ShadowData()
    listed = {spec.entity: spec for spec in fmt.SHADOW_FILES if spec.file_name in manifest.rows}
    if "market_prices" in listed:
        rows = fmt.read_file(directory, listed["market_prices"], manifest)
        result.counts["market_prices"] = _market_prices(
            rows, source=f"legacy extract {directory.name}", now=now, issues=result.issues
        )
    return result


def _issue(spec: fmt.FileSpec, row: fmt.Row, column: str, rule: str, message: str) -> rules.Issue:
    value = row.values[spec.columns.index(column)]
    return rules.Issue(rules.ERROR, spec.file_name, row.line, column, rule, value[:200], message)


def _eics(point_keys: list[str]) -> dict[str, str]:
    """Old point key → the EIC of the Vool metering point it was loaded as."""
    mapped = queries.key_map(entity="points", old_keys=point_keys)
    ids = {m.new_id: key for key, m in mapped.items()}
    eics: dict[str, str] = {}
    for chunk in in_batches(sorted(ids)):
        for point_id, eic in MeteringPoint.objects.filter(id__in=chunk).values_list("id", "eic"):
            eics[ids[point_id]] = eic
    return eics


def _day_values(
    row: fmt.Row, days: dict[str, tuple[int, int]]
) -> tuple[int, npt.NDArray[np.int64]]:
    """A row's local midnight (UTC, epoch seconds) and its quarter-hour Wh; ``ValueError``
    saying what is wrong. ``days``: a day's text → its midnight and quarter hours (a month
    has some thirty days and a point a row for each: each day is parsed once)."""
    day_text = row.values[1]
    if day_text not in days:
        day = fmt.parse_date(day_text)
        start, end = day_bounds(day)
        days[day_text] = (int(start.timestamp()), int((end - start).total_seconds() // 900))
    start_s, quarters = days[day_text]
    text = row.values[2]
    if not VALUES.fullmatch(text):
        raise ValueError("expected kWh values with a decimal comma and 3 decimals, by spaces")
    # the whole row at once in C (the pattern above has checked its form)
    wh = np.fromstring(text.replace(",", ""), dtype=np.int64, sep=" ")
    if len(wh) != quarters:
        day = fmt.parse_date(day_text)
        raise ValueError(f"{day} has {quarters} quarter hours; the row has {len(wh)} values")
    return start_s, wh


class _KeptRow(NamedTuple):
    series: int
    start_s: int
    quarters: int
    line: int


def _batch(
    spec: fmt.FileSpec, series: dict[str, int], kept: list[_KeptRow], wh: npt.NDArray[np.int64]
) -> IntervalBatch:
    """The kept rows' values as one batch: each value's series and start spread from its
    row's in C, and a value located by its row's line (a search in the rows' ends, not a
    line per value)."""
    quarters = np.array([k.quarters for k in kept], dtype=np.int64)
    ends = np.cumsum(quarters)
    within = np.arange(len(wh), dtype=np.int64) - np.repeat(ends - quarters, quarters)
    row_start = np.array([k.start_s for k in kept], dtype=np.int64)
    lines = [k.line for k in kept]
    return IntervalBatch(
        series=[(eic, "OUT", 15) for eic in series],
        series_index=np.repeat(np.array([k.series for k in kept], dtype=np.int32), quarters),
        start_s=np.repeat(row_start, quarters) + 900 * within,
        wh=wh,
        quality=np.zeros(len(wh), dtype=np.uint8),
        locate=lambda at: f"{spec.file_name} line {lines[int(np.searchsorted(ends, at, 'right'))]}",
    )


class _FirstLines:
    """(point, day) → the line that gave it first, compact for a month of some 200,000
    points: the days numbered as their texts first come, and per point an array of line
    numbers by day number (0: not given yet; a data line is 2 or more)."""

    def __init__(self) -> None:
        self._days: dict[str, int] = {}
        self._points: dict[str, array[int]] = {}

    def setdefault(self, point: str, day: str, line: int) -> int:
        """The line that gave ``point``'s ``day`` first: ``line`` if none before."""
        number = self._days.setdefault(day, len(self._days))
        lines = self._points.get(point)
        if lines is None:
            lines = self._points[point] = array("q")
        if len(lines) <= number:
            lines.extend(itertools.repeat(0, number + 1 - len(lines)))
        if not lines[number]:
            lines[number] = line
        return lines[number]


def load_intervals(
    rows: Iterable[fmt.Row],
    *,
    as_of: dt.datetime,
    issues: list[rules.Issue],
    batch_rows: int = BATCH_ROWS,
) -> dict[str, int]:
    """Interval rows (every row of a point among them: a day given twice is found only
    within ``rows``) stored; returns per local day of a point: new, changed (a new version),
    unchanged; held back: the rows of points the load did not keep. Stored ``batch_rows``
    rows at a time, in one transaction; a day given again is found in any later batch."""
    counts = {"new": 0, "changed": 0, "unchanged": 0, "held_back": 0}
    days: dict[str, tuple[int, int]] = {}
    first_lines = _FirstLines()
    with transaction.atomic():
        for batch in in_batches(rows, batch_rows):
            _store_batch(
                batch, as_of=as_of, issues=issues, days=days, first_lines=first_lines, counts=counts
            )
    return counts


def _store_batch(
    rows: list[fmt.Row],
    *,
    as_of: dt.datetime,
    issues: list[rules.Issue],
    days: dict[str, tuple[int, int]],
    first_lines: _FirstLines,
    counts: dict[str, int],
) -> None:
    """Check and store one batch of rows, adding to ``counts``."""
    spec = fmt.SPECS["intervals"]
    eics = _eics(sorted({row.values[0] for row in rows}))
    series: dict[str, int] = {}
    kept: list[_KeptRow] = []  # per row, not per value: the values are spread out below
    values: list[npt.NDArray[np.int64]] = []
    for row in rows:
        eic = eics.get(row.values[0])
        if eic is None:
            counts["held_back"] += 1
            continue  # the point is not loaded (held back): its data waits for the delta
        try:
            start_s, wh = _day_values(row, days)
        except ValueError as exc:
            issues.append(_issue(spec, row, "KWH_15MIN", "BAD_INTERVAL_ROW", str(exc)))
            continue
        line = first_lines.setdefault(row.values[0], row.values[1], row.line)
        if line != row.line:  # the day again: listed, the first row's values are kept
            message = f"{row.values[1]} of this point was given on line {line} already"
            issues.append(_issue(spec, row, "KUUPAEV", "DUPLICATE_INTERVAL_DAY", message))
            continue
        kept.append(_KeptRow(series.setdefault(eic, len(series)), start_s, len(wh), row.line))
        values.append(wh)
    if not values:
        return
    batch = _batch(spec, series, kept, np.concatenate(values))
    stored = store_intervals(batch=batch, as_of=as_of, file_name=spec.file_name)
    counts["new"] += stored.days_created
    counts["changed"] += stored.days_corrected
    counts["unchanged"] += stored.days_unchanged


def _market_prices(
    rows: list[fmt.Row], *, source: str, now: dt.datetime, issues: list[rules.Issue]
) -> dict[str, int]:
    spec = fmt.SPECS["market_prices"]
    prices: list[tuple[dt.datetime, int, Decimal]] = []
    for row in rows:
        try:
            start = dt.datetime.strptime(f"{row.values[0].strip()} +0000", "%d.%m.%Y %H:%M %z")
            minutes = int(row.values[1])
            if minutes not in (15, 60):
                raise ValueError(f"{minutes} minutes: a price is for 15 or 60 minutes")
            price = fmt.parse_decimal(row.values[2])
        except ValueError as exc:
            issues.append(_issue(spec, row, "ALGUS_UTC", "BAD_MARKET_PRICE_ROW", str(exc)))
            continue
        prices.append((start, minutes, price))
    stored = store_market_prices(area=AREA, prices=prices, source=source, imported_at=now)
    return {
        "new": stored.created,
        "changed": stored.updated,
        "unchanged": stored.unchanged,
        "held_back": 0,
    }


def load_price_list(*, directory: Path, manifest: fmt.Manifest) -> ShadowData:
    """The old products' price list (``HINNAKIRI.csv``), before the validation (the contracts
    are checked against Vool's products). A Vool product an old code maps to
    (``mapping.OLD_PRODUCTS``) that does not exist yet is created with the old prices, so Vool
    bills what the old system billed; one that exists is left as it is and every version whose
    prices differ from the old ones is a warning ``PRICE_DIFFERS`` (the shadow run then shows
    the difference as a unit price). An unmapped code is left out (its contracts are refused
    with ``UNKNOWN_PRODUCT``)."""
    result = ShadowData()
    spec = fmt.SPECS["price_list"]
    if spec.file_name not in manifest.rows:
        return result
    counts = {"new": 0, "changed": 0, "unchanged": 0, "held_back": 0}
    by_code: dict[str, list[tuple[fmt.Row, ProductPrice]]] = {}
    for row in fmt.read_file(directory, spec, manifest):
        old = mapping.OLD_PRODUCTS.get(row.values[0])
        if old is None:
            counts["held_back"] += 1
            continue
        try:
            by_code.setdefault(old[4], []).append((row, _price(row)))
        except ValueError as exc:
            result.issues.append(_issue(spec, row, "ALGUS", "BAD_PRICE_ROW", str(exc)))
    existing = {p.code: p for p in Product.objects.filter(code__in=list(by_code))}
    for code, versions in sorted(by_code.items()):
        product = existing.get(code)
        if product is None:
            _create_product(code, versions)
            counts["new"] += len(versions)
            continue
        for row, price in versions:
            differs = _differs(product, price)
            counts["held_back" if differs else "unchanged"] += 1  # Vool's prices stay
            if differs:
                result.issues.append(
                    replace(
                        _issue(spec, row, "TOOTE_KOOD", "PRICE_DIFFERS", differs),
                        severity=rules.WARNING,
                    )
                )
    result.counts["price_list"] = counts
    return result


def _optional(text: str) -> Decimal | None:
    return fmt.parse_decimal(text) if text.strip() else None


def _price(row: fmt.Row) -> ProductPrice:
    values = dict(zip(fmt.SPECS["price_list"].columns, row.values, strict=True))
    start = fmt.parse_date(values["ALGUS"])
    end = fmt.parse_date(values["LOPP"]) if values["LOPP"].strip() else None
    if end is not None and end <= start:
        raise ValueError(f"the price ends ({end}) before it starts ({start})")
    return ProductPrice(
        valid_from=start,
        valid_to=end,
        energy_price=_optional(values["HIND_KWH"]),
        day_price=_optional(values["PAEV_KWH"]),
        night_price=_optional(values["OO_KWH"]),
        margin=_optional(values["MARGINAAL_KWH"]),
        monthly_fee_amount=fmt.parse_decimal(values["KUUTASU"]),
        green_price=_optional(values["ROHELINE_KWH"]),
    )


def _create_product(code: str, versions: list[tuple[fmt.Row, ProductPrice]]) -> None:
    first = min(price.valid_from for _, price in versions)
    name = next((n for n, _, _, _, new in mapping.OLD_PRODUCTS.values() if new == code), code)
    sample = versions[0][1]
    kind = (
        Product.Kind.DAY_NIGHT
        if sample.day_price is not None
        else Product.Kind.EXCHANGE
        if sample.margin is not None
        else Product.Kind.FIXED
    )
    product = Product.objects.create(
        code=code,
        name_et=name,
        name_ru=name,
        name_en=name,
        kind=kind,
        segment="BUSINESS" if code.startswith("ARI") else "HOUSEHOLD",
        on_sale_from=first,
    )
    for _, price in sorted(versions, key=lambda v: v[1].valid_from):
        price.product = product
        price.full_clean(exclude=["product"])
        price.save()


def _differs(product: Product, price: ProductPrice) -> str:
    """What differs between the old price and the Vool versions over its period ('' if
    nothing)."""
    overlapping = ProductPrice.objects.filter(
        product=product, valid_from__lt=price.valid_to or dt.date.max
    ).exclude(valid_to__lte=price.valid_from)
    found = []
    for vool in overlapping.order_by("valid_from"):
        for name in PRICE_FIELDS:
            if getattr(vool, name) != getattr(price, name):
                found.append(
                    f"{name} {getattr(vool, name)} from {vool.valid_from} in Vool, "
                    f"{getattr(price, name)} in the old system"
                )
    if not overlapping.exists():
        found.append(f"Vool has no price of {product.code} from {price.valid_from}")
    return "; ".join(found)
