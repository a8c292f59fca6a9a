"""``vool invoices pdf|render`` and the admin's download of a rendered PDF."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from billing_factories import add_intervals, fixed_product, load_test_tariffs, remote_account
from document_checks import pdf_pages
from documents_factories import make_supplier
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import Customer
from vool.domain.documents.models import InvoiceDocument
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)


def vool(*args: str) -> str:
    out = StringIO()
    call_command("invoices", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def billed(settings, tmp_path) -> Invoice:  # type: ignore[no-untyped-def]
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"
    load_test_tariffs()
    make_supplier()
    contract = remote_account(product=fixed_product())
    Customer.objects.filter(pk=contract.billing_account.customer_id).update(
        street_address="Lai 1", postal_code="10133", city="Tallinn"
    )
    add_intervals(contract.metering_point, OCTOBER, wh=100)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    return Invoice.objects.get()


def test_pdf_writes_the_invoice_to_a_file(billed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "arve.pdf"
    output = vool("pdf", str(billed.number), "-o", str(target))
    assert f"Invoice {billed.number}: {target}" in output
    page1 = pdf_pages(target.read_bytes(), tmp_path)[0]
    assert "72,23" in page1 and billed.billing_account.reference_number in page1
    assert InvoiceDocument.objects.filter(invoice=billed).exists()


def test_pdf_of_an_unknown_number_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(CommandError, match="There is no issued invoice number 999"):
        vool("pdf", "999", "-o", str(tmp_path / "x.pdf"))


def test_render_reports_and_a_second_run_renders_nothing(billed) -> None:  # type: ignore[no-untyped-def]
    output = vool("render", "--period", "2026-10", "--no-progress")
    assert "Invoices of 2026-10: 1 rendered, 0 failed, of 1 without a PDF." in output
    assert "ms and" in output and "KB per invoice" in output
    output = vool("render", "--period", "2026-10", "--no-progress")
    assert "0 rendered, 0 failed, of 0 without a PDF." in output


def test_render_fails_listing_the_invoices_it_could_not_render(billed) -> None:  # type: ignore[no-untyped-def]
    Customer.objects.update(street_address="")
    out = StringIO()
    with pytest.raises(CommandError, match="1 invoice\\(s\\) could not be rendered"):
        call_command("invoices", "render", "--period", "2026-10", "--no-progress", stdout=out)
    assert f"Invoice {billed.number}: customer.street_address: is empty" in out.getvalue()


def test_the_admin_downloads_the_pdf(billed, client) -> None:  # type: ignore[no-untyped-def]
    vool("render", "--period", "2026-10", "--no-progress")
    document = InvoiceDocument.objects.get()
    client.force_login(get_user_model().objects.create_superuser("admin", "a@example.ee", "pw"))
    listing = client.get(reverse("admin:documents_invoicedocument_changelist"))
    url = reverse("admin:documents_invoicedocument_pdf", args=[document.pk])
    assert url in listing.content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    stored = Path(billed.__class__.objects.get().document.path)
    assert body.startswith(b"%PDF-") and len(body) == document.size_bytes
    assert stored.name == f"{document.sha256}.pdf"
