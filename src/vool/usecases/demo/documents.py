"""The demo's bill documents: a plausible supplier on the bills, and the PDFs of the latest
billed month (so the admin has invoices to show and download)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from vool.common.localtime import TALLINN, Month
from vool.domain.billing import queries as billing_queries
from vool.domain.documents import operations as document_operations
from vool.usecases import render_invoices

if TYPE_CHECKING:
    from vool.domain.documents.models import Supplier

DEMO_SUPPLIER = {
    "name": "Vool Energia AS",
    "street_address": "Narva mnt 5",
    "city": "Tallinn",
    "postal_code": "10117",
    "country": "EE",
    "registry_code": "10000356",
    "vat_number": "EE100000356",
    "iban": "EE382200221020145685",
    "bic": "HABAEE2X",
    "bank_name": "Swedbank",
    "email": "arved@vool.example",
    "phone": "+372 600 0000",
    "website": "vool.example",
}


def ensure_demo_supplier() -> Supplier:
    """The active supplier; the demo's is made when none is active (idempotent)."""
    return document_operations.ensure_supplier(details=DEMO_SUPPLIER)


def render_latest_month(
    *, as_of: dt.date, on_progress: Callable[[str, int, int], None] | None = None
) -> render_invoices.RenderReport | None:
    """Render the invoices of the latest billed month (None: nothing is billed yet)."""
    latest = billing_queries.latest_billed_period()
    if latest is None:
        return None
    return render_invoices.render_period(
        period=Month.parse(latest),
        as_of=dt.datetime.combine(as_of, dt.time(12), tzinfo=TALLINN),
        on_progress=on_progress,
    )
