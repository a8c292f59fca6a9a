"""``vool bank direct-debit --date``: the SEPA direct-debit collections of a date as one
pain.008.001.02 file (``integrations.bank.pain008``), checked against the XSD in
``VOOL_SCHEMAS_DIR`` and recorded with its items in one transaction
(``receivables.direct_debit``): nothing is recorded when the file is not valid, and an
invoice is never in two files. The creditor is the supplier (``VOOL_SUPPLIER`` name, IBAN,
BIC) with ``VOOL_SEPA_CREDITOR_ID``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction

from vool.domain.receivables import direct_debit
from vool.integrations.bank import pain008

__all__ = ["DirectDebitFile", "UnableToCollect", "collect", "creditor"]


class UnableToCollect(ValueError):
    """The collections cannot be written (the message says what to set or fix)."""


@dataclass(frozen=True)
class DirectDebitFile:
    message_id: str
    collection_date: dt.date
    count: int
    total: Decimal
    xml: bytes


def creditor() -> pain008.Creditor:
    supplier = settings.VOOL_SUPPLIER
    missing = [
        name
        for name, value in (
            ("VOOL_SEPA_CREDITOR_ID", settings.VOOL_SEPA_CREDITOR_ID),
            ("VOOL_SUPPLIER_NAME", supplier.get("name")),
            ("VOOL_SUPPLIER_IBAN", supplier.get("iban")),
            ("VOOL_SUPPLIER_BIC", supplier.get("bic")),
        )
        if not value
    ]
    if missing:
        raise UnableToCollect(f"Set {', '.join(missing)} to write direct-debit collections.")
    return pain008.Creditor(
        name=supplier["name"],
        iban=supplier["iban"].replace(" ", ""),
        bic=supplier["bic"],
        creditor_id=settings.VOOL_SEPA_CREDITOR_ID,
    )


def _collection(due: direct_debit.DueCollection) -> pain008.Collection:
    return pain008.Collection(
        end_to_end_id=due.end_to_end_id,
        amount=due.amount,
        sequence_type=due.sequence_type,
        mandate_id=due.mandate_id,
        mandate_date=due.mandate_date,
        debtor_name=due.debtor_name,
        debtor_iban=due.debtor_iban,
        debtor_bic=due.debtor_bic,
        reference=due.reference,
        text=f"Arve {due.invoice_number}",
    )


def collect(
    *,
    collection_date: dt.date,
    now: dt.datetime,
    by: str,
    schemas_dir: Path | None = None,
) -> DirectDebitFile | None:
    """Write and record the date's collections; None when there is nothing to collect."""
    who = by.strip() or "direct debit"
    with transaction.atomic():
        due = direct_debit.due_for_collection(collection_date=collection_date)
        if not due:
            return None
        message_id = direct_debit.next_message_id(collection_date=collection_date)
        xml = pain008.build(
            creditor=creditor(),
            collections=[_collection(d) for d in due],
            collection_date=collection_date,
            message_id=message_id,
            created_at=now,
        )
        try:
            pain008.validate(xml, schemas_dir=schemas_dir or settings.VOOL_SCHEMAS_DIR)
        except pain008.InvalidDirectDebitFile as exc:
            raise UnableToCollect(str(exc)) from exc
        file = direct_debit.record_collection(
            collection_date=collection_date,
            message_id=message_id,
            xml=xml.decode("utf-8"),
            collections=due,
            by=who,
            now=now,
        )
    return DirectDebitFile(
        message_id=message_id,
        collection_date=collection_date,
        count=file.item_count,
        total=file.total_amount,
        xml=xml,
    )
