"""Writes of documents: recording an invoice's rendered PDF (once; it never changes) and a
letter's, and the record of an e-mail sent to a customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from vool.domain.documents.models import InvoiceDocument, Letter, SentEmail, Supplier


class DocumentChanged(Exception):
    """A re-render of an invoice gave different bytes than the PDF already issued."""


def record_document(
    *,
    invoice_id: int,
    language: str,
    template: str,
    sha256: str,
    path: str,
    size_bytes: int,
    rendered_at: dt.datetime,
) -> InvoiceDocument:
    """Record the invoice's PDF; the same PDF again is a no-op, a different one an error."""
    existing = InvoiceDocument.objects.filter(invoice_id=invoice_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                return InvoiceDocument.objects.create(
                    invoice_id=invoice_id,
                    language=language,
                    template=template,
                    sha256=sha256,
                    path=path,
                    size_bytes=size_bytes,
                    rendered_at=rendered_at,
                )
        except IntegrityError:  # rendered concurrently by another worker
            existing = InvoiceDocument.objects.get(invoice_id=invoice_id)
    if existing.sha256 != sha256:
        raise _changed(existing, sha256)
    return existing


def _changed(existing: InvoiceDocument, sha256: str) -> DocumentChanged:
    return DocumentChanged(
        f"Invoice {existing.invoice.number}: its PDF was rendered on "
        f"{existing.rendered_at:%Y-%m-%d} (SHA-256 {existing.sha256[:12]}…) and a re-render "
        f"gives different bytes ({sha256[:12]}…); an issued invoice's PDF never changes. "
        "Was the template, the supplier or the invoice data changed since?"
    )


@dataclass(frozen=True)
class NewDocument:
    """An invoice's rendered and stored PDF, to be recorded (:func:`record_documents`)."""

    invoice_id: int
    language: str
    template: str
    sha256: str
    path: str
    size_bytes: int


def record_documents(
    documents: Sequence[NewDocument], *, rendered_at: dt.datetime
) -> dict[int, InvoiceDocument | DocumentChanged]:
    """Record a chunk's PDFs in one insert, each by the rule of :func:`record_document`: an
    invoice with a document already (rendered meanwhile by another worker) keeps it; the same
    PDF again is then that document, a different one a :class:`DocumentChanged` (and nothing
    of it recorded). Per invoice id: its document, or the error."""
    if not documents:
        return {}
    InvoiceDocument.objects.bulk_create(
        [
            InvoiceDocument(
                invoice_id=new.invoice_id,
                language=new.language,
                template=new.template,
                sha256=new.sha256,
                path=new.path,
                size_bytes=new.size_bytes,
                rendered_at=rendered_at,
            )
            for new in documents
        ],
        ignore_conflicts=True,  # those rendered meanwhile: compared below
    )
    recorded = InvoiceDocument.objects.select_related("invoice").in_bulk(
        [new.invoice_id for new in documents], field_name="invoice_id"
    )
    out: dict[int, InvoiceDocument | DocumentChanged] = {}
    for new in documents:
        existing = recorded.get(new.invoice_id)
        if existing is None:
            raise IntegrityError(f"The PDF of invoice id {new.invoice_id} was not recorded.")
        same = existing.sha256 == new.sha256
        out[new.invoice_id] = existing if same else _changed(existing, new.sha256)
    return out


def record_letter(
    *,
    kind: str,
    campaign: str,
    billing_account_id: int,
    language: str,
    channel: str,
    sha256: str,
    path: str,
    size_bytes: int,
    rendered_at: dt.datetime,
) -> Letter | None:
    """Record a rendered letter of ``campaign``, due to be sent at once; None if the account
    already has this campaign's letter (made meanwhile by a concurrent run)."""
    try:
        with transaction.atomic():
            return Letter.objects.create(
                kind=kind,
                campaign=campaign,
                billing_account_id=billing_account_id,
                language=language,
                channel=channel,
                sha256=sha256,
                path=path,
                size_bytes=size_bytes,
                rendered_at=rendered_at,
                next_attempt_at=rendered_at,
            )
    except IntegrityError:
        return None


@dataclass(frozen=True)
class EmailAttempt:
    """What was tried: an e-mail of ``kind`` to ``recipient`` (empty: the customer has no
    address), and the mail server's error (empty: sent)."""

    customer_id: int
    kind: str
    subject: str
    recipient: str
    language: str
    error: str = ""
    billing_account_id: int | None = None
    contract_id: int | None = None


def record_email(*, attempt: EmailAttempt, sent_at: dt.datetime) -> SentEmail:
    """Record an e-mail sent (or refused, with the error) at ``sent_at``."""
    return SentEmail.objects.create(
        customer_id=attempt.customer_id,
        billing_account_id=attempt.billing_account_id,
        contract_id=attempt.contract_id,
        kind=attempt.kind,
        subject=attempt.subject[:200],
        recipient=attempt.recipient,
        language=attempt.language,
        status=SentEmail.Status.FAILED if attempt.error else SentEmail.Status.SENT,
        error=attempt.error,
        sent_at=sent_at,
    )


def ensure_supplier(*, details: dict[str, str]) -> Supplier:
    """The active supplier; one is made from ``details`` when none is active (idempotent)."""
    active = Supplier.objects.filter(is_active=True).first()
    return active or Supplier.objects.create(**details)
