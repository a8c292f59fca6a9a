"""Market prices in: import an Elering file, or fetch from Elering's API and import.

A changed price is stored as a new version (the old one is kept). When issued invoices were
priced with a changed price, the result names them by number; they are not touched: a rebill
is a separate, deliberate command (``vool billing rebill ACCOUNT --period YYYY-MM``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError

from vool.common.localtime import local_date, local_midnight
from vool.domain.billing import queries as billing_queries
from vool.domain.tariffs import operations as tariff_operations
from vool.integrations.elering import prices as elering
from vool.integrations.safe_input import UnsafeInput
from vool.usecases.input_limits import import_limits, read_limited

__all__ = ["ImportResult", "UnableToImportPrices", "fetch_prices", "import_price_file"]

# Bills are priced on the Estonian bidding zone (tariff_queries.market_prices' area).
BILLED_AREA = "ee"
_LISTED_INVOICES = 20


class UnableToImportPrices(Exception):
    """The file could not be read or is not a valid Elering price file (nothing was stored)."""


@dataclass(frozen=True)
class ImportResult:
    area: str
    count: int
    first: dt.datetime | None
    last: dt.datetime | None
    resolutions: tuple[int, ...]
    created: int
    updated: int
    unchanged: int
    affected: tuple[billing_queries.PricedInvoice, ...] = ()

    def describe(self) -> str:
        if not self.count or self.first is None or self.last is None:
            return f"No {self.area} prices in the file."
        res = "/".join(f"{m} min" for m in self.resolutions)
        kept = " (new versions; the old prices are kept)" if self.updated else ""
        text = (
            f"{self.count} {self.area} prices ({res}) from {self.first:%Y-%m-%d %H:%M} to "
            f"{self.last:%Y-%m-%d %H:%M} UTC: {self.created} new, {self.updated} changed"
            f"{kept}, {self.unchanged} unchanged."
        )
        return text + self._affected_text()

    def _affected_text(self) -> str:
        if not self.affected:
            return ""
        listed = ", ".join(
            f"{i.number} ({i.period}, account {i.account_reference})"
            for i in self.affected[:_LISTED_INVOICES]
        )
        more = len(self.affected) - _LISTED_INVOICES
        listed += f" and {more} more" if more > 0 else ""
        return (
            f"\nThe changed prices were used by {len(self.affected)} issued invoice(s): "
            f"{listed}.\nThose invoices are not changed. To bill the new prices, rebill each "
            "on purpose: vool billing rebill ACCOUNT --period YYYY-MM."
        )


def _store(
    points: list[elering.PricePoint], *, area: str, source: str, imported_at: dt.datetime
) -> ImportResult:
    try:
        stored = tariff_operations.store_market_prices(
            area=area,
            prices=[(p.start, p.minutes, p.price_eur_mwh) for p in points],
            source=source,
            imported_at=imported_at,
        )
    except IntegrityError as exc:
        raise UnableToImportPrices(
            "Another import wrote the same prices at the same moment; nothing was stored from "
            "this one. Import it again: what the other import stored is then unchanged."
        ) from exc
    affected: list[billing_queries.PricedInvoice] = []
    if area == BILLED_AREA and stored.changed:
        days = {local_date(start) for start, _ in stored.changed}
        affected = billing_queries.issued_invoices_priced_on(days=days)
    return ImportResult(
        area=area,
        count=len(points),
        first=points[0].start if points else None,
        last=points[-1].start if points else None,
        resolutions=tuple(sorted({p.minutes for p in points})),
        created=stored.created,
        updated=stored.updated,
        unchanged=stored.unchanged,
        affected=tuple(affected),
    )


def import_price_file(*, path: Path, area: str, imported_at: dt.datetime) -> ImportResult:
    """Read an Elering JSON or CSV file and upsert its prices (idempotent, all or nothing)."""
    limits = import_limits()
    try:
        text = read_limited(path, limits).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnableToImportPrices(f"Cannot read {path}: {exc}") from exc
    except UnsafeInput as exc:
        raise UnableToImportPrices(f"{path}: {exc}") from exc
    try:
        points = elering.parse_text(text, area=area, limits=limits)
    except elering.PriceFileError as exc:
        raise UnableToImportPrices(f"{path}: {exc}") from exc
    return _store(points, area=area, source=f"file {path.name}", imported_at=imported_at)


def fetch_prices(
    *, first_day: dt.date, end_day: dt.date, area: str, imported_at: dt.datetime
) -> ImportResult:
    """Fetch local days ``[first_day, end_day)`` from Elering's API and upsert them."""
    if end_day <= first_day:
        raise UnableToImportPrices(f"--to {end_day} must be after --from {first_day}")
    try:
        limits = import_limits()
        text = elering.fetch_json(local_midnight(first_day), local_midnight(end_day), limits=limits)
        points = elering.parse_json(text, area=area, limits=limits)
    except (elering.PriceFetchFailed, elering.PriceFileError) as exc:
        raise UnableToImportPrices(str(exc)) from exc
    return _store(points, area=area, source="Elering API", imported_at=imported_at)
