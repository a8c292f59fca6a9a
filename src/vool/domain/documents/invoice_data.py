"""The invoice as data for documents: one JSON-ready dict, built by :func:`invoice_data`.

The same dict fills the PDF template (``typst/invoice.typ``) and is what the portal and the
API show. Every money amount is given twice: exact (``"12.34"``, a decimal string) and as the
customer's language writes it (``"12,34 €"``, the ``*_text`` keys); the same for quantities,
rates and dates (ISO ``"2026-11-05"`` and ``*_text``). Labels come translated.

Schema ``vool.invoice/1``::

    schema, language ("et" | "ru" | "en"), kind ("INVOICE" | "CREDIT_NOTE"), title,
    labels: {key: translated text}                      (see labels.LABELS)
    invoice: number, issue_date(+_text), due_date(+_text), period ("YYYY-MM"), period_text,
             period_start, period_end (exclusive), credited_number (credit notes), reason,
             is_estimated
    supplier: name, address_lines[], street_address, postal_code, city, country,
              registry_code, vat_number, iban, bic, bank_name, email, phone, website
    customer: name, address_lines[], street_address, postal_code, city, country, code,
              vat_number, kind ("PERSON" | "BUSINESS")
    account: reference_number, rf_reference, payment_method, automatic (bool),
             automatic_text
    amounts: net, vat, gross, levies, credit_applied, amount_due, balance_carried,
             payments_received, total_to_pay (each + _text)
    payment: iban, reference_number, rf_reference, amount(+_text), due_date_text,
             epc_qr_payload (null when there is nothing to pay)
    consumption: kwh(+_text), last_year_kwh(+_text, null when unknown),
                 months: [{period, label, kwh, current}]    (13 months, oldest first)
    points: [{eic, address, readings: [{register, register_text, start_kwh(+_text),
              start_estimated, end_kwh(+_text), end_estimated, end_estimate_method_text,
              kwh(+_text)}],
              intervals: null | {resolution_minutes, days, kwh_text, flagged, by_band: [...]},
              lines: [LINE]}]
    other_lines: [LINE]                                 (lines of no metering point)
    vat: [{rate, rate_text, base(+_text), vat(+_text)}]

    LINE: position, component, name, category ("ENERGY" | "NETWORK" | "LEVY" | "FEE"), band,
          band_text, period_start, period_end, period_text, quantity(+_text), unit,
          unit_text, unit_price(+_text, null when none), price_base_quantity (the quantity
          the unit price is for: "1", or the month's days for a fee priced by the month),
          amount(+_text), vat_rate(+_text), is_estimated, is_true_up, true_up_period_text
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import dates as django_dates
from django.utils import translation

from vool.common import identifiers
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice, InvoiceLine
from vool.domain.documents import epc, formatting, labels
from vool.domain.documents.queries import SupplierDetails
from vool.domain.ledger.models import LedgerAccount, LedgerTransaction, Posting
from vool.domain.metering.models import Reading

SCHEMA: Final = "vool.invoice/1"
INVOICE_DOCUMENT: Final = "billing.Invoice"  # LedgerTransaction.document_type of invoices
MAX_NAME: Final = 70  # fits the address window and the EPC QR beneficiary/name fields
MAX_ADDRESS_LINE: Final = 70
HISTORY_MONTHS: Final = 13
AUTOMATIC: Final = frozenset({"E_INVOICE_STANDING_ORDER", "DIRECT_DEBIT"})
ZERO: Final = Decimal("0.00")
CENT: Final = Decimal("0.01")


class InvalidInvoiceDocument(ValueError):
    """The invoice cannot be put on paper as it is; names the invoice and the field."""

    def __init__(self, invoice: Invoice, field: str, problem: str) -> None:
        shown = invoice.number if invoice.number is not None else f"draft {invoice.pk}"
        super().__init__(f"Invoice {shown}: {field}: {problem}")
        self.invoice_id = invoice.pk
        self.field = field


@dataclass(frozen=True)
class InvoiceFacts:
    """What an invoice's document shows beyond the invoice's own row, read set-based for a
    chunk of invoices (:func:`load_facts`): its lines (by position), the receivable balance
    before it was posted and the payments received since the previous bill, the kWh of the
    account's issued invoices by period (the 13-month chart) and the readings its lines name."""

    lines: list[InvoiceLine]
    balance_before: Decimal
    payments_received: Decimal
    history: dict[str, Decimal]
    readings: dict[int, Reading]


