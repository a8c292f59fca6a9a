"""Peppol BIS Billing 3.0 (EN 16931) UBL 2.1 invoices and credit notes, built with lxml.

Input is an invoice's document data (schema ``vool.invoice/1``, built by
``vool.domain.documents.invoice_data``): plain values, every amount a decimal string, so
every total and VAT amount is exactly the invoice's. Pure: no Django, no domain imports.

Choices: both parties are addressed by their Estonian registry code (EAS ``0191``); the buyer
reference (BT-10) is the billing account's reference number, repeated as the payment id with
the supplier's IBAN (payment means 30, credit transfer); a credit balance applied is the
prepaid amount (BT-113). A credit note is a UBL ``CreditNote`` (type 381) with the amounts
positive, referring to the invoice it corrects (BT-25). Each line's price base quantity
(BT-149) comes with the data (the month's days for a fee priced by the month), so quantity x
price / base = amount as EN 16931 asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from lxml import etree

NS: Final[dict[str | None, str]] = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
INVOICE_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS: Final = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CUSTOMIZATION: Final = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
ESTONIAN_REGISTRY: Final = "0191"  # EAS: Estonian Company Code (Äriregister)
UNIT_CODES: Final = {"KWH": "KWH", "DAY": "DAY", "PCS": "C62"}  # UN/ECE Recommendation 20
CURRENCY: Final = "EUR"
CENT: Final = Decimal("0.01")
TOLERANCE: Final = Decimal("0.01")


class UnableToBuildUbl(ValueError):
    """The invoice cannot be a Peppol e-invoice as it is; the message names the field."""


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", **attrs)
    if text is not None:
        element.text = text
    return element


def _amount(parent: etree._Element, tag: str, value: Decimal) -> None:
    _el(parent, tag, f"{value.quantize(CENT)}", currencyID=CURRENCY)


def _tax_category(parent: etree._Element, tag: str, rate: Decimal) -> None:
    category = _el(parent, tag)
    _el(category, "cbc:ID", "S" if rate > 0 else "Z")
    _el(category, "cbc:Percent", f"{(rate * 100).normalize():f}")
    _el(_el(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _party(parent: etree._Element, tag: str, party: Mapping[str, Any], code: str) -> None:
    node = _el(_el(parent, tag), "cac:Party")
    _el(node, "cbc:EndpointID", code, schemeID=ESTONIAN_REGISTRY)
    _el(_el(node, "cac:PartyName"), "cbc:Name", party["name"])
    address = _el(node, "cac:PostalAddress")
    _el(address, "cbc:StreetName", party["street_address"])
    _el(address, "cbc:CityName", party["city"])
    if party.get("postal_code"):
        _el(address, "cbc:PostalZone", party["postal_code"])
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.get("country") or "EE")
    if party.get("vat_number"):
        scheme = _el(node, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party["vat_number"])
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(node, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party["name"])
    _el(legal, "cbc:CompanyID", code, schemeID=ESTONIAN_REGISTRY)


def _price(line: Mapping[str, Any], sign: int) -> tuple[Decimal, Decimal]:
    """(price, base quantity), checked: quantity x price / base = amount within a cent."""
    quantity = Decimal(line["quantity"]) * sign
    amount = Decimal(line["amount"]) * sign
    price = Decimal(line["unit_price"]) if line["unit_price"] is not None else Decimal(0)
    base = Decimal(line.get("price_base_quantity") or 1)
    if abs(quantity * price / base - amount) > TOLERANCE:
        raise UnableToBuildUbl(
            f"Line {line['position']} ({line['component']}): {line['quantity']} x "
            f"{line['unit_price']} / {base} does not give {line['amount']}."
        )
    return price, base


def _line(
    root: etree._Element,
    kind: str,
    line: Mapping[str, Any],
    number: int,
    sign: int,
    invoice_period: tuple[str, str],
) -> None:
    tag, quantity_tag = (
        ("cac:InvoiceLine", "cbc:InvoicedQuantity")
        if kind == "INVOICE"
        else ("cac:CreditNoteLine", "cbc:CreditedQuantity")
    )
    node = _el(root, tag)
    _el(node, "cbc:ID", str(number))
    unit = UNIT_CODES.get(line["unit"])
    if unit is None:
        raise UnableToBuildUbl(f"Line {line['position']}: no UN/ECE code for unit {line['unit']}")
    quantity = Decimal(line["quantity"]) * sign
    _el(node, quantity_tag, f"{quantity:f}", unitCode=unit)
    _amount(node, "cbc:LineExtensionAmount", Decimal(line["amount"]) * sign)
    if invoice_period[0] <= line["period_start"] and line["period_end"] <= invoice_period[1]:
        # a line period must lie within the invoice's (PEPPOL-EN16931-R110/R111); a true-up
        # of an earlier month names that month in the item name instead
        period = _el(node, "cac:InvoicePeriod")
        _el(period, "cbc:StartDate", line["period_start"])
        end = dt.date.fromisoformat(line["period_end"]) - dt.timedelta(days=1)
        _el(period, "cbc:EndDate", end.isoformat())
    item = _el(node, "cac:Item")
    name = line["name"] + (f", {line['band_text']}" if line["band_text"] else "")
    if line["is_true_up"]:
        name += f" ({line['true_up_period_text']})"
    _el(item, "cbc:Name", name)
    _tax_category(item, "cac:ClassifiedTaxCategory", Decimal(line["vat_rate"]))
    price, base = _price(line, sign)
    price_node = _el(node, "cac:Price")
    _el(price_node, "cbc:PriceAmount", f"{price:f}", currencyID=CURRENCY)
    if base != 1:
        _el(price_node, "cbc:BaseQuantity", f"{base:f}", unitCode=unit)


def _all_lines(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    lines = [line for point in data["points"] for line in point["lines"]]
    return sorted([*lines, *data["other_lines"]], key=lambda ln: ln["position"])


def _header(root: etree._Element, data: Mapping[str, Any], is_invoice: bool) -> None:
    invoice = data["invoice"]
    _el(root, "cbc:CustomizationID", CUSTOMIZATION)
    _el(root, "cbc:ProfileID", PROFILE)
    _el(root, "cbc:ID", invoice["number"])
    _el(root, "cbc:IssueDate", invoice["issue_date"])
    if is_invoice:
        _el(root, "cbc:DueDate", invoice["due_date"])
        _el(root, "cbc:InvoiceTypeCode", "380")
    else:
        _el(root, "cbc:CreditNoteTypeCode", "381")
    _el(root, "cbc:DocumentCurrencyCode", CURRENCY)
    _el(root, "cbc:BuyerReference", data["account"]["reference_number"])
    period = _el(root, "cac:InvoicePeriod")
    _el(period, "cbc:StartDate", invoice["period_start"])
    end = dt.date.fromisoformat(invoice["period_end"]) - dt.timedelta(days=1)
    _el(period, "cbc:EndDate", end.isoformat())
    if not is_invoice:
        if not invoice["credited_number"]:
            raise UnableToBuildUbl("invoice.credited_number: a credit note names its invoice")
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", invoice["credited_number"])


def _totals(root: etree._Element, data: Mapping[str, Any], sign: int, is_invoice: bool) -> None:
    amounts = data["amounts"]
    vat = _el(root, "cac:TaxTotal")
    _amount(vat, "cbc:TaxAmount", Decimal(amounts["vat"]) * sign)
    for row in data["vat"]:
        subtotal = _el(vat, "cac:TaxSubtotal")
        _amount(subtotal, "cbc:TaxableAmount", Decimal(row["base"]) * sign)
        _amount(subtotal, "cbc:TaxAmount", Decimal(row["vat"]) * sign)
        _tax_category(subtotal, "cac:TaxCategory", Decimal(row["rate"]))
    totals = _el(root, "cac:LegalMonetaryTotal")
    net = Decimal(amounts["net"]) * sign
    gross = Decimal(amounts["gross"]) * sign
    _amount(totals, "cbc:LineExtensionAmount", net)
    _amount(totals, "cbc:TaxExclusiveAmount", net)
    _amount(totals, "cbc:TaxInclusiveAmount", gross)
    prepaid = Decimal(amounts["credit_applied"]) if is_invoice else Decimal(0)
    if prepaid:
        _amount(totals, "cbc:PrepaidAmount", prepaid)
    _amount(totals, "cbc:PayableAmount", gross - prepaid)


def build_ubl(data: Mapping[str, Any]) -> bytes:
    """The Peppol BIS 3 UBL of a business customer's invoice or credit note."""
    if data["customer"]["kind"] != "BUSINESS" or not data["customer"]["code"]:
        raise UnableToBuildUbl(
            f"Invoice {data['invoice']['number']}: customer.kind: a Peppol e-invoice is for "
            "business customers (with a registry code)."
        )
    is_invoice = data["kind"] == "INVOICE"
    sign = 1 if is_invoice else -1
    nsmap: dict[str | None, str] = {None: INVOICE_NS if is_invoice else CREDIT_NOTE_NS, **NS}
    root = etree.Element("Invoice" if is_invoice else "CreditNote", nsmap=nsmap)
    _header(root, data, is_invoice)
    _party(root, "cac:AccountingSupplierParty", data["supplier"], data["supplier"]["registry_code"])
    _party(root, "cac:AccountingCustomerParty", data["customer"], data["customer"]["code"])
    if is_invoice:
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", "30")
        _el(means, "cbc:PaymentID", data["payment"]["reference_number"])
        _el(_el(means, "cac:PayeeFinancialAccount"), "cbc:ID", data["payment"]["iban"])
    _totals(root, data, sign, is_invoice)
    lines = _all_lines(data)
    if not lines:
        raise UnableToBuildUbl(f"Invoice {data['invoice']['number']}: has no lines")
    invoice_period = (data["invoice"]["period_start"], data["invoice"]["period_end"])
    for number, line in enumerate(lines, start=1):
        _line(root, data["kind"], line, number, sign, invoice_period)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def xsd_errors(xml: bytes, schema: Path) -> Sequence[str]:
    """Errors of ``xml`` against the XSD at ``schema`` (no network: imports are local)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    xsd = etree.XMLSchema(etree.parse(str(schema), parser))
    document = etree.fromstring(xml, parser)
    if xsd.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]
