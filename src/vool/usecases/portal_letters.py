"""The letters sent to a customer, in the portal: the list (what each is about, to which
account, when) and each letter's PDF, as it was sent. Only the customer's own letters: any
other id is :class:`~vool.usecases.portal.NotTheirs` (the page answers 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext, pgettext

from vool.domain.documents import queries as document_queries
from vool.usecases import render_invoices
from vool.usecases.portal import NotTheirs

if TYPE_CHECKING:  # types only
    from vool.domain.customers.models import Customer


@dataclass(frozen=True)
class PortalLetter:
    letter_id: int
    title: str
    reference_number: str
    sent_at: dt.datetime | None
    size_bytes: int


def _title(kind: str) -> str:
    """What a letter of ``kind`` is about, in the active language (the letters' own titles)."""
    if kind == "new-reference-number":
        return pgettext("letter", "Your new reference number")
    if kind == "dunning":
        return pgettext("letter", "Payment reminder")
    return gettext("Letter")


def letters_of(customer: Customer) -> list[PortalLetter]:
    """The letters sent to the customer's billing accounts, newest first."""
    return [
        PortalLetter(
            letter_id=row.letter_id,
            title=_title(row.kind),
            reference_number=row.reference_number,
            sent_at=row.sent_at,
            size_bytes=row.size_bytes,
        )
        for row in document_queries.sent_letters_of_customer(customer_id=customer.pk)
    ]


@dataclass(frozen=True)
class LetterFile:
    filename: str
    pdf: bytes


def letter_file(customer: Customer, *, letter_id: int) -> LetterFile:
    """The stored PDF of the customer's letter ``letter_id``; :class:`NotTheirs` otherwise."""
    letter = document_queries.sent_letter_of_customer(customer_id=customer.pk, letter_id=letter_id)
    if letter is None:
        raise NotTheirs(f"Letter {letter_id} is not one sent to this customer.")
    name = f"vool-{letter.kind}-{letter.billing_account.reference_number}-{letter.pk}.pdf"
    return LetterFile(filename=name, pdf=render_invoices.store().read(letter.path))