def invoice_data(
    invoice: Invoice,
    *,
    supplier: SupplierDetails,
    language: str | None = None,
    facts: InvoiceFacts | None = None,
) -> dict[str, Any]:
    """The document data of an issued invoice or credit note (see the module docstring), in
    the customer's language or ``language`` (the portal shows it in the reader's).
    ``facts``: read for a whole chunk (:func:`chunk_data`), else read here for this one."""
    if invoice.status == Invoice.Status.DRAFT or invoice.number is None:
        raise InvalidInvoiceDocument(invoice, "status", "a draft has no document; issue it first")
    customer = invoice.billing_account.customer
    language = language or customer.preferred_language
    if language not in formatting.LANGUAGES:
        raise InvalidInvoiceDocument(
            invoice, "customer.preferred_language", f"no translation for {language!r}"
        )
    _check_parties(invoice, supplier)
    if facts is None:
        facts = load_facts([invoice])[invoice.pk]
    with translation.override(language):
        return _build(invoice, supplier, language, facts)


@dataclass(frozen=True)
class ChunkItem:
    """One invoice of a chunk: its document data, or why it cannot have a document."""

    invoice: Invoice
    data: dict[str, Any] | None
    error: InvalidInvoiceDocument | None


def chunk_data(invoice_ids: Sequence[int], *, supplier: SupplierDetails) -> list[ChunkItem]:
    """The document data of the invoices ``invoice_ids`` (in that order; ids of no invoice
    are left out), read in a constant number of queries and built exactly as
    :func:`invoice_data` builds one invoice's."""
    found = Invoice.objects.select_related("billing_account__customer", "credited_invoice").in_bulk(
        invoice_ids
    )
    invoices = [found[i] for i in invoice_ids if i in found]
    facts = load_facts(invoices)
    items = []
    for invoice in invoices:
        try:
            data = invoice_data(invoice, supplier=supplier, facts=facts[invoice.pk])
        except InvalidInvoiceDocument as exc:
            items.append(ChunkItem(invoice, None, exc))
            continue
        items.append(ChunkItem(invoice, data, None))
    return items


def load_facts(invoices: Sequence[Invoice]) -> dict[int, InvoiceFacts]:
    """The :class:`InvoiceFacts` of ``invoices`` in at most four queries, whatever their
    number (one invoice alone: at most six, see :func:`_ledger_before`)."""
    lines_of: dict[int, list[InvoiceLine]] = defaultdict(list)
    rows = (
        InvoiceLine.objects.filter(invoice_id__in=[i.pk for i in invoices])
        .select_related("metering_point")
        .order_by("invoice_id", "position")
    )
    for line in rows:
        lines_of[line.invoice_id].append(line)
    ledger = _ledger_before(invoices)
    history = _history(invoices)
    reading_ids = {
        register[key]
        for lines in lines_of.values()
        for line in lines
        for register in (line.basis or {}).get("registers", [])
        for key in ("start_reading_id", "end_reading_id")
        if key in register
    }
    readings = Reading.objects.in_bulk(reading_ids) if reading_ids else {}
    return {
        invoice.pk: InvoiceFacts(
            lines=lines_of[invoice.pk],
            balance_before=ledger[invoice.pk][0],
            payments_received=ledger[invoice.pk][1],
            history=history[invoice.pk],
            readings=readings,
        )
        for invoice in invoices
    }


