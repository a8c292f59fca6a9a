"""The demo seeds a supplier and renders its latest month: every seeded bill renders."""

from __future__ import annotations

import datetime as dt

import pytest

from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.documents.models import InvoiceDocument, Supplier
from vool.usecases.demo import billing, documents, seed

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 20)


def test_the_demo_supplier_is_seeded_once_and_every_latest_bill_renders(settings, tmp_path) -> None:
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"
    seed.seed_demo(customers=12, seed=5, as_of=AS_OF, history_months=2)
    assert Supplier.objects.get(is_active=True).name == "Vool Energia AS"
    documents.ensure_demo_supplier()
    assert Supplier.objects.count() == 1
    billing.bill_history(first_month=Month(2026, 1), as_of=AS_OF, seed=5)

    report = documents.render_latest_month(as_of=AS_OF)

    assert report is not None and report.period == "2026-02"
    latest = Invoice.objects.filter(period="2026-02", number__isnull=False).count()
    assert latest > 0
    assert (report.rendered, report.failures) == (latest, [])
    assert InvoiceDocument.objects.filter(invoice__period="2026-02").count() == latest
