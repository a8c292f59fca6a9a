"""Reads for documents: the supplier printed on bills, and stored invoice documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, QuerySet

from vool.common.localtime import Month
from vool.common.short_lived import ShortLived
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import BillingAccount
from vool.domain.documents.models import (
    Delivery,
    EInvoiceChannel,
    InvoiceDocument,
    Letter,
    SentEmail,
    Supplier,
)


@dataclass(frozen=True)
class SupplierDetails:
    name: str
    street_address: str
    city: str
    postal_code: str
    country: str
    registry_code: str
    vat_number: str
    iban: str
    bic: str
    bank_name: str
    email: str
    phone: str
    website: str

    @classmethod
    def of(cls, supplier: Supplier) -> SupplierDetails:
        return cls(**{f: getattr(supplier, f) for f in cls.__dataclass_fields__})


def current_supplier() -> SupplierDetails:
    """The active :class:`Supplier` (edited in the admin); with none, the defaults from the
    ``VOOL_SUPPLIER`` setting."""
    active = Supplier.objects.filter(is_active=True).first()
    if active is not None:
        return SupplierDetails.of(active)
    defaults = dict(settings.VOOL_SUPPLIER)
    return SupplierDetails(
        **{f: str(defaults.get(f, "")) for f in SupplierDetails.__dataclass_fields__}
    )


#: the supplier as the portal's pages show it (payment details, the QR): read at most every
#: 10 s per process; an admin change shows at once in the process that made it (the model's
#: signals, ``DocumentsConfig.ready``) and within 10 s in the others. Bills and letters read
#: :func:`current_supplier` itself.
supplier_shown: ShortLived[SupplierDetails] = ShortLived(current_supplier, seconds=10.0)


def current_supplier_shown() -> SupplierDetails:
    """:func:`current_supplier` read at most every 10 s per process (see ``supplier_shown``)."""
    return supplier_shown.get()


def document_of(*, invoice_id: int) -> InvoiceDocument | None:
    return InvoiceDocument.objects.filter(invoice_id=invoice_id).first()


def invoices_without_document(*, period: Month) -> list[int]:
    """Ids of the period's issued invoices and credit notes without a document yet, by number."""
    return list(
        Invoice.objects.filter(period=str(period), number__isnull=False, document__isnull=True)
        .order_by("number")
        .values_list("pk", flat=True)
    )


def without_document(*, invoice_ids: Collection[int]) -> set[int]:
    """Those of ``invoice_ids`` that have no document yet."""
    return set(
        Invoice.objects.filter(pk__in=invoice_ids, document__isnull=True).values_list(
            "pk", flat=True
        )
    )


def get_delivery(*, delivery_id: int) -> Delivery:
    """Delivery ``delivery_id`` with its invoice, the invoice's account, customer and PDF."""
    return Delivery.objects.select_related(
        "invoice__billing_account__customer", "invoice__document"
    ).get(pk=delivery_id)


def waiting_for_bank_count(*, period: str) -> int:
    """The period's e-invoice deliveries not yet sent to the bank (pending or failed)."""
    return Delivery.objects.filter(
        invoice__period=period,
        channel=BillingAccount.InvoiceChannel.E_INVOICE,
        status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
    ).count()


def einvoice_channels(*, billing_account_ids: Collection[int]) -> dict[int, EInvoiceChannel]:
    """The e-invoice bank channel of each of these billing accounts that has one."""
    return {
        c.billing_account_id: c
        for c in EInvoiceChannel.objects.filter(billing_account_id__in=set(billing_account_ids))
    }


def failed_deliveries() -> QuerySet[Delivery]:
    """Deliveries that failed, with their invoice's account and customer, oldest first."""
    return (
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .select_related("invoice__billing_account__customer")
        .order_by("pk")
    )


def letters_of_campaign(*, kind: str, campaign: str) -> QuerySet[Letter]:
    """The letters of ``kind`` already made in ``campaign``."""
    return Letter.objects.filter(kind=kind, campaign=campaign)


def get_letter(*, letter_id: int) -> Letter:
    """Letter ``letter_id`` with its billing account and customer."""
    return Letter.objects.select_related("billing_account__customer").get(pk=letter_id)


def letters_of_accounts(*, billing_account_ids: Collection[int]) -> QuerySet[Letter]:
    """The letters made for the accounts, newest first (the 360° page paginates them)."""
    return (
        Letter.objects.filter(billing_account_id__in=billing_account_ids)
        .select_related("billing_account")
        .order_by("-rendered_at", "-pk")
    )


def emails_of_customer(*, customer_id: int) -> QuerySet[SentEmail]:
    """The e-mails sent to the customer (confirmations of moves and package changes), newest
    first (the 360° page paginates them)."""
    return (
        SentEmail.objects.filter(customer_id=customer_id)
        .select_related("billing_account", "contract__metering_point")
        .order_by("-sent_at", "-pk")
    )


def deliveries_of_accounts(*, billing_account_ids: Collection[int]) -> QuerySet[Delivery]:
    """How the accounts' invoices were sent (e-mail, print, e-invoice, portal), newest first
    (the 360° page paginates them)."""
    return (
        Delivery.objects.filter(invoice__billing_account_id__in=billing_account_ids)
        .select_related("invoice__billing_account")
        .order_by("-queued_at", "-pk")
    )


@dataclass(frozen=True)
class SentLetter:
    """A letter sent to one of a customer's billing accounts (what the portal lists)."""

    letter_id: int
    kind: str
    campaign: str
    reference_number: str
    language: str
    channel: str
    sent_at: dt.datetime | None
    size_bytes: int


def sent_letters_of_customer(*, customer_id: int) -> list[SentLetter]:
    """The letters sent to the customer's billing accounts (by any channel), newest first."""
    rows = (
        Letter.objects.filter(billing_account__customer_id=customer_id, status=Letter.Status.SENT)
        .order_by("-sent_at", "-pk")
        .values(
            "kind",
            "campaign",
            "language",
            "channel",
            "sent_at",
            "size_bytes",
            letter_id=F("pk"),
            reference_number=F("billing_account__reference_number"),
        )
    )
    return [SentLetter(**row) for row in rows]


def sent_letter_of_customer(*, customer_id: int, letter_id: int) -> Letter | None:
    """Letter ``letter_id`` if it was sent to one of the customer's accounts, else None."""
    return (
        Letter.objects.filter(
            pk=letter_id, billing_account__customer_id=customer_id, status=Letter.Status.SENT
        )
        .select_related("billing_account")
        .first()
    )