def _check_parties(invoice: Invoice, supplier: SupplierDetails) -> None:
    customer = invoice.billing_account.customer
    for field, value, limit in (
        ("customer.name", customer.name, MAX_NAME),
        ("customer.street_address", customer.street_address, MAX_ADDRESS_LINE),
        ("customer.city", customer.city, MAX_ADDRESS_LINE),
        ("supplier.name", supplier.name, MAX_NAME),
        ("supplier.street_address", supplier.street_address, MAX_ADDRESS_LINE),
    ):
        if not value.strip():
            raise InvalidInvoiceDocument(invoice, field, "is empty")
        if len(value) > limit:
            raise InvalidInvoiceDocument(
                invoice, field, f"has {len(value)} characters, at most {limit} fit on the bill"
            )
    if not supplier.iban.strip():
        raise InvalidInvoiceDocument(
            invoice, "supplier.iban", "no IBAN: set one on the Supplier in the admin"
        )
    try:
        identifiers.validate_iban(supplier.iban)
    except identifiers.InvalidIdentifier as exc:
        raise InvalidInvoiceDocument(invoice, "supplier.iban", str(exc)) from None


def _build(
    invoice: Invoice, supplier: SupplierDetails, language: str, facts: InvoiceFacts
) -> dict[str, Any]:
    lines = facts.lines
    account = invoice.billing_account
    month = Month.parse(invoice.period)
    amounts = _amounts(invoice, facts, language)
    points, other_lines = _points(lines, facts.readings, invoice.period, language)
    is_credit = invoice.kind == Invoice.Kind.CREDIT_NOTE
    return {
        "schema": SCHEMA,
        "language": language,
        "kind": invoice.kind,
        "title": str(labels.LABELS["credit_note" if is_credit else "invoice"]),
        "labels": {key: str(text) for key, text in labels.LABELS.items()},
        "invoice": _invoice_part(invoice, month, lines, language),
        "supplier": _supplier_part(supplier),
        "customer": _customer_part(invoice),
        "account": {
            "reference_number": account.reference_number,
            "rf_reference": identifiers.reference_to_rf(account.reference_number),
            "payment_method": account.payment_method,
            "automatic": account.payment_method in AUTOMATIC,
            "automatic_text": str(labels.PAYMENT_METHODS.get(account.payment_method, "")),
        },
        "amounts": amounts,
        "payment": _payment_part(invoice, supplier, amounts, language),
        "consumption": _consumption(invoice, month, facts, language),
        "points": points,
        "other_lines": other_lines,
        "vat": [_vat_row(row, language) for row in invoice.vat_summary],
    }


def _invoice_part(
    invoice: Invoice, month: Month, lines: list[InvoiceLine], language: str
) -> dict[str, Any]:
    assert invoice.issue_date is not None
    due = invoice.due_date or invoice.issue_date
    credited = invoice.credited_invoice
    return {
        "number": str(invoice.number),
        "issue_date": invoice.issue_date.isoformat(),
        "issue_date_text": formatting.date(invoice.issue_date, language=language),
        "due_date": due.isoformat(),
        "due_date_text": formatting.date(due, language=language),
        "period": str(month),
        "period_text": _month_text(month),
        "period_start": month.first_day.isoformat(),
        "period_end": month.next().first_day.isoformat(),
        "credited_number": str(credited.number) if credited is not None else None,
        "reason": invoice.reason,
        "is_estimated": any(line.is_estimated for line in lines),
    }


def _month_text(month: Month) -> str:
    return f"{django_dates.MONTHS[month.month]} {month.year}"


def _supplier_part(supplier: SupplierDetails) -> dict[str, Any]:
    return {
        "name": supplier.name,
        "address_lines": [
            supplier.street_address,
            f"{supplier.postal_code} {supplier.city}".strip(),
        ],
        "street_address": supplier.street_address,
        "postal_code": supplier.postal_code,
        "city": supplier.city,
        "country": supplier.country or "EE",
        "registry_code": supplier.registry_code,
        "vat_number": supplier.vat_number,
        "iban": identifiers.validate_iban(supplier.iban),
        "bic": supplier.bic,
        "bank_name": supplier.bank_name,
        "email": supplier.email,
        "phone": supplier.phone,
        "website": supplier.website,
    }


def _customer_part(invoice: Invoice) -> dict[str, Any]:
    customer = invoice.billing_account.customer
    return {
        "name": customer.name,
        "address_lines": [
            customer.street_address,
            f"{customer.postal_code} {customer.city}".strip(),
        ],
        "street_address": customer.street_address,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": customer.country or "EE",
        "code": customer.registry_code or customer.personal_code or "",
        "vat_number": customer.vat_number,
        "kind": customer.kind,
    }


