"""The two-page invoice PDF as a customer reads it: text extracted with ``pdftotext`` and the
EPC QR code decoded from a scan of page 1, in Estonian, Russian and English.

October 2026, network package V1, fixed product 0.12 EUR/kWh (see billing_factories): a
remote point using 100 Wh every quarter hour (2,980 quarters: DST ends on the 25th) is
298 kWh and 72.23 EUR; the reference number is the account's, the IBAN the supplier's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from billing_factories import (
    add_intervals,
    add_reading,
    day_night_product,
    fixed_product,
    manual_account,
    remote_account,
)
from document_checks import keep_pngs, pdf_pages, qr_codes
from vool.common import identifiers
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.documents.models import Supplier
from vool.domain.metering.models import Reading
from vool.usecases import bill_run, render_invoices

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
AS_OF = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)
IBAN_SHOWN = "EE382200221020145685"

# language -> (amount due as written, due date as written, the word for "estimated")
WRITTEN = {
    "et": ("72,23\xa0€", "19.11.2026", "hinnanguline"),
    "ru": ("72,23\xa0€", "19.11.2026", "оценочное"),
    "en": ("€72.23", "19\xa0Nov\xa02026", "estimated"),
}


def give_address(account: BillingAccount, *, language: str = "et") -> None:
    customer = account.customer
    customer.street_address = "Tartu mnt 1-2"
    customer.postal_code = "10115"
    customer.city = "Tallinn"
    customer.preferred_language = language
    customer.save()


def october_customer(language: str = "et") -> Invoice:
    contract = remote_account(product=fixed_product())
    give_address(contract.billing_account, language=language)
    add_intervals(contract.metering_point, OCTOBER, wh=100)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    return Invoice.objects.get(billing_account=contract.billing_account, period="2026-10")


def normalised(text: str) -> str:
    """pdftotext gives the no-break spaces back as they are; compare with them as spaces."""
    return " ".join(text.replace("\xa0", " ").split())


def contains(page: str, text: str) -> bool:
    return normalised(text) in normalised(page)


class TestTheInvoiceInEachLanguage:
    @pytest.mark.parametrize("language", ["et", "ru", "en"])
    def test_page_one_says_what_to_pay_and_how(self, supplier, tmp_path, language) -> None:
        invoice = october_customer(language)
        pdf = render_invoices.invoice_pdf(number=invoice.number, as_of=AS_OF)
        keep_pngs(pdf, f"invoice-{language}")
        page1 = pdf_pages(pdf, tmp_path)[0]
        amount, due, _ = WRITTEN[language]
        reference = invoice.billing_account.reference_number
        for text in (amount, due, reference, IBAN_SHOWN, supplier.name, "Tartu mnt 1-2"):
            assert contains(page1, text), f"{text!r} not on page 1 ({language})"
        assert contains(page1, "298 кВт·ч" if language == "ru" else "298 kWh")
        if language == "ru":
            assert contains(page1, "Счёт") and contains(page1, "Срок оплаты")
        if language == "et":
            assert contains(page1, "Maksetähtaeg") and contains(page1, "oktoober 2026")

    @pytest.mark.parametrize("language", ["et", "ru", "en"])
    def test_page_two_lists_every_line(self, supplier, tmp_path, language) -> None:
        invoice = october_customer(language)
        data = render_invoices.document_data(invoice)
        pdf = render_invoices.pdf_of_data(data)
        page2 = pdf_pages(pdf, tmp_path)[1]
        (point,) = data["points"]
        assert contains(page2, point["eic"])
        assert len(point["lines"]) == invoice.lines.count() == 5
        for line in point["lines"]:
            for key in ("name", "quantity_text", "unit_price_text", "amount_text"):
                assert contains(page2, line[key]), f"{line[key]!r} not on page 2"
            # quantity x unit price (per its base quantity) = amount, to the cent
            shown = (
                Decimal(line["quantity"])
                * Decimal(line["unit_price"])
                / Decimal(line["price_base_quantity"])
            )
            assert abs(shown - Decimal(line["amount"])) <= Decimal("0.005"), line
        fee = next(ln for ln in point["lines"] if ln["component"] == "PRODUCT_FEE")
        per = {"et": ("kuu", "päev"), "ru": ("мес.", "день"), "en": ("month", "day")}[language]
        wanted = per[0] if fee["price_base_quantity"] != "1" else per[1]
        assert normalised(fee["unit_price_text"]).endswith(f"/{wanted}")
        # the VAT breakdown: 24 % of 58.25 is 13.98
        assert contains(page2, "58,25 €" if language != "en" else "€58.25")
        assert contains(page2, "13,98 €" if language != "en" else "€13.98")

    def test_the_qr_code_pays_the_amount_due_with_the_rf_reference(
        self, supplier, tmp_path
    ) -> None:
        invoice = october_customer()
        pdf = render_invoices.invoice_pdf(number=invoice.number, as_of=AS_OF)
        (payload,) = qr_codes(pdf, tmp_path)
        rf = identifiers.reference_to_rf(invoice.billing_account.reference_number)
        assert payload.split("\n") == [
            "BCD",
            "002",
            "1",
            "SCT",
            "HABAEE2X",
            "Vool Energia AS",
            IBAN_SHOWN,
            "EUR72.23",
            "",
            rf,
        ]
        assert identifiers.rf_to_reference(rf) == invoice.billing_account.reference_number


def test_a_remote_day_night_point_shows_its_interval_totals_by_band(supplier, tmp_path) -> None:
    contract = remote_account(product=day_night_product())
    give_address(contract.billing_account)
    add_intervals(contract.metering_point, OCTOBER, wh=100)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    data = render_invoices.document_data(Invoice.objects.get())
    intervals = data["points"][0]["intervals"]
    bands = {b["band"]: b["kwh_text"] for b in intervals["by_band"]}
    assert set(bands) == {"DAY", "NIGHT"} and intervals["kwh_text"] == "298,000"
    day, night = (Decimal(bands[b].replace(",", ".")) for b in ("DAY", "NIGHT"))
    assert day + night == Decimal("298.000")
    page2 = pdf_pages(render_invoices.pdf_of_data(data), tmp_path)[1]
    assert contains(page2, f"päev {bands['DAY']} kWh") and contains(
        page2, f"öö {bands['NIGHT']} kWh"
    )


class TestEstimatesAndCorrections:
    @pytest.mark.parametrize("language", ["et", "ru", "en"])
    def test_an_estimated_bill_says_so_in_the_customers_language(
        self, supplier, tmp_path, language
    ) -> None:
        contract, register = manual_account(product=fixed_product())
        give_address(contract.billing_account, language=language)
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1200", source=Reading.Source.ESTIMATED)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        invoice = Invoice.objects.get()
        pdf = render_invoices.invoice_pdf(number=invoice.number, as_of=AS_OF)
        keep_pngs(pdf, f"estimated-{language}")
        page1, page2, *_ = pdf_pages(pdf, tmp_path)
        word = WRITTEN[language][2]
        assert word in page1.lower() and word in page2.lower()
        # the readings used: 1 000 (actual) to 1 200 (estimated), 200 kWh
        end = {"et": "1 200 kWh", "ru": "1 200 кВт·ч", "en": "1,200 kWh"}[language]
        assert contains(page2, end)

    def test_a_true_up_is_named_with_the_months_it_corrects(self, supplier, tmp_path) -> None:
        contract, register = manual_account(product=fixed_product())
        give_address(contract.billing_account)
        add_reading(register, Month(2026, 9), "1000")
        add_reading(register, OCTOBER, "1200", source=Reading.Source.ESTIMATED)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        add_reading(register, NOVEMBER, "1500")
        bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
        november = Invoice.objects.get(period="2026-11", kind="INVOICE")
        data = render_invoices.document_data(november)
        true_ups = [ln for ln in data["points"][0]["lines"] if ln["is_true_up"]]
        assert [ln["true_up_period_text"] for ln in true_ups] == ["oktoober 2026"] * 3
        page1, page2, *_ = pdf_pages(render_invoices.pdf_of_data(data), tmp_path)
        assert contains(page2, "ümberarvestus oktoober 2026")
        # October (51.32) was not paid: it is carried, and the total to pay includes it
        assert data["amounts"]["balance_carried"] == "51.32"
        assert data["amounts"]["total_to_pay"] == str(Decimal("51.32") + november.amount_due)
        assert contains(page1, data["amounts"]["total_to_pay_text"])
        # consumption against last year: October's 200 kWh is in the 13-month chart
        assert data["consumption"]["months"][-2] == {
            "period": "2026-10",
            "label": "okt",
            "year": "2026",
            "kwh": "200.000",
            "current": False,
        }

    def test_a_credit_note_names_the_invoice_it_corrects(self, supplier, tmp_path) -> None:
        invoice = october_customer()
        note = bill_run.credit_invoice(
            number=invoice.number, reason="Vale näit", today=dt.date(2026, 11, 10)
        )
        pdf = render_invoices.invoice_pdf(number=note.number, as_of=AS_OF)
        keep_pngs(pdf, "credit-note-et")
        page1 = pdf_pages(pdf, tmp_path)[0]
        assert contains(page1, f"Kreeditarve {note.number}")
        assert contains(page1, f"Parandab arvet {invoice.number}")
        assert contains(page1, "-72,23 €")
        assert qr_codes(pdf, tmp_path) == []  # nothing to pay by QR

    def test_automatic_payment_is_said_on_page_one(self, supplier, tmp_path) -> None:
        invoice = october_customer()
        BillingAccount.objects.filter(pk=invoice.billing_account_id).update(
            payment_method=BillingAccount.PaymentMethod.DIRECT_DEBIT
        )
        invoice.refresh_from_db()
        page1 = pdf_pages(
            render_invoices.pdf_of_data(render_invoices.document_data(invoice)), tmp_path
        )[0]
        assert contains(page1, "Tasutakse otsekorraldusega")
        assert contains(page1, "käsitsi pole vaja maksta")


class TestBadInput:
    def test_no_address_names_the_invoice_and_the_field(self, supplier) -> None:
        invoice = october_customer()
        Customer.objects.filter(pk=invoice.billing_account.customer_id).update(street_address="")
        with pytest.raises(render_invoices.InvalidInvoiceDocument) as caught:
            render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)
        assert str(caught.value) == f"Invoice {invoice.number}: customer.street_address: is empty"
        assert not hasattr(Invoice.objects.get(pk=invoice.pk), "document")

    def test_a_language_without_a_translation_is_named(self, supplier) -> None:
        invoice = october_customer()
        Customer.objects.filter(pk=invoice.billing_account.customer_id).update(
            preferred_language="fi"
        )
        with pytest.raises(render_invoices.InvalidInvoiceDocument) as caught:
            render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)
        assert str(caught.value) == (
            f"Invoice {invoice.number}: customer.preferred_language: no translation for 'fi'"
        )

    def test_a_too_long_name_is_refused(self, supplier) -> None:
        invoice = october_customer()
        customer = invoice.billing_account.customer
        customer.name = "Ä" * 71
        customer.save()
        with pytest.raises(render_invoices.InvalidInvoiceDocument, match=r"customer\.name: has 71"):
            render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)

    def test_without_a_supplier_iban_nothing_is_rendered(self, settings) -> None:
        invoice = october_customer()
        settings.VOOL_SUPPLIER = {**settings.VOOL_SUPPLIER, "name": "Vool", "street_address": "X 1"}
        missing = r"supplier\.iban: no IBAN"
        with pytest.raises(render_invoices.InvalidInvoiceDocument, match=missing):
            render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)
        assert not Path(settings.VOOL_DOCUMENTS_DIR).exists()

    def test_the_settings_supplier_is_used_when_none_is_active(self, settings, tmp_path) -> None:
        invoice = october_customer()
        settings.VOOL_SUPPLIER = {
            "name": "Seadete Energia OÜ",
            "street_address": "Pikk 1",
            "city": "Tartu",
            "postal_code": "51004",
            "registry_code": "10000356",
            "iban": IBAN_SHOWN,
        }
        data = render_invoices.document_data(invoice)
        assert data["supplier"]["name"] == "Seadete Energia OÜ"


class TestAPdfNeverChanges:
    def test_rendering_again_keeps_the_same_document(self, supplier, settings) -> None:
        invoice = october_customer()
        first = render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)
        again = render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)
        assert again.pk == first.pk and again.sha256 == first.sha256
        stored = Path(settings.VOOL_DOCUMENTS_DIR) / first.path
        assert first.path == f"{first.sha256[:2]}/{first.sha256}.pdf" and stored.is_file()

    def test_a_differing_re_render_is_an_error(self, supplier) -> None:
        invoice = october_customer()
        first = render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)
        Supplier.objects.filter(pk=supplier.pk).update(name="Uus Nimi AS")
        with pytest.raises(render_invoices.DocumentChanged, match=f"Invoice {invoice.number}"):
            render_invoices.render_invoice(invoice_id=invoice.pk, as_of=AS_OF)
        pdf = render_invoices.invoice_pdf(number=invoice.number, as_of=AS_OF)
        assert b"Uus Nimi" not in pdf and len(pdf) == first.size_bytes
