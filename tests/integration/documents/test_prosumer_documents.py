"""A prosumer's invoice on paper and as e-invoices (issue 15): the surplus credit (a negative
line, no VAT) is in the document data and the PDF, the Peppol UBL passes XSD, EN 16931 and
Peppol BIS 3 (the credit as category Z 0 %, see docs/architecture.md "Prosumers"), and the
e-arve passes its XSD and sums. The month is the one of ``billing/test_billing_prosumer.py``:
3 days of August 2026, 14.4 kWh net OUT, 28.8 kWh net IN at 0.08 EUR/kWh = -2.30.

The September bill of ``billing/test_billing_prosumer_true_ups.py`` carries the true-up of a
corrected net-billed day (30 August: net OUT +14.4 kWh, net IN -7.2 kWh): ENERGY 1.73,
NETWORK_ENERGY 0.72, EXCISE 0.03 and the surplus credit taken back, PRODUCTION +7.200 kWh x
0.08 = 0.58 at 0 %; net 11.78, VAT 8.22, gross 20.00."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from billing_factories import (
    fixed_product,
    import_prosumer_days,
    net_billing_from_august_2026,
    production_product,
    remote_account,
)
from document_checks import pdf_pages, schematron_failures
from factories import BusinessFactory
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.documents.models import EInvoiceChannel
from vool.integrations.einvoice import earve
from vool.integrations.einvoice.ubl import NS, xsd_errors
from vool.usecases import bill_run, deliver_invoices, render_invoices

pytestmark = pytest.mark.django_db
AUGUST = Month(2026, 8)
SEPTEMBER = Month(2026, 9)
SEPTEMBER_AS_OF = dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC)
AS_OF = dt.datetime(2026, 9, 5, 12, tzinfo=dt.UTC)
SCHEMAS = Path(settings.VOOL_SCHEMAS_DIR)
needs_schemas = pytest.mark.skipif(
    not (SCHEMAS / "ubl-2.1").is_dir() and not os.environ.get("CI"),
    reason=f"no standard schemas at {SCHEMAS} (set VOOL_SCHEMAS_DIR)",
)


def prosumer_invoice(*, business: bool = False) -> Invoice:
    net_billing_from_august_2026()
    contract = remote_account(product=fixed_product(), valid_from=dt.date(2026, 8, 29))
    contract.production_product = production_product(buyback="0.080000")
    contract.save()
    account = contract.billing_account
    if business:
        account.customer = BusinessFactory(
            name="Päikese OÜ",
            vat_number="EE100000356",
            street_address="Tähe 4",
            postal_code="50103",
            city="Tartu",
        )
        account.save()
    else:
        Customer.objects.filter(pk=account.customer_id).update(
            street_address="Lai 1", postal_code="10133", city="Tallinn", preferred_language="en"
        )
    import_prosumer_days(
        contract.metering_point,
        dt.date(2026, 8, 29),
        dt.date(2026, 9, 1),
        as_of=dt.datetime(2026, 9, 1, 6, tzinfo=dt.UTC),
    )
    bill_run.run_billing(period=AUGUST, today=dt.date(2026, 9, 5))
    return Invoice.objects.get(billing_account=account, kind="INVOICE")


def corrected_prosumer_invoice(*, business: bool = False) -> Invoice:
    """The September invoice of the prosumer, with the true-up of 30 August."""
    august = prosumer_invoice(business=business)
    point = august.lines.get(component="PRODUCTION").metering_point
    import_prosumer_days(
        point,
        SEPTEMBER.first_day,
        SEPTEMBER.next().first_day,
        as_of=dt.datetime(2026, 10, 1, 6, tzinfo=dt.UTC),
    )
    import_prosumer_days(
        point,
        dt.date(2026, 8, 30),
        dt.date(2026, 8, 31),
        as_of=dt.datetime(2026, 9, 20, tzinfo=dt.UTC),
        morning_net_out_wh=400,
        afternoon_net_in_wh=50,
    )
    bill_run.run_billing(period=SEPTEMBER, today=dt.date(2026, 10, 5))
    return Invoice.objects.get(billing_account=august.billing_account, period=str(SEPTEMBER))


def test_the_document_data_and_the_pdf_show_the_credit(supplier, tmp_path) -> None:
    invoice = prosumer_invoice()
    data = render_invoices.document_data(invoice)
    (point,) = data["points"]
    credit = point["lines"][-1]
    assert credit["component"] == "PRODUCTION"
    assert credit["name"] == "Surplus fed into the grid (credit)"
    assert (credit["quantity"], Decimal(credit["unit_price"]), credit["amount"]) == (
        "-28.800", Decimal("0.08"), "-2.30",
    )  # fmt: skip
    assert Decimal(credit["vat_rate"]) == 0
    lines = [ln for p in data["points"] for ln in p["lines"]] + data["other_lines"]
    assert sum(Decimal(ln["amount"]) for ln in lines) == invoice.net_amount == Decimal("0.86")
    assert {Decimal(row["rate"]): Decimal(row["base"]) for row in data["vat"]} == {
        Decimal(0): Decimal("-2.30"),
        Decimal("0.24"): Decimal("3.16"),
    }
    assert point["intervals"]["kwh"] == "14.4"  # the net consumption billed
    pdf = render_invoices.invoice_pdf(number=invoice.number, as_of=AS_OF)
    text = " ".join(pdf_pages(pdf, tmp_path))
    assert "Surplus fed into the grid (credit)" in text
    assert "-€2.30" in text  # the credit line and the 0 % VAT row


@needs_schemas
def test_the_peppol_ubl_passes_with_the_credit(supplier) -> None:
    invoice = prosumer_invoice(business=True)
    xml = render_invoices.invoice_ubl(number=invoice.number)
    problems = [
        *xsd_errors(xml, SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"),
        *schematron_failures(
            xml, SCHEMAS / "en16931" / "ubl" / "xslt" / "EN16931-UBL-validation.xslt"
        ),
        *schematron_failures(xml, SCHEMAS / "peppol-bis3" / "PEPPOL-EN16931-UBL.xslt"),
    ]
    assert problems == []
    root = etree.fromstring(xml)
    last = root.findall("cac:InvoiceLine", NS)[-1]
    assert last.findtext("cbc:InvoicedQuantity", namespaces=NS) == "-28.800"
    assert last.findtext("cbc:LineExtensionAmount", namespaces=NS) == "-2.30"
    assert Decimal(last.findtext("cac:Price/cbc:PriceAmount", namespaces=NS)) == Decimal("0.08")
    assert last.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", namespaces=NS) == "Z"
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "1.62"


@needs_schemas
def test_the_e_arve_passes_with_the_credit(supplier, tmp_path) -> None:
    invoice = prosumer_invoice()
    account = BillingAccount.objects.get(pk=invoice.billing_account_id)
    BillingAccount.objects.filter(pk=account.pk).update(
        invoice_channel="E_INVOICE", payment_method="BANK_TRANSFER"
    )
    EInvoiceChannel.objects.create(
        billing_account=account, bank_bic="LHVBEE22", payer_iban="EE471000001020145685"
    )
    assert render_invoices.render_period(period=AUGUST, as_of=AS_OF).failures == []
    xsd = SCHEMAS / "e-arve" / "e-invoice_ver1.2.xsd"
    report = deliver_invoices.einvoice_batch(
        period=AUGUST, as_of=AS_OF, output=tmp_path / "earve.xml", schema=xsd
    )
    assert report.failures == [] and report.included == [invoice.number]
    xml = report.file.read_bytes()
    assert earve.check(xml, xsd) == []
    node = etree.fromstring(xml).find("Invoice")
    items = node.findall("InvoiceItem/InvoiceItemGroup/ItemEntry")
    assert sum(Decimal(i.findtext("ItemSum")) for i in items) == invoice.net_amount
    assert items[-1].findtext("ItemSum") == "-2.30"
    assert node.findtext("InvoiceSumGroup/TotalSum") == "1.62"


class TestATrueUpOfANetBilledDay:
    def test_the_document_data_and_the_pdf_name_the_true_ups_with_their_month(
        self, supplier, tmp_path
    ) -> None:
        invoice = corrected_prosumer_invoice()
        data = render_invoices.document_data(invoice)
        lines = [ln for p in data["points"] for ln in p["lines"]] + data["other_lines"]
        true_ups = [
            (ln["component"], ln["quantity"], Decimal(ln["unit_price"]), ln["amount"])
            for ln in lines
            if ln["is_true_up"]
        ]
        assert true_ups == [
            ("ENERGY", "14.400", Decimal("0.12"), "1.73"),
            ("NETWORK_ENERGY", "14.400", Decimal("0.05"), "0.72"),
            ("EXCISE", "14.400", Decimal("0.002"), "0.03"),
            ("PRODUCTION", "7.200", Decimal("0.08"), "0.58"),
        ]
        assert {ln["true_up_period_text"] for ln in lines if ln["is_true_up"]} == {"August 2026"}
        assert sum(Decimal(ln["amount"]) for ln in lines) == invoice.net_amount == Decimal("11.78")
        assert {Decimal(row["rate"]): Decimal(row["base"]) for row in data["vat"]} == {
            Decimal(0): Decimal("-22.46"),
            Decimal("0.24"): Decimal("34.24"),
        }
        assert data["consumption"]["kwh"] == "144.000"  # the month's own net OUT, no true-ups
        pdf = render_invoices.invoice_pdf(number=invoice.number, as_of=SEPTEMBER_AS_OF)
        text = " ".join(pdf_pages(pdf, tmp_path))
        assert "August 2026" in text and "€0.58" in text

    @needs_schemas
    def test_the_peppol_ubl_passes_with_the_true_ups(self, supplier) -> None:
        invoice = corrected_prosumer_invoice(business=True)
        xml = render_invoices.invoice_ubl(number=invoice.number)
        problems = [
            *xsd_errors(xml, SCHEMAS / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"),
            *schematron_failures(
                xml, SCHEMAS / "en16931" / "ubl" / "xslt" / "EN16931-UBL-validation.xslt"
            ),
            *schematron_failures(xml, SCHEMAS / "peppol-bis3" / "PEPPOL-EN16931-UBL.xslt"),
        ]
        assert problems == []
        root = etree.fromstring(xml)
        last = root.findall("cac:InvoiceLine", NS)[-1]
        assert last.findtext("cbc:InvoicedQuantity", namespaces=NS) == "7.200"
        assert last.findtext("cbc:LineExtensionAmount", namespaces=NS) == "0.58"
        assert last.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", namespaces=NS) == "Z"
        assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "20.00"

    @needs_schemas
    def test_the_e_arve_passes_with_the_true_ups(self, supplier, tmp_path) -> None:
        invoice = corrected_prosumer_invoice()
        account = BillingAccount.objects.get(pk=invoice.billing_account_id)
        BillingAccount.objects.filter(pk=account.pk).update(
            invoice_channel="E_INVOICE", payment_method="BANK_TRANSFER"
        )
        EInvoiceChannel.objects.create(
            billing_account=account, bank_bic="LHVBEE22", payer_iban="EE471000001020145685"
        )
        assert render_invoices.render_period(period=SEPTEMBER, as_of=SEPTEMBER_AS_OF).failures == []
        xsd = SCHEMAS / "e-arve" / "e-invoice_ver1.2.xsd"
        report = deliver_invoices.einvoice_batch(
            period=SEPTEMBER, as_of=SEPTEMBER_AS_OF, output=tmp_path / "earve.xml", schema=xsd
        )
        assert report.failures == [] and report.included == [invoice.number]
        xml = report.file.read_bytes()
        assert earve.check(xml, xsd) == []
        node = etree.fromstring(xml).find("Invoice")
        items = node.findall("InvoiceItem/InvoiceItemGroup/ItemEntry")
        assert sum(Decimal(i.findtext("ItemSum")) for i in items) == invoice.net_amount
        assert items[-1].findtext("ItemSum") == "0.58"
        assert node.findtext("InvoiceSumGroup/TotalSum") == "20.00"