def _money(key: str, amount: Decimal, language: str) -> dict[str, str]:
    return {key: str(amount), f"{key}_text": formatting.money(amount, language=language)}


def _sum_of(postings: Any) -> Subquery:
    amount = Posting._meta.get_field("amount")
    total = postings.order_by().values("billing_account_id").annotate(total=Sum("amount"))
    return Subquery(total.values("total"), output_field=amount)


def _ledger_before(invoices: Collection[Invoice]) -> dict[int, tuple[Decimal, Decimal]]:
    """Per invoice: (receivable balance before the invoice was posted, payments received
    since the account's previous invoice), as the ledger stood when it was issued; one query
    (the sums are made by the database, per invoice). One invoice alone (the portal, the
    back office): three plain queries, cheaper to build than the correlated one, and the
    reference the chunk's sums are tested against (``test_chunk_data.py``)."""
    if len(invoices) == 1:
        (invoice,) = invoices
        return {invoice.pk: _ledger_before_one(invoice)}
    posted = LedgerTransaction.objects.filter(
        document_type=INVOICE_DOCUMENT, document_id=OuterRef("pk")
    ).order_by("pk")
    earlier = Posting.objects.filter(
        billing_account_id=OuterRef("billing_account_id"),
        account=LedgerAccount.RECEIVABLE,
        transaction_id__lt=OuterRef("posted"),
    )
    last_bill = LedgerTransaction.objects.filter(
        billing_account_id=OuterRef("billing_account_id"),
        kind=LedgerTransaction.Kind.INVOICE,
        pk__lt=OuterRef("posted"),
    ).order_by("-pk")
    paid = earlier.filter(
        transaction__kind=LedgerTransaction.Kind.PAYMENT,
        transaction_id__gt=Coalesce(OuterRef("last_bill"), 0),
    )
    rows = (
        Invoice.objects.filter(pk__in=[i.pk for i in invoices])
        .annotate(posted=Subquery(posted.values("pk")[:1]))
        .annotate(last_bill=Subquery(last_bill.values("pk")[:1]))
        .annotate(balance=_sum_of(earlier), paid=_sum_of(paid))
        .values_list("pk", "posted", "balance", "paid", named=True)
    )
    out = {invoice.pk: (ZERO, ZERO) for invoice in invoices}
    for row in rows:  # sums of cents (SQLite's are floats): to the cent
        if row.posted is not None:
            balance, received = (
                ZERO if s is None else s.quantize(CENT) for s in (row.balance, row.paid)
            )
            out[row.pk] = (balance, -received)
    return out


