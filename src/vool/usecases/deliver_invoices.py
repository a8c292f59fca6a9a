"""Deliver a month's rendered invoices by each billing account's channel.

``deliver_period`` queues a delivery for every rendered invoice of the month that has none
(``documents.delivery``), then works through what is due:

- **e-mail**: the PDF attached, subject and text in the customer's language, through
  Django's e-mail (the SMTP server from ``VOOL_SMTP_*``); a refused recipient or an
  unreachable server is recorded as FAILED and retried with back-off by later runs;
- **portal only**: nothing is sent; the delivery is marked sent (the portal shows the PDF);
- **paper**: one merged print PDF per run (pypdf), in print order by postcode, stored
  content-addressed under ``VOOL_DOCUMENTS_DIR/print``;
- **e-invoice**: left PENDING for the bank's e-invoice batch, :func:`einvoice_batch`
  (``vool invoices earve``): one Estonian e-arve 1.2 file per run for the bank operator, with
  each payer's bank channel (``EInvoiceChannel``), checked against the e-arve XSD and its
  sums before it is written.

Each send is claimed (SENDING) before and recorded (SENT/FAILED) after, so a second run sends
nothing that was sent; only a crash between the send and the record can send one message
twice (at least once, see ``documents.delivery``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import smtplib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfWriter

from vool.common.localtime import Month
from vool.domain.billing import queries as billing_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.documents import delivery
from vool.domain.documents import queries as document_queries
from vool.domain.documents.invoice_data import InvalidInvoiceDocument
from vool.integrations.einvoice import earve
from vool.integrations.pdf.content_store import ContentStore
from vool.usecases import render_invoices

if TYPE_CHECKING:
    from vool.domain.documents.models import Delivery, EInvoiceChannel

Channel = customer_queries.InvoiceChannel
PRINT_DIR = "print"


@dataclass
class DeliveryReport:
    period: str
    queued: int = 0
    emailed: int = 0
    to_portal: int = 0
    printed: int = 0
    print_file: Path | None = None
    waiting_for_bank: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (invoice number, why)


def print_store() -> ContentStore:
    return ContentStore(Path(settings.VOOL_DOCUMENTS_DIR) / PRINT_DIR)


def _load(delivery_id: int) -> Delivery:
    return document_queries.get_delivery(delivery_id=delivery_id)


def invoice_email(item: Delivery) -> EmailMessage:
    """The e-mail of a delivery: the invoice's PDF attached, text in the customer's language."""
    invoice = item.invoice
    customer = invoice.billing_account.customer
    if not customer.email.strip():
        raise InvalidInvoiceDocument(invoice, "customer.email", "is empty")
    pdf = render_invoices.store().read(invoice.document.path)
    data = render_invoices.document_data(invoice)
    values = {
        "document": data["title"],
        "number": invoice.number,
        "period": data["invoice"]["period_text"],
        "supplier": data["supplier"]["name"],
        "amount": data["payment"]["amount_text"],
        "due_date": data["payment"]["due_date_text"],
    }
    subject = "{document} {number}, {supplier}".format(**values)
    with translation.override(data["language"]):
        lines = [_("Hello,"), "", _("Attached: %(document)s %(number)s, %(period)s.") % values]
        if invoice.kind == billing_queries.INVOICE and data["account"]["automatic"]:
            lines.append(data["account"]["automatic_text"])
        elif invoice.kind == billing_queries.INVOICE:
            lines.append(_("Amount to pay: %(amount)s, due %(due_date)s.") % values)
    body = "\n".join([*lines, "", values["supplier"]])
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[customer.email],
    )
    message.attach(f"{invoice.number}.pdf", pdf, "application/pdf")
    return message


def _email(
    period: str, at: dt.datetime, connection: BaseEmailBackend, report: DeliveryReport
) -> None:
    for delivery_id in delivery.due(period=period, channel=Channel.EMAIL, at=at):
        if not delivery.claim(delivery_id=delivery_id, at=at):
            continue
        item = _load(delivery_id)
        try:
            message = invoice_email(item)
            if connection.send_messages([message]) != 1:
                raise smtplib.SMTPException("the mail backend sent nothing")
        except (InvalidInvoiceDocument, smtplib.SMTPException, OSError, ValueError) as exc:
            reason = smtp_reason(exc)
            delivery.mark_failed(delivery_id=delivery_id, at=at, error=reason)
            report.failures.append((item.invoice.number or 0, reason))
            continue
        delivery.mark_sent(delivery_id=delivery_id, at=at, destination=message.to[0])
        report.emailed += 1


def smtp_reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items()
        )
        return f"recipient refused by the mail server: {refused}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def print_file(paths: list[str]) -> str:
    """The stored PDFs at ``paths`` (in the documents store) merged, in that order, into one
    print file, stored content-addressed; its path under ``VOOL_DOCUMENTS_DIR``."""
    writer = PdfWriter()
    for path in paths:
        writer.append(io.BytesIO(render_invoices.store().read(path)))
    out = io.BytesIO()
    writer.write(out)
    stored = print_store().put(out.getvalue())
    return f"{PRINT_DIR}/{stored.relative_path}"


def _portal(period: str, at: dt.datetime, report: DeliveryReport) -> None:
    for delivery_id in delivery.due(period=period, channel=Channel.PORTAL, at=at):
        if delivery.claim(delivery_id=delivery_id, at=at):
            delivery.mark_sent(delivery_id=delivery_id, at=at, destination="portal")
            report.to_portal += 1


def _paper(period: str, at: dt.datetime, report: DeliveryReport) -> None:
    """One print PDF of the due paper invoices, in print order (postcode, then number)."""
    ids = delivery.due(period=period, channel=Channel.PAPER, at=at)
    claimed = [i for i in ids if delivery.claim(delivery_id=i, at=at)]
    if not claimed:
        return
    items = sorted(
        (_load(i) for i in claimed),
        key=lambda d: (d.invoice.billing_account.customer.postal_code, d.invoice.number or 0),
    )
    try:
        destination = print_file([item.invoice.document.path for item in items])
    except (OSError, ValueError) as exc:
        for item in items:
            delivery.mark_failed(delivery_id=item.pk, at=at, error=f"print file: {exc}")
            report.failures.append((item.invoice.number or 0, f"print file: {exc}"))
        return
    delivery.mark_many_sent(delivery_ids=[d.pk for d in items], at=at, destination=destination)
    report.printed += len(items)
    report.print_file = Path(settings.VOOL_DOCUMENTS_DIR) / destination


def deliver_period(
    *, period: Month, as_of: dt.datetime, connection: BaseEmailBackend | None = None
) -> DeliveryReport:
    """Queue and send the period's rendered invoices that are due (see the module docstring).
    ``as_of`` is the real time of the run: it is recorded as sent_at and decides what is due
    for a retry."""
    report = DeliveryReport(period=str(period))
    report.queued = delivery.queue_period(period=str(period), at=as_of)
    _portal(str(period), as_of, report)
    if delivery.due(period=str(period), channel=Channel.EMAIL, at=as_of):
        mail = connection or get_connection(fail_silently=False)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            mail.open()  # if it fails, each send tries again and records why it failed
        try:
            _email(str(period), as_of, mail, report)
        finally:
            mail.close()
    _paper(str(period), as_of, report)
    report.waiting_for_bank = document_queries.waiting_for_bank_count(period=str(period))
    return report


# -- the bank's e-invoice batch (e-arve) ------------------------------------------------------


@dataclass
class EinvoiceBatchReport:
    period: str
    queued: int = 0
    included: list[int] = field(default_factory=list)  # invoice numbers in the file
    file: Path | None = None
    failures: list[tuple[int, str]] = field(default_factory=list)


def earve_schema() -> Path | None:
    """The e-arve 1.2 XSD in ``VOOL_SCHEMAS_DIR``, if it is there."""
    path = Path(settings.VOOL_SCHEMAS_DIR) / "e-arve" / "e-invoice_ver1.2.xsd"
    return path if path.is_file() else None


class InvalidEarveBatch(ValueError):
    """The e-arve file fails its XSD or its sums, or cannot be written: nothing was written
    or marked sent (the deliveries are FAILED, retried later)."""


def _earve_item(item: Delivery, channel: EInvoiceChannel | None) -> earve.EarveInvoice:
    account = item.invoice.billing_account
    if channel is None:
        raise earve.UnableToBuildEarve(
            f"Invoice {item.invoice.number}: billing account {account.reference_number} has "
            "no e-invoice bank channel (the payer's bank and IBAN; add one in the admin)"
        )
    data = render_invoices.document_data(item.invoice)
    return earve.EarveInvoice(
        data=data,
        channel=earve.BankChannel(bank_bic=channel.bank_bic, payer_iban=channel.payer_iban),
    )


def _write_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def _fail_batch(
    items: list[tuple[Delivery, earve.EarveInvoice]], at: dt.datetime, reason: str
) -> NoReturn:
    for item, _built in items:
        delivery.mark_failed(delivery_id=item.pk, at=at, error=reason)
    raise InvalidEarveBatch(reason)


def einvoice_batch(
    *, period: Month, as_of: dt.datetime, output: Path, schema: Path | None
) -> EinvoiceBatchReport:
    """Write the period's due e-invoice deliveries to one e-arve file at ``output`` and mark
    them sent to it. Each invoice is built alone first, so one that cannot be an e-arve (no
    bank channel, no payer code, ...) is a FAILED delivery and the others go on; the whole
    file is then checked (``schema``: the e-arve XSD, when given, and always its sums) before
    anything is written."""
    report = EinvoiceBatchReport(period=str(period))
    report.queued = delivery.queue_period(period=str(period), at=as_of)
    ids = delivery.due(period=str(period), channel=Channel.E_INVOICE, at=as_of)
    claimed = [_load(i) for i in ids if delivery.claim(delivery_id=i, at=as_of)]
    channels = document_queries.einvoice_channels(
        billing_account_ids=[item.invoice.billing_account_id for item in claimed]
    )
    items: list[tuple[Delivery, earve.EarveInvoice]] = []
    for item in claimed:
        try:
            built = _earve_item(item, channels.get(item.invoice.billing_account_id))
            earve.build_batch([built], file_id="check", created_on=as_of.date())
        except (earve.UnableToBuildEarve, InvalidInvoiceDocument) as exc:
            delivery.mark_failed(delivery_id=item.pk, at=as_of, error=str(exc))
            report.failures.append((item.invoice.number or 0, str(exc)))
            continue
        items.append((item, built))
    if not items:
        return report
    file_id = f"{period}-{as_of:%Y%m%d%H%M%S}"
    xml = earve.build_batch([b for _, b in items], file_id=file_id, created_on=as_of.date())
    errors = earve.check(xml, schema) if schema is not None else earve.sum_errors(xml)
    if errors:
        _fail_batch(items, as_of, f"e-arve file {file_id}: " + "; ".join(errors[:5]))
    try:
        _write_atomically(output, xml)
    except OSError as exc:
        _fail_batch(items, as_of, f"e-arve file {file_id}: cannot write {output}: {exc}")
    delivery.mark_many_sent(
        delivery_ids=[item.pk for item, _ in items], at=as_of, destination=str(output)
    )
    report.included = [item.invoice.number or 0 for item, _ in items]
    report.file = output
    return report
