"""Peppol BIS Billing 3.0 UBL for business customers, validated as the receivers do: the UBL
2.1 XSD, the EN 16931 Schematron and the Peppol BIS 3 Schematron (compiled XSLT from
``VOOL_SCHEMAS_DIR``, run offline with saxonche)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from billing_factories import (
    add_intervals,
    add_reading,
    fixed_product,
    manual_account,
    remote_account,
)
from document_checks import schematron_failures
from factories import BusinessFactory
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import Customer
from vool.domain.metering.models import Reading
from vool.integrations.einvoice.ubl import NS, UnableToBuildUbl, xsd_errors
from vool.usecases import bill_run, render_invoices

SCHEMAS = Path(settings.VOOL_SCHEMAS_DIR)
pytestmark = [
    pytest.mark.django_db,
    # Skipped only off CI (a worktree without ../shared); on CI the schemas must be there.
    pytest.mark.skipif(
        not (SCHEMAS / "ubl-2.1").is_dir() and not os.environ.get("CI"),
        reason=f"no standard schemas at {SCHEMAS} (set VOOL_SCHEMAS_DIR)",
    ),
]
OCTOBER = Month(2026, 10)
INVOICE_XSD = SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
CREDIT_NOTE_XSD = SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"
EN16931 = SCHEMAS / "en16931" / "ubl" / "xslt" / "EN16931-UBL-validation.xslt"
PEPPOL = SCHEMAS / "peppol-bis3" / "PEPPOL-EN16931-UBL.xslt"


def business(account) -> None:  # type: ignore[no-untyped-def]
    company = BusinessFactory(
        name="Õunaaed OÜ",
        vat_number="EE100000356",
        street_address="Tähe 4",
        postal_code="50103",
        city="Tartu",
    )
    account.customer = company
    account.save()


def problems(xml: bytes, xsd: Path = INVOICE_XSD) -> list[str]:
    return [
        *xsd_errors(xml, xsd),
        *schematron_failures(xml, EN16931),
        *schematron_failures(xml, PEPPOL),
    ]


def value(xml: bytes, path: str) -> str:
    return etree.fromstring(xml).findtext(path, namespaces=NS)


@pytest.fixture
def business_invoice(supplier) -> Invoice:  # type: ignore[no-untyped-def]
    contract = remote_account(product=fixed_product())
    business(contract.billing_account)
    add_intervals(contract.metering_point, OCTOBER, wh=100)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    return Invoice.objects.get()


class TestPeppolUbl:
    def test_a_business_invoice_passes_xsd_en16931_and_peppol(self, business_invoice) -> None:
        xml = render_invoices.invoice_ubl(number=business_invoice.number)
        assert problems(xml) == []
        assert value(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "72.23"
        assert value(xml, "cac:TaxTotal/cbc:TaxAmount") == "13.98"
        assert value(xml, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount") == "58.25"
        assert value(xml, "cac:PaymentMeans/cbc:PaymentID") == (
            business_invoice.billing_account.reference_number
        )
        lines = etree.fromstring(xml).findall("cac:InvoiceLine", NS)
        assert len(lines) == business_invoice.lines.count()
        total = sum(Decimal(ln.findtext("cbc:LineExtensionAmount", namespaces=NS)) for ln in lines)
        assert total == business_invoice.net_amount

    def test_a_credit_note_passes_and_names_the_invoice(self, business_invoice) -> None:
        note = bill_run.credit_invoice(
            number=business_invoice.number, reason="Vale näit", today=dt.date(2026, 11, 10)
        )
        xml = render_invoices.invoice_ubl(number=note.number)
        assert problems(xml, CREDIT_NOTE_XSD) == []
        assert (
            etree.fromstring(xml).tag
            == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
        )
        assert value(xml, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == str(
            business_invoice.number
        )
        assert value(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "72.23"

    def test_an_estimated_invoice_with_a_true_up_passes(self, supplier) -> None:
        contract, register = manual_account(product=fixed_product())
        business(contract.billing_account)
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1200", source=Reading.Source.ESTIMATED)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        add_reading(register, Month(2026, 11), "1500")
        bill_run.run_billing(period=Month(2026, 11), today=dt.date(2026, 12, 4))
        for invoice in Invoice.objects.order_by("number"):
            assert problems(render_invoices.invoice_ubl(number=invoice.number)) == []

    def test_a_zero_amount_invoice_passes(self, supplier) -> None:
        contract = remote_account(product=fixed_product(fee="0.00"))
        business(contract.billing_account)
        add_intervals(contract.metering_point, OCTOBER, wh=0)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        invoice = Invoice.objects.get()
        xml = render_invoices.invoice_ubl(number=invoice.number)
        assert problems(xml) == []
        assert value(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == str(invoice.amount_due)


class TestBrokenDocumentsAreCaught:
    def test_a_wrong_total_fails_en16931(self, business_invoice) -> None:
        xml = render_invoices.invoice_ubl(number=business_invoice.number)
        broken = xml.replace(
            b'<cbc:TaxInclusiveAmount currencyID="EUR">72.23<',
            b'<cbc:TaxInclusiveAmount currencyID="EUR">99.99<',
        )
        assert broken != xml
        failures = schematron_failures(broken, EN16931)
        assert any(f.startswith("BR-CO-15") for f in failures), failures

    def test_a_missing_vat_category_fails(self, business_invoice) -> None:
        xml = render_invoices.invoice_ubl(number=business_invoice.number)
        root = etree.fromstring(xml)
        for category in root.findall(".//cac:ClassifiedTaxCategory", NS):
            category.getparent().remove(category)
        broken = etree.tostring(root)
        failures = schematron_failures(broken, EN16931)
        assert any(f.startswith("BR-CO-04") for f in failures), failures

    def test_a_household_gets_no_peppol_invoice(self, supplier) -> None:
        contract = remote_account(product=fixed_product())
        Customer.objects.filter(pk=contract.billing_account.customer_id).update(
            street_address="Lai 1", city="Tallinn"
        )
        add_intervals(contract.metering_point, OCTOBER, wh=100)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        with pytest.raises(UnableToBuildUbl, match=r"customer\.kind"):
            render_invoices.invoice_ubl(number=Invoice.objects.get().number)
