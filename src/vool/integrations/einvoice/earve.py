"""Estonian e-arve 1.2 (EVS 923) XML for bank e-invoices, built with lxml.

One file (``<E_Invoice>``, no namespace) holds a batch: a header, one ``<Invoice>`` per bill,
and a footer with the count and the total, for the bank operator. Input is each invoice's
document data (schema ``vool.invoice/1``, see ``vool.domain.documents.invoice_data``) and the
payer's bank channel: ``channelId`` is the payer's bank (BIC), ``channelAddress`` the payer's
IBAN, ``regNumber`` the payer's personal or registry code, as the banks route e-invoices and
match them to an e-invoice standing order (e-arve püsimakse). Pure: no Django.

Amounts are the invoice's exactly: ``InvoiceSum`` is the net (the sum of the lines),
``TotalVATSum`` the VAT, ``TotalSum`` the gross, ``TotalToPay`` and ``PaymentTotalSum`` what
the customer pays now (the bill's total to pay). A credit note is type ``CRE`` naming its
invoice, with its (negative) amounts as they are, and is not payable. A unit price is given
when the line's quantity x price = amount with the schema's four decimals; otherwise (finer
prices, a monthly fee counted in days) the line carries the quantity and amount only.

:func:`check` validates a file the way the operator's side would: the XSD, and the sums the
XSD cannot see (lines, VAT, totals, the footer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from lxml import etree

VERSION: Final = "1.2"
CURRENCY: Final = "EUR"
CENT: Final = Decimal("0.01")
PRICE_DIGITS: Final = Decimal("0.0001")
DOCUMENT_NAMES: Final = {"INVOICE": "Arve", "CREDIT_NOTE": "Kreeditarve"}


class UnableToBuildEarve(ValueError):
    """The invoice cannot be an e-arve as it is; the message names the invoice and field."""


@dataclass(frozen=True)
class BankChannel:
    """Where the payer's bank shows the e-invoice: the bank's BIC and the payer's IBAN."""

    bank_bic: str
    payer_iban: str


@dataclass(frozen=True)
class EarveInvoice:
    data: Mapping[str, Any]
    channel: BankChannel


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        element.text = text
    return element


def _money(value: Decimal | str) -> str:
    return f"{Decimal(value).quantize(CENT)}"


def _party(parent: etree._Element, tag: str, party: Mapping[str, Any], code: str) -> Any:
    node = _el(parent, tag)
    _el(node, "Name", party["name"])
    _el(node, "RegNumber", code)
    if party.get("vat_number"):
        _el(node, "VATRegNumber", party["vat_number"])
    contact = _el(node, "ContactData")
    address = _el(contact, "MailAddress")
    _el(address, "PostalAddress1", party["street_address"])
    _el(address, "City", party["city"])
    if party.get("postal_code"):
        _el(address, "PostalCode", party["postal_code"])
    _el(address, "Country", party.get("country") or "EE")
    return node


def _information(node: etree._Element, data: Mapping[str, Any]) -> None:
    invoice = data["invoice"]
    info = _el(node, "InvoiceInformation")
    kind = _el(info, "Type", type="DEB" if data["kind"] == "INVOICE" else "CRE")
    if data["kind"] != "INVOICE":
        if not invoice["credited_number"]:
            raise UnableToBuildEarve(
                f"Invoice {invoice['number']}: invoice.credited_number: a credit note names "
                "its invoice"
            )
        _el(kind, "SourceInvoice", invoice["credited_number"])
    _el(info, "DocumentName", DOCUMENT_NAMES[data["kind"]])
    _el(info, "InvoiceNumber", invoice["number"])
    _el(info, "PaymentReferenceNumber", data["account"]["reference_number"])
    if data["account"]["automatic"]:
        _el(info, "PaymentMethod", data["account"]["automatic_text"][:100])
    _el(info, "InvoiceDate", invoice["issue_date"])
    if data["kind"] == "INVOICE":
        _el(info, "DueDate", invoice["due_date"])
    period = _el(info, "Period")
    _el(period, "PeriodName", invoice["period"])
    _el(period, "StartDate", invoice["period_start"])
    end = dt.date.fromisoformat(invoice["period_end"]) - dt.timedelta(days=1)
    _el(period, "EndDate", end.isoformat())


