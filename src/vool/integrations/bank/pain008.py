"""SEPA Core direct-debit collections as ISO 20022 **pain.008.001.02**, written with
``sepaxml`` (``clean=False``, so names and texts keep õ ä ö ü; the XML is UTF-8) and checked
against the pain.008.001.02 XSD in the schemas folder. Pure: no Django.

Each collection is its own payment information block with batch booking off (``BtchBookg``
false), so the bank books every collection as its own entry on the statement, carrying our
end-to-end id and the ``/RFB/<reference number>/TXT/<text>`` remittance that the camt import
matches to the billing account. The message id and creation time are ours (sepaxml's random
ones and its clock are replaced), so the same collections written twice give the same file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree
from sepaxml import SepaDD

from vool.integrations.bank.camt import safe_parser

MESSAGE = "pain.008.001.02"
NS = f"urn:iso:std:iso:20022:tech:xsd:{MESSAGE}"


class InvalidDirectDebitFile(ValueError):
    """The file written is not valid pain.008.001.02 (the message names the element)."""


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str


@dataclass(frozen=True)
class Collection:
    end_to_end_id: str
    amount: Decimal
    sequence_type: str  # FRST or RCUR
    mandate_id: str
    mandate_date: dt.date
    debtor_name: str
    debtor_iban: str
    debtor_bic: str
    reference: str  # the billing account's reference number
    text: str


def _cents(amount: Decimal) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value() or cents <= 0:
        raise ValueError(f"A collection is a positive amount in cents, not {amount}.")
    return int(cents)


def _payment(collection: Collection, collection_date: dt.date) -> dict[str, Any]:
    payment: dict[str, Any] = {
        "name": collection.debtor_name[:70],
        "IBAN": collection.debtor_iban,
        "amount": _cents(collection.amount),
        "type": collection.sequence_type,
        "collection_date": collection_date,
        "mandate_id": collection.mandate_id,
        "mandate_date": collection.mandate_date,
        "description": f"/RFB/{collection.reference}/TXT/{collection.text}"[:140],
        "endtoend_id": collection.end_to_end_id,
    }
    if collection.debtor_bic:
        payment["BIC"] = collection.debtor_bic
    return payment


def build(
    *,
    creditor: Creditor,
    collections: Sequence[Collection],
    collection_date: dt.date,
    message_id: str,
    created_at: dt.datetime,
) -> bytes:
    """The pain.008.001.02 document of ``collections`` (at least one)."""
    if not collections:
        raise ValueError("A direct-debit file needs at least one collection.")
    sdd = SepaDD(
        {
            "name": creditor.name[:70],
            "IBAN": creditor.iban,
            "BIC": creditor.bic,
            "batch": False,
            "creditor_id": creditor.creditor_id,
            "currency": "EUR",
        },
        schema=MESSAGE,
        clean=False,
    )
    for collection in collections:
        sdd.add_payment(_payment(collection, collection_date))
    root = etree.fromstring(sdd.export(validate=False), safe_parser())
    ns = {"p": NS}
    root.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", ns).text = message_id
    root.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:CreDtTm", ns).text = created_at.strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    for number, block in enumerate(root.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", ns), start=1):
        block.find("p:PmtInfId", ns).text = f"{message_id}-{number}"[:35]
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def validate(data: bytes, *, schemas_dir: Path) -> None:
    """Check ``data`` against the pain.008.001.02 XSD in ``schemas_dir/iso20022``."""
    path = schemas_dir / "iso20022" / f"{MESSAGE}.xsd"
    if not path.is_file():
        raise FileNotFoundError(
            f"The {MESSAGE} schema is not at {path}; set VOOL_SCHEMAS_DIR to the schemas folder."
        )
    schema = etree.XMLSchema(etree.parse(str(path), safe_parser()))
    document = etree.fromstring(data, safe_parser())
    if not schema.validate(document):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:5])
        raise InvalidDirectDebitFile(f"The direct-debit file is not valid {MESSAGE}: {errors}")