def _ledger_before_one(invoice: Invoice) -> tuple[Decimal, Decimal]:
    posted = LedgerTransaction.objects.filter(
        document_type=INVOICE_DOCUMENT, document_id=invoice.pk
    ).first()
    if posted is None:
        return ZERO, ZERO
    earlier = Posting.objects.filter(
        billing_account_id=invoice.billing_account_id,
        account=LedgerAccount.RECEIVABLE,
        transaction_id__lt=posted.pk,
    )
    balance = sum((p for p in earlier.values_list("amount", flat=True)), ZERO)
    last_bill = (
        LedgerTransaction.objects.filter(
            billing_account_id=invoice.billing_account_id,
            kind=LedgerTransaction.Kind.INVOICE,
            pk__lt=posted.pk,
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    paid = earlier.filter(transaction__kind=LedgerTransaction.Kind.PAYMENT)
    if last_bill is not None:
        paid = paid.filter(transaction_id__gt=last_bill)
    payments = -sum((p for p in paid.values_list("amount", flat=True)), ZERO)
    return balance, payments


def _amounts(invoice: Invoice, facts: InvoiceFacts, language: str) -> dict[str, str]:
    balance, payments = facts.balance_before, facts.payments_received
    # a credit balance was applied to this bill already (credit_applied); only debt carries
    carried = max(balance, ZERO)
    total_to_pay = max(invoice.amount_due + carried, ZERO)
    levies = sum((ln.amount for ln in facts.lines if ln.component in labels.LEVIES), ZERO)
    out: dict[str, str] = {}
    for key, amount in (
        ("net", invoice.net_amount),
        ("vat", invoice.vat_amount),
        ("gross", invoice.gross_amount),
        ("levies", levies),
        ("credit_applied", invoice.credit_applied_amount),
        ("amount_due", invoice.amount_due),
        ("balance_carried", carried),
        ("payments_received", payments),
        ("total_to_pay", total_to_pay),
    ):
        out.update(_money(key, amount, language))
    return out


def _payment_part(
    invoice: Invoice, supplier: SupplierDetails, amounts: dict[str, str], language: str
) -> dict[str, Any]:
    account = invoice.billing_account
    rf = identifiers.reference_to_rf(account.reference_number)
    total = Decimal(amounts["total_to_pay"])
    payload = None
    if total > 0 and invoice.kind == Invoice.Kind.INVOICE:
        payload = _epc_payload(invoice, supplier, total, rf)
    due = invoice.due_date or invoice.issue_date
    assert due is not None
    return {
        "iban": identifiers.validate_iban(supplier.iban),
        "reference_number": account.reference_number,
        "rf_reference": rf,
        **_money("amount", total, language),
        "due_date_text": formatting.date(due, language=language),
        "epc_qr_payload": payload,
    }


def _epc_payload(invoice: Invoice, supplier: SupplierDetails, total: Decimal, rf: str) -> str:
    try:
        return epc.epc_payload(
            epc.CreditTransfer(
                name=supplier.name,
                iban=supplier.iban,
                amount=total,
                rf_reference=rf,
                bic=supplier.bic,
            )
        )
    except epc.InvalidPaymentQr as exc:
        raise InvalidInvoiceDocument(invoice, f"payment.{exc.field}", str(exc)) from None


def _vat_row(row: dict[str, str], language: str) -> dict[str, str]:
    rate = Decimal(row["rate"])
    return {
        "rate": row["rate"],
        "rate_text": formatting.percent(rate, language=language),
        **_money("base", Decimal(row["base"]), language),
        **_money("vat", Decimal(row["vat"]), language),
    }


# -- consumption ------------------------------------------------------------------------------


def _is_consumption(line: InvoiceLine) -> bool:
    return line.component == "ENERGY" and line.unit == "KWH" and not line.is_true_up


def _chart_months(invoice: Invoice) -> list[str]:
    month = Month.parse(invoice.period)
    return [str(m) for m in Month.range(Month(month.year - 1, month.month), month.next())]


def _history(invoices: Collection[Invoice]) -> dict[int, dict[str, Decimal]]:
    """Per invoice: the kWh of its account's issued invoices by period, the 13 months up to
    its own (true-ups left out: they belong to earlier months); one query."""
    months_of = {invoice.pk: _chart_months(invoice) for invoice in invoices}
    kwh: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    rows = InvoiceLine.objects.filter(
        invoice__billing_account_id__in={i.billing_account_id for i in invoices},
        invoice__kind=Invoice.Kind.INVOICE,
        invoice__status=Invoice.Status.ISSUED,
        invoice__period__in={p for months in months_of.values() for p in months},
        component="ENERGY",
        unit="KWH",
        is_true_up=False,
    ).values_list("invoice__billing_account_id", "invoice__period", "quantity", named=True)
    for row in rows:
        kwh[row.invoice__billing_account_id, row.invoice__period] += row.quantity
    return {
        invoice.pk: {
            period: kwh[invoice.billing_account_id, period]
            for period in months_of[invoice.pk]
            if (invoice.billing_account_id, period) in kwh
        }
        for invoice in invoices
    }


def _consumption(
    invoice: Invoice, month: Month, facts: InvoiceFacts, language: str
) -> dict[str, Any]:
    """This period's kWh against the same month last year, and the 13 months up to it, from
    the account's issued invoices (see :func:`_history`)."""
    months = _chart_months(invoice)
    by_period = dict(facts.history)
    if invoice.kind == Invoice.Kind.INVOICE:
        by_period[str(month)] = sum(
            (ln.quantity for ln in facts.lines if _is_consumption(ln)), Decimal(0)
        )
    kwh = by_period.get(str(month), Decimal(0))
    last_year = by_period.get(months[0])
    return {
        "kwh": str(kwh),
        "kwh_text": f"{formatting.number(kwh, language=language, places=0)} {labels.UNITS['KWH']}",
        "last_year_kwh": str(last_year) if last_year is not None else None,
        "last_year_kwh_text": (
            f"{formatting.number(last_year, language=language, places=0)} {labels.UNITS['KWH']}"
            if last_year is not None
            else None
        ),
        "months": [
            {
                "period": period,
                "label": str(django_dates.MONTHS_3[int(period[5:])]),
                "year": period[:4],
                "kwh": str(by_period.get(period, Decimal(0))),
                "current": period == str(month),
            }
            for period in months
        ],
    }


# -- metering points and lines ----------------------------------------------------------------


def _category(component: str) -> str:
    if component in labels.LEVIES:
        return "LEVY"
    if component.startswith("NETWORK"):
        return "NETWORK"
    return "FEE" if component.endswith("FEE") else "ENERGY"


def _true_up_period(line: InvoiceLine, period: str, language: str) -> str:
    """The months a true-up line corrects: an interval correction's month, or the months
    billed on estimates before the actual reading (from the readings' apportioning)."""
    basis = line.basis or {}
    if basis.get("source") == "INTERVAL_CORRECTIONS" and basis.get("period"):
        return _month_text(Month.parse(basis["period"]))
    apportioned = {
        month
        for register in basis.get("registers", [])
        for month in register.get("apportioned_by_days", {})
    }
    earlier = sorted(p for p in apportioned if p != period)
    if earlier:
        first, last = Month.parse(earlier[0]), Month.parse(earlier[-1])
        if first == last:
            return _month_text(first)
        return f"{_month_text(first)}\u2013{_month_text(last)}"
    return formatting.date_range(line.period_start, line.period_end, language=language)


PRICE_TOLERANCE: Final = Decimal("0.01")


def price_base_quantity(line: InvoiceLine) -> Decimal:
    """The quantity the unit price is for (EN 16931 BT-149): 1, or for a fee line priced by
    the month (quantity in days, the monthly amount as price) the days of its month, so that
    quantity x price / base = amount on every line, within a cent."""
    price = line.unit_price
    if price is None or abs(line.quantity * price - line.amount) <= PRICE_TOLERANCE:
        return Decimal(1)
    days = Decimal(Month.of(line.period_start).days)
    if line.unit == "DAY" and abs(line.quantity * price / days - line.amount) <= PRICE_TOLERANCE:
        return days
    return Decimal(1)


def _unit_price_text(line: InvoiceLine, base: Decimal, language: str) -> str:
    if line.unit_price is None:
        return ""
    per = labels.PER_UNIT.get(line.unit, line.unit) if base == 1 else labels.PER_MONTH
    return f"{formatting.money(line.unit_price, language=language)}/{per}"


def _line(line: InvoiceLine, period: str, language: str) -> dict[str, Any]:
    name = str(labels.COMPONENTS.get(line.component, line.component))
    band = str(labels.BANDS.get(line.band, "")) if line.band != "ALL" else ""
    unit_text = str(labels.UNITS.get(line.unit, line.unit))
    price = line.unit_price
    base = price_base_quantity(line)
    quantity_places = 3 if line.unit == "KWH" else None
    return {
        "position": line.position,
        "component": line.component,
        "name": name,
        "category": _category(line.component),
        "band": line.band,
        "band_text": band,
        "period_start": line.period_start.isoformat(),
        "period_end": line.period_end.isoformat(),
        "period_text": formatting.date_range(line.period_start, line.period_end, language=language),
        "quantity": str(line.quantity),
        "quantity_text": formatting.number(
            line.quantity, language=language, places=quantity_places
        ),
        "unit": line.unit,
        "unit_text": unit_text,
        "unit_price": str(price) if price is not None else None,
        "unit_price_text": _unit_price_text(line, base, language),
        "price_base_quantity": str(base),
        **_money("amount", line.amount, language),
        "vat_rate": str(line.vat_rate),
        "vat_rate_text": formatting.percent(line.vat_rate, language=language),
        "is_estimated": line.is_estimated,
        "is_true_up": line.is_true_up,
        "true_up_period_text": _true_up_period(line, period, language) if line.is_true_up else "",
    }


def _points(
    lines: list[InvoiceLine], readings: dict[int, Reading], period: str, language: str
) -> tuple[list[dict[str, Any]], list[Any]]:
    by_point: dict[int, list[InvoiceLine]] = defaultdict(list)
    other: list[dict[str, Any]] = []
    for line in lines:
        if line.metering_point_id is None:
            other.append(_line(line, period, language))
        else:
            by_point[line.metering_point_id].append(line)
    points = []
    for point_lines in by_point.values():
        point = point_lines[0].metering_point
        assert point is not None
        basis = _basis_of(point_lines)
        points.append(
            {
                "eic": point.eic,
                "address": f"{point.street_address}, {point.postal_code} {point.city}".replace(
                    ",  ", ", "
                ),
                "readings": [
                    _register_row(r, readings, language) for r in basis.get("registers", [])
                ],
                "intervals": _intervals(basis, point_lines, language),
                "lines": [_line(line, period, language) for line in point_lines],
            }
        )
    return points, other


def _basis_of(lines: list[InvoiceLine]) -> dict[str, Any]:
    """The consumption basis of a point (the readings or interval totals used)."""
    for line in lines:
        if line.basis and line.basis.get("source") in ("READINGS", "INTERVALS"):
            return line.basis
    return {}


def _reading_value(
    value: str | None, reading: Reading | None, language: str
) -> tuple[str, bool, str]:
    """(value text, estimated?, how it was estimated) of one end of a register's period."""
    estimated = reading is not None and reading.source == Reading.Source.ESTIMATED
    method = ""
    if estimated and reading is not None:
        code = (reading.details or {}).get("estimate", {}).get("method", "")
        method = str(labels.ESTIMATE_METHODS.get(code, labels.LABELS["estimated"]))
    shown = formatting.number(Decimal(value), language=language) if value is not None else ""
    return shown, estimated, method


def _register_row(
    register: dict[str, Any], readings: dict[Any, Reading], language: str
) -> dict[str, Any]:
    start, start_est, _ = _reading_value(
        register.get("start_kwh"), readings.get(register.get("start_reading_id")), language
    )
    end, end_est, method = _reading_value(
        register.get("end_kwh"), readings.get(register.get("end_reading_id")), language
    )
    kind = register.get("register", "SINGLE")
    kwh = Decimal(register.get("kwh", "0"))
    return {
        "register": kind,
        "register_text": str(labels.BANDS.get(kind, "")),
        "start_kwh": register.get("start_kwh"),
        "start_kwh_text": start,
        "start_estimated": start_est,
        "end_kwh": register.get("end_kwh"),
        "end_kwh_text": end,
        "end_estimated": end_est,
        "end_estimate_method_text": method,
        "kwh": str(kwh),
        "kwh_text": formatting.number(kwh, language=language),
    }


def _intervals(
    basis: dict[str, Any], lines: list[InvoiceLine], language: str
) -> dict[str, Any] | None:
    if basis.get("source") != "INTERVALS":
        return None
    by_band: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        if line.unit == "KWH" and not line.is_true_up:
            by_band[line.component][line.band] += line.quantity
    shown = next(
        (by_band[c] for c in ("NETWORK_ENERGY", "ENERGY") if set(by_band.get(c, {})) - {"ALL"}),
        {},
    )
    total = Decimal(int(basis.get("total_wh", 0))) / 1000
    return {
        "resolution_minutes": basis.get("resolution_minutes"),
        "days": basis.get("days"),
        "kwh": str(total),
        "kwh_text": formatting.number(total, language=language, places=3),
        "flagged": int(basis.get("estimated_or_missing_intervals", 0)),
        "by_band": [
            {
                "band": band,
                "band_text": str(labels.BANDS.get(band, band)),
                "kwh_text": formatting.number(kwh, language=language, places=3),
            }
            for band, kwh in sorted(shown.items())
        ],
    }