def _sums(node: etree._Element, data: Mapping[str, Any]) -> None:
    amounts = data["amounts"]
    sums = _el(node, "InvoiceSumGroup")
    _el(sums, "InvoiceSum", _money(amounts["net"]))
    for row in data["vat"]:
        vat = _el(sums, "VAT", vatId="TAX")
        _el(vat, "SumBeforeVAT", _money(row["base"]))
        _el(vat, "VATRate", f"{(Decimal(row['rate']) * 100).quantize(CENT)}")
        _el(vat, "VATSum", _money(row["vat"]))
    _el(sums, "TotalVATSum", _money(amounts["vat"]))
    _el(sums, "TotalSum", _money(amounts["gross"]))
    _el(sums, "TotalToPay", _money(_to_pay(data)))
    _el(sums, "Currency", CURRENCY)


def _to_pay(data: Mapping[str, Any]) -> Decimal:
    return Decimal(data["amounts"]["total_to_pay"]) if data["kind"] == "INVOICE" else Decimal(0)


def _lines(node: etree._Element, data: Mapping[str, Any]) -> None:
    lines = sorted(
        [*(ln for p in data["points"] for ln in p["lines"]), *data["other_lines"]],
        key=lambda ln: ln["position"],
    )
    if not lines:
        raise UnableToBuildEarve(f"Invoice {data['invoice']['number']}: has no lines")
    group = _el(_el(node, "InvoiceItem"), "InvoiceItemGroup")
    for number, line in enumerate(lines, start=1):
        entry = _el(group, "ItemEntry")
        _el(entry, "RowNo", str(number))
        description = line["name"] + (f", {line['band_text']}" if line["band_text"] else "")
        if line["is_true_up"]:
            description += f" ({line['true_up_period_text']})"
        _el(entry, "Description", description[:500])
        detail = _el(entry, "ItemDetailInfo")
        _el(detail, "ItemUnit", line["unit_text"][:20])
        quantity = Decimal(line["quantity"])
        _el(detail, "ItemAmount", f"{quantity.quantize(PRICE_DIGITS)}")
        price = _exact_price(line)
        if price is not None:
            _el(detail, "ItemPrice", f"{price}")
        _el(entry, "ItemSum", _money(line["amount"]))


def _exact_price(line: Mapping[str, Any]) -> Decimal | None:
    """The unit price when quantity x price = amount with four decimals, else None."""
    if line["unit_price"] is None or Decimal(line.get("price_base_quantity") or 1) != 1:
        return None
    price = Decimal(line["unit_price"])
    if price != price.quantize(PRICE_DIGITS):
        return None
    if (Decimal(line["quantity"]) * price).quantize(CENT) != Decimal(line["amount"]):
        return None
    return price.quantize(PRICE_DIGITS)


def _payment(node: etree._Element, data: Mapping[str, Any]) -> None:
    invoice = data["invoice"]
    payment = _el(node, "PaymentInfo")
    _el(payment, "Currency", CURRENCY)
    _el(payment, "PaymentRefId", data["account"]["reference_number"])
    _el(payment, "PaymentDescription", f"{DOCUMENT_NAMES[data['kind']]} {invoice['number']}")
    to_pay = _to_pay(data)
    _el(payment, "Payable", "YES" if to_pay > 0 else "NO")
    if data["kind"] == "INVOICE":
        _el(payment, "PayDueDate", invoice["due_date"])
    _el(payment, "PaymentTotalSum", _money(to_pay))
    _el(payment, "PayerName", data["customer"]["name"])
    _el(payment, "PaymentId", invoice["number"])
    _el(payment, "PayToAccount", data["payment"]["iban"])
    _el(payment, "PayToName", data["supplier"]["name"])
    if data["supplier"].get("bic"):
        _el(payment, "PayToBIC", data["supplier"]["bic"])


def _channel_id(number: str, bic: str) -> str:
    """The bank's BIC as ``channelId`` (at most 10 characters: a branch ``XXX`` is dropped)."""
    bic = bic.strip().upper()
    if len(bic) == 11 and bic.endswith("XXX"):
        bic = bic[:8]
    if len(bic) not in (8, 10) or not bic.isalnum():
        raise UnableToBuildEarve(f"Invoice {number}: bank channel: {bic!r} is not a bank's BIC")
    return bic


