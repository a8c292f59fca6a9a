"""Writes of documents: recording an invoice's rendered PDF (once; it never changes) and a
letter's."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from vool.domain.documents.models import InvoiceDocument, Letter, Supplier


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
        raise DocumentChanged(
            f"Invoice {existing.invoice.number}: its PDF was rendered on "
            f"{existing.rendered_at:%Y-%m-%d} (SHA-256 {existing.sha256[:12]}…) and a re-render "
            f"gives different bytes ({sha256[:12]}…); an issued invoice's PDF never changes. "
            "Was the template, the supplier or the invoice data changed since?"
        )
    return existing


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


def ensure_supplier(*, details: dict[str, str]) -> Supplier:
    """The active supplier; one is made from ``details`` when none is active (idempotent)."""
    active = Supplier.objects.filter(is_active=True).first()
    return active or Supplier.objects.create(**details)
