"""SEPA direct debit: mandates, the invoices to collect on a date, and what was sent.

``due_for_collection(collection_date=...)`` finds in one query the issued invoices to collect:
due on or before the date, something left to pay, never collected before, not disputed on the
date, on an account whose mandate is in force on the date (signed on or before it, not
revoked). ``record_collection`` stores the file and one :class:`DirectDebitItem` per invoice
(the invoice is unique among items: two runs at the same time cannot both collect it). The
first collection on a mandate is FRST, the later ones RCUR.

What comes back is on the bank statement: a collection is a credit carrying our end-to-end id
and the account's reference number, matched and allocated like any payment; a return is a
debit with a reason code (``RtrInf``), which the import connects to the payment it takes back
(by the end-to-end id) and to the item here (:func:`mark_returned`), so the invoice is open
again and follows dunning; it is not collected again automatically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from vool.common.identifiers import InvalidIdentifier, validate_iban
from vool.domain.billing.models import Invoice
from vool.domain.receivables.models import (
    DirectDebitCollection,
    DirectDebitItem,
    DirectDebitMandate,
    DunningHold,
    InvoiceSettlement,
)
from vool.domain.receivables.queries import cents

_MONEY = DecimalField(max_digits=14, decimal_places=2)
END_TO_END_PREFIX = "VOOL-DD-"


class UnableToAddMandate(ValueError):
    """The mandate cannot be recorded (the message says why)."""


@dataclass(frozen=True)
class DueCollection:
    invoice_id: int
    invoice_number: int
    amount: Decimal
    reference: str
    mandate_pk: int
    mandate_id: str
    mandate_date: dt.date
    debtor_name: str
    debtor_iban: str
    debtor_bic: str
    sequence_type: str
    end_to_end_id: str


def add_mandate(
    *,
    billing_account_id: int,
    mandate_id: str,
    signed_date: dt.date,
    debtor_name: str,
    debtor_iban: str,
    by: str,
    now: dt.datetime,
    debtor_bic: str = "",
) -> DirectDebitMandate:
    if not by.strip():
        raise UnableToAddMandate("Say who records the mandate.")
    try:
        iban = validate_iban(debtor_iban)
    except InvalidIdentifier as exc:
        raise UnableToAddMandate(f"Debtor IBAN: {exc}") from exc
    with transaction.atomic():
        if DirectDebitMandate.objects.filter(
            billing_account_id=billing_account_id, revoked_date__isnull=True
        ).exists():
            raise UnableToAddMandate("The account already has a mandate in force; revoke it first.")
        if DirectDebitMandate.objects.filter(mandate_id=mandate_id).exists():
            raise UnableToAddMandate(f"Mandate id {mandate_id} is already used.")
        return DirectDebitMandate.objects.create(
            billing_account_id=billing_account_id,
            mandate_id=mandate_id.strip(),
            signed_date=signed_date,
            debtor_name=debtor_name.strip()[:70],
            debtor_iban=iban,
            debtor_bic=debtor_bic.strip().upper(),
            created_by=by.strip()[:150],
            created_at=now,
        )


def _in_force(day: dt.date) -> Q:
    return Q(signed_date__lte=day) & (Q(revoked_date__isnull=True) | Q(revoked_date__gt=day))


def due_for_collection(*, collection_date: dt.date) -> list[DueCollection]:
    """The invoices to collect on ``collection_date`` (see the module), oldest first."""
    settled = (
        InvoiceSettlement.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    mandates = DirectDebitMandate.objects.filter(
        _in_force(collection_date), billing_account=OuterRef("billing_account")
    )
    disputed = DunningHold.objects.filter(
        Q(valid_from__lte=collection_date)
        & (Q(valid_to__isnull=True) | Q(valid_to__gt=collection_date)),
        kind=DunningHold.Kind.DISPUTED,
        invoice=OuterRef("pk"),
    )
    rows = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            number__isnull=False,
            due_date__lte=collection_date,
        )
        .exclude(Exists(DirectDebitItem.objects.filter(invoice=OuterRef("pk"))))
        .exclude(Exists(disputed))
        .annotate(
            mandate_pk=Subquery(mandates.values("pk")[:1]),
            open_amount=F("amount_due")
            - Coalesce(Subquery(settled, output_field=_MONEY), Value(Decimal(0))),
        )
        .filter(mandate_pk__isnull=False, open_amount__gte=Decimal("0.005"))
        .order_by("billing_account_id", "due_date", "number")
        .values_list(
            "pk", "number", "open_amount", "billing_account__reference_number", "mandate_pk"
        )
    )
    found = list(rows)
    by_pk = DirectDebitMandate.objects.in_bulk({m for *_, m in found})
    used = set(
        DirectDebitItem.objects.filter(mandate_id__in=list(by_pk)).values_list(
            "mandate_id", flat=True
        )
    )
    due = []
    for invoice_id, number, open_amount, reference, mandate_pk in found:
        if number is None:  # issued invoices have numbers (filtered above)
            continue
        mandate = by_pk[mandate_pk]
        due.append(
            DueCollection(
                invoice_id=invoice_id,
                invoice_number=number,
                amount=cents(open_amount),
                reference=reference,
                mandate_pk=mandate_pk,
                mandate_id=mandate.mandate_id,
                mandate_date=mandate.signed_date,
                debtor_name=mandate.debtor_name,
                debtor_iban=mandate.debtor_iban,
                debtor_bic=mandate.debtor_bic,
                sequence_type="RCUR" if mandate_pk in used else "FRST",
                end_to_end_id=f"{END_TO_END_PREFIX}{number}",
            )
        )
        used.add(mandate_pk)
    return due


def next_message_id(*, collection_date: dt.date) -> str:
    sent = DirectDebitCollection.objects.filter(collection_date=collection_date).count()
    return f"VOOL-DD-{collection_date:%Y%m%d}-{sent + 1}"


def record_collection(
    *,
    collection_date: dt.date,
    message_id: str,
    xml: str,
    collections: Sequence[DueCollection],
    by: str,
    now: dt.datetime,
) -> DirectDebitCollection:
    """Store the file sent and its items (inside the caller's transaction)."""
    file = DirectDebitCollection.objects.create(
        message_id=message_id,
        collection_date=collection_date,
        item_count=len(collections),
        total_amount=sum((c.amount for c in collections), Decimal("0.00")),
        xml=xml,
        created_by=by[:150],
        created_at=now,
    )
    DirectDebitItem.objects.bulk_create(
        [
            DirectDebitItem(
                collection=file,
                invoice_id=c.invoice_id,
                mandate_id=c.mandate_pk,
                amount=c.amount,
                sequence_type=c.sequence_type,
                end_to_end_id=c.end_to_end_id,
            )
            for c in collections
        ]
    )
    return file


def collected_invoices(*, end_to_end_ids: set[str]) -> dict[str, int]:
    """The invoice each of our collections (by end-to-end id) collected; one query, only for
    ids of our form."""
    ours = sorted(e for e in end_to_end_ids if e.startswith(END_TO_END_PREFIX))
    if not ours:
        return {}
    return dict(
        DirectDebitItem.objects.filter(end_to_end_id__in=ours).values_list(
            "end_to_end_id", "invoice_id"
        )
    )


def mark_returned(*, end_to_end_id: str, reason: str, bank_debit_id: int) -> int:
    """The bank returned the collection with this end-to-end id (reason code ``reason``)."""
    if not end_to_end_id:
        return 0
    return DirectDebitItem.objects.filter(
        end_to_end_id=end_to_end_id, status=DirectDebitItem.Status.SENT
    ).update(
        status=DirectDebitItem.Status.RETURNED,
        return_reason=reason[:35],
        returned_by_id=bank_debit_id,
    )