def _invoice(root: etree._Element, item: EarveInvoice) -> Decimal:
    data = item.data
    number = data["invoice"]["number"]
    customer, supplier = data["customer"], data["supplier"]
    if not customer["code"]:
        raise UnableToBuildEarve(f"Invoice {number}: customer.code: the payer has no code")
    if not item.channel.bank_bic or not item.channel.payer_iban:
        raise UnableToBuildEarve(
            f"Invoice {number}: bank channel: the payer's bank (BIC) and IBAN are needed"
        )
    node = _el(
        root,
        "Invoice",
        invoiceId=number,
        regNumber=customer["code"],
        channelId=_channel_id(number, item.channel.bank_bic),
        channelAddress=item.channel.payer_iban,
        presentment="YES",
        languageId=data["language"],
        sellerRegnumber=supplier["registry_code"],
    )
    parties = _el(node, "InvoiceParties")
    seller = _party(parties, "SellerParty", supplier, supplier["registry_code"])
    account = _el(seller, "AccountInfo")
    _el(account, "AccountNumber", data["payment"]["iban"])
    _el(account, "IBAN", data["payment"]["iban"])
    if supplier.get("bic"):
        _el(account, "BIC", supplier["bic"])
    _party(parties, "BuyerParty", customer, customer["code"])
    _information(node, data)
    _sums(node, data)
    _lines(node, data)
    _payment(node, data)
    return Decimal(data["amounts"]["gross"])


def build_batch(invoices: Sequence[EarveInvoice], *, file_id: str, created_on: dt.date) -> bytes:
    """One e-arve file with ``invoices`` (at least one), header and footer."""
    if not invoices:
        raise UnableToBuildEarve("An e-arve file needs at least one invoice.")
    root = etree.Element("E_Invoice")
    header = _el(root, "Header")
    _el(header, "Date", created_on.isoformat())
    _el(header, "FileId", file_id[:20])
    _el(header, "Version", VERSION)
    total = sum((_invoice(root, item) for item in invoices), Decimal(0))
    footer = _el(root, "Footer")
    _el(footer, "TotalNumberInvoices", str(len(invoices)))
    _el(footer, "TotalAmount", _money(total))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# -- validation -------------------------------------------------------------------------------


def _decimal(node: etree._Element, path: str) -> Decimal:
    return Decimal(node.findtext(path) or "0")


def sum_errors(xml: bytes) -> list[str]:
    """What the XSD cannot check: each invoice's lines add up to its net, its VAT rows to its
    VAT, net + VAT = total, the payment is the total to pay; the footer counts and adds up."""
    root = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    errors: list[str] = []
    invoices = root.findall("Invoice")
    for invoice in invoices:
        name = f"Invoice {invoice.get('invoiceId')} (line {invoice.sourceline})"
        sums = invoice.find("InvoiceSumGroup")
        assert sums is not None
        net = _decimal(sums, "InvoiceSum")
        vat = _decimal(sums, "TotalVATSum")
        total = _decimal(sums, "TotalSum")
        lines = sum((Decimal(s.text or "0") for s in invoice.iter("ItemSum")), Decimal(0))
        rows = sum((_decimal(v, "VATSum") for v in sums.findall("VAT")), Decimal(0))
        for what, expected, actual in (
            ("InvoiceSum (the sum of the ItemSum lines)", lines, net),
            ("TotalVATSum (the sum of the VAT rows)", rows, vat),
            ("TotalSum (InvoiceSum + TotalVATSum)", net + vat, total),
            (
                "PaymentInfo/PaymentTotalSum (TotalToPay)",
                _decimal(sums, "TotalToPay"),
                _decimal(invoice, "PaymentInfo/PaymentTotalSum"),
            ),
        ):
            if expected != actual:
                errors.append(f"{name}: {what} is {actual}, expected {expected}")
    count = int(root.findtext("Footer/TotalNumberInvoices") or "0")
    if count != len(invoices):
        errors.append(f"Footer/TotalNumberInvoices is {count}, the file has {len(invoices)}")
    total = sum((_decimal(i, "InvoiceSumGroup/TotalSum") for i in invoices), Decimal(0))
    footer = _decimal(root, "Footer/TotalAmount")
    if footer != total:
        errors.append(f"Footer/TotalAmount is {footer}, the invoices' TotalSum add up to {total}")
    return errors


def xsd_errors(xml: bytes, schema: Path) -> list[str]:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    xsd = etree.XMLSchema(etree.parse(str(schema), parser))
    if xsd.validate(etree.fromstring(xml, parser)):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def check(xml: bytes, schema: Path) -> list[str]:
    """The XSD errors of an e-arve file, then (when it is valid) its sum errors."""
    return xsd_errors(xml, schema) or sum_errors(xml)
