"""ISO 20022 bank-to-customer messages as Estonian banks send them: camt.053.001.02 (the
end-of-day statement) and camt.054.001.02 (the intraday debit/credit notification).

Pure: lxml and plain values, no Django, no domain code. :func:`parse` reads the bytes with
entities, DTD loading and network access off, refuses a DOCTYPE outright (XXE, billion
laughs), validates the document against the XSD, and returns a :class:`Statement` with one
:class:`Transaction` per transaction of every entry (an entry with several ``TxDtls`` is a
batch; each is its own transaction, its amount from ``AmtDtls/TxAmt/Amt``).

The creditor reference (ESTONIA.md §1, §8): ``RmtInf/Strd/CdtrRefInf/Ref`` (an Estonian 7-3-1
viitenumber or an ISO 11649 ``RF`` reference), or, when the payer gave both a reference and a
text, ``RmtInf/Ustrd`` as ``/RFB/<ref>/TXT/<text>``; a ``Ustrd`` that is an RF reference alone
counts too. A structured reference with a wrong check digit is a damaged file (banks refuse
such references at the payer's end), so the file is refused naming the entry and the field.
A reference-like number in the free text is left to the matching, as a suggestion only.

Anything wrong raises :class:`InvalidBankFile` listing every problem with the entry (its
position and ``AcctSvcrRef``), the field and the line.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from lxml import etree

from vool.common.identifiers import (
    InvalidIdentifier,
    rf_to_reference,
    validate_iban,
    validate_reference_number,
    validate_rf,
)
from vool.integrations.safe_input import cut

__all__ = [
    "CAMT053",
    "CAMT054",
    "FieldError",
    "InvalidBankFile",
    "Statement",
    "Transaction",
    "parse",
    "safe_parser",
]

CAMT053: Final = "camt.053.001.02"
CAMT054: Final = "camt.054.001.02"
_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:"
_ROOTS: Final = {CAMT053: ("BkToCstmrStmt", "Stmt"), CAMT054: ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
MAX_ERRORS: Final = 100
CURRENCY: Final = "EUR"
_RFB: Final = re.compile(r"^\s*/RFB/([^/]*)(?:/TXT/(.*))?$", re.DOTALL)
_RF_ALONE: Final = re.compile(r"^\s*(RF\d\d[A-Za-z0-9 ]{1,25})\s*$")
_PROLOG_DANGER: Final = (b"<!DOCTYPE", b"<!ENTITY")
_ENTRY_STOP: Final = frozenset({"NtryDtls/TxDtls"})


MESSAGE_CHARS: Final = 300  # a refusal's part at most this long (a file's content is echoed)


@dataclass(frozen=True)
class FieldError:
    location: str  # "entry 3 (AcctSvcrRef 2026...)" or "file"
    field: str  # "Ntry/Amt"
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        # what the file holds is echoed (a namespace, lxml's and the schema's messages): cut
        for name in ("location", "field", "message"):
            object.__setattr__(self, name, cut(getattr(self, name), MESSAGE_CHARS))

    def __str__(self) -> str:
        at = f" (line {self.line})" if self.line else ""
        return f"{self.location}, {self.field}{at}: {self.message}"


class InvalidBankFile(Exception):
    """The file cannot be imported; ``errors`` names every bad entry and field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{shown}{more}")


@dataclass(frozen=True)
class Transaction:
    """One booked (or pending) movement on the account, as plain values."""

    entry_number: int  # 1-based position of the Ntry in the file
    key: str  # unique per account: AcctSvcrRef (with /n for the n-th TxDtls of a batch)
    account_servicer_reference: str
    amount: Decimal  # positive; the direction is ``is_credit``
    currency: str
    is_credit: bool
    is_reversal: bool
    status: str  # BOOK / PDNG / INFO
    booking_date: dt.date | None
    value_date: dt.date | None
    bank_transaction_code: str  # "PMNT/RCDT/ESCT" or the proprietary code
    counterparty_name: str  # the payer of a credit, the payee of a debit
    counterparty_iban: str
    end_to_end_id: str
    reference: str  # the creditor reference: Estonian digits, or what an RF reference carries
    reference_source: str  # "Strd", "RFB", "RF" (Ustrd), or ""
    text: str  # the free text (Ustrd, the TXT part of /RFB/, AddtlRmtInf)
    return_reason: str  # RtrInf/Rsn/Cd (e.g. "AC04", "MD06"), or ""

    @property
    def is_booked(self) -> bool:
        return self.status == "BOOK"


@dataclass(frozen=True)
class Statement:
    message: str  # CAMT053 or CAMT054
    message_id: str
    statement_id: str
    created_at: str  # CreDtTm as written
    account_iban: str
    account_currency: str
    transactions: tuple[Transaction, ...]
    sha256: str


def safe_parser() -> Any:
    """An lxml parser that resolves no entity, loads no DTD and never goes to the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_blank_text=False,
    )


@functools.cache
def _schema(path: Path) -> Any:
    return etree.XMLSchema(etree.parse(str(path), safe_parser()))


def _load(data: bytes) -> Any:
    head = data[:4096]
    if any(marker in head for marker in _PROLOG_DANGER):
        raise InvalidBankFile(
            [
                FieldError(
                    "file",
                    "DOCTYPE",
                    "a bank statement must not have a DOCTYPE or entity "
                    "declarations; the file is refused",
                )
            ]
        )
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise InvalidBankFile(
            [
                FieldError(
                    "file", "XML", f"not well-formed XML ({exc.msg}); truncated or damaged?", line
                )
            ]
        ) from None
    if root.getroottree().docinfo.doctype:
        raise InvalidBankFile([FieldError("file", "DOCTYPE", "a DOCTYPE is not allowed")])
    return root


def _message_of(root: Any) -> str:
    namespace = etree.QName(root).namespace or ""
    message = namespace.removeprefix(_NAMESPACE)
    if not namespace.startswith(_NAMESPACE) or message not in _ROOTS:
        raise InvalidBankFile(
            [
                FieldError(
                    "file",
                    "Document",
                    f"not a {CAMT053} or {CAMT054} document (namespace {namespace or 'none'!r})",
                    root.sourceline,
                )
            ]
        )
    return message


def _validate(root: Any, message: str, schemas_dir: Path) -> None:
    path = schemas_dir / "iso20022" / f"{message}.xsd"
    if not path.is_file():
        raise FileNotFoundError(
            f"The {message} schema is not at {path}; set VOOL_SCHEMAS_DIR to the schemas folder."
        )
    schema = _schema(path)
    if schema.validate(root):
        return
    raise InvalidBankFile(
        [
            FieldError(
                "file",
                e.path.replace("/*[local-name()='", "/").replace("']", "") or "XML",
                f"not valid {message}: {e.message}",
                e.line,
            )
            for e in list(schema.error_log)[:MAX_ERRORS]
        ]
    )


class _Flat:
    """One element's descendants by their path of local names (``"Refs/EndToEndId"``), read
    in one walk: a few dictionary look-ups per field instead of an XPath search each. The
    walk does not descend below the paths in ``stop`` (they are listed, not opened)."""

    __slots__ = ("by_path", "sourceline")

    def __init__(self, node: Any, stop: frozenset[str] = frozenset()) -> None:
        self.by_path: dict[str, list[Any]] = {}
        self.sourceline = node.sourceline
        tag = node.tag
        cut = tag.index("}") + 1 if isinstance(tag, str) and tag.startswith("{") else 0
        keys = [""]
        walk = etree.iterwalk(node, events=("start", "end"))
        next(walk)  # the element itself
        for event, element in walk:
            if event == "end":
                keys.pop()
                continue
            parent = keys[-1]
            key = f"{parent}/{element.tag[cut:]}" if parent else element.tag[cut:]
            keys.append(key)
            found = self.by_path.get(key)
            if found is None:
                self.by_path[key] = [element]
            else:
                found.append(element)
            if key in stop:
                walk.skip_subtree()


class _Reader:
    """Reads the fields of flattened elements, collecting the problems."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    @staticmethod
    def find(node: _Flat, path: str) -> Any:
        found = node.by_path.get(path)
        return found[0] if found else None

    @staticmethod
    def findall(node: _Flat, path: str) -> list[Any]:
        return node.by_path.get(path, [])

    @staticmethod
    def text(node: _Flat, path: str) -> str:
        found = node.by_path.get(path)
        return (found[0].text or "").strip() if found else ""

    def error(self, location: str, field: str, message: str, node: Any = None) -> None:
        line = node.sourceline if node is not None else None
        self.errors.append(FieldError(location, field, message, line))

    def date(self, node: _Flat, path: str, location: str) -> dt.date | None:
        found = self.find(node, path)
        if found is None:
            return None
        value = self.text(node, f"{path}/Dt") or self.text(node, f"{path}/DtTm")[:10]
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.error(location, path, f"{value!r} is not a date", found)
            return None

    def amount(self, node: Any, field: str, location: str) -> tuple[Decimal, str]:
        value = (node.text or "").strip()
        currency = node.get("Ccy", "")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.error(location, field, f"{value!r} is not an amount", node)
            return Decimal(0), currency
        if amount != amount.quantize(Decimal("0.01")):
            self.error(
                location,
                field,
                f"{value} has more than two decimals; euro amounts are in whole cents",
                node,
            )
        if currency != CURRENCY:
            self.error(
                location,
                f"{field}/@Ccy",
                f"currency {currency!r}; only {CURRENCY} is accepted",
                node,
            )
        return amount, currency


def _bank_code(reader: _Reader, node: _Flat) -> str:
    if reader.find(node, "BkTxCd/Domn") is not None:
        parts = (
            reader.text(node, "BkTxCd/Domn/Cd"),
            reader.text(node, "BkTxCd/Domn/Fmly/Cd"),
            reader.text(node, "BkTxCd/Domn/Fmly/SubFmlyCd"),
        )
        return "/".join(parts)
    return reader.text(node, "BkTxCd/Prtry/Cd")


def _reference(reader: _Reader, tx: _Flat, location: str) -> tuple[str, str, str]:
    """(reference, where it came from, free text) of one transaction."""
    texts = [(u.text or "").strip() for u in reader.findall(tx, "RmtInf/Ustrd")]
    texts += [(a.text or "").strip() for a in reader.findall(tx, "RmtInf/Strd/AddtlRmtInf")]
    ref_node = reader.find(tx, "RmtInf/Strd/CdtrRefInf/Ref")
    reference, source = "", ""
    if ref_node is not None and (ref_node.text or "").strip():
        reference = _checked(
            reader, (ref_node.text or "").strip(), location, "RmtInf/Strd/CdtrRefInf/Ref", ref_node
        )
        source = "Strd"
    free: list[str] = []
    for text in texts:
        rfb = _RFB.match(text)
        rf_alone = _RF_ALONE.match(text)
        if rfb and not reference:
            ustrd = reader.find(tx, "RmtInf/Ustrd")
            reference = _checked(
                reader, rfb.group(1).strip(), location, "RmtInf/Ustrd /RFB/", ustrd
            )
            source = "RFB"
            free.append((rfb.group(2) or "").strip())
        elif rf_alone and not reference and _valid_rf(rf_alone.group(1)):
            reference, source = rf_to_reference(rf_alone.group(1)), "RF"
        else:
            free.append(text)
    return reference, source, " ".join(t for t in free if t)


def _valid_rf(value: str) -> bool:
    try:
        validate_rf(value)
    except InvalidIdentifier:
        return False
    return True


def _checked(reader: _Reader, value: str, location: str, field: str, node: Any) -> str:
    """The reference a structured field carries: an Estonian viitenumber with a right check
    digit, or what a valid RF reference carries."""
    try:
        if value.upper().startswith("RF"):
            return rf_to_reference(value)
        return validate_reference_number(value)
    except InvalidIdentifier as exc:
        reader.error(location, field, str(exc), node)
        return ""


@functools.lru_cache(maxsize=65536)
def _checked_iban(value: str) -> str:
    """:func:`validate_iban`, remembered (payers repeat; stdnum's country look-up is slow)."""
    return validate_iban(value)


def _iban(reader: _Reader, node: _Flat, path: str, location: str) -> str:
    found = reader.find(node, path)
    if found is None or not (found.text or "").strip():
        return ""
    try:
        return _checked_iban((found.text or "").strip())
    except InvalidIdentifier as exc:
        reader.error(location, path, str(exc), found)
        return ""


@dataclass(frozen=True)
class _EntryHead:
    number: int
    location: str
    reference: str
    amount: Decimal
    currency: str
    is_credit: bool
    is_reversal: bool
    status: str
    booking_date: dt.date | None
    value_date: dt.date | None
    bank_code: str


def _entry_head(reader: _Reader, entry: _Flat, number: int) -> _EntryHead:
    servicer_ref = reader.text(entry, "AcctSvcrRef")
    location = f"entry {number}" + (f" (AcctSvcrRef {servicer_ref})" if servicer_ref else "")
    amount, currency = reader.amount(reader.find(entry, "Amt"), "Ntry/Amt", location)
    if amount <= 0:
        reader.error(location, "Ntry/Amt", f"{amount} is not a positive amount", entry)
    status = reader.text(entry, "Sts")
    booking = reader.date(entry, "BookgDt", location)
    if status == "BOOK" and booking is None:
        reader.error(location, "Ntry/BookgDt", "a booked entry needs its booking date", entry)
    return _EntryHead(
        number=number,
        location=location,
        reference=servicer_ref,
        amount=amount,
        currency=currency,
        is_credit=reader.text(entry, "CdtDbtInd") == "CRDT",
        is_reversal=reader.text(entry, "RvslInd").lower() in ("true", "1"),
        status=status,
        booking_date=booking,
        value_date=reader.date(entry, "ValDt", location),
        bank_code=_bank_code(reader, entry),
    )


def _transactions(reader: _Reader, element: Any, number: int) -> Iterator[Transaction]:
    entry = _Flat(element, _ENTRY_STOP)
    head = _entry_head(reader, entry, number)
    details = [_Flat(tx) for tx in reader.findall(entry, "NtryDtls/TxDtls")]
    amounts = _batch_amounts(reader, head, details)
    for index, tx in enumerate(details or [None]):
        if tx is None:
            yield _transaction(reader, head, None, head.amount, head.reference)
            continue
        key = head.reference if len(details) == 1 else f"{head.reference}/{index + 1}"
        yield _transaction(reader, head, tx, amounts[index], key)


def _batch_amounts(reader: _Reader, head: _EntryHead, details: list[Any]) -> list[Decimal]:
    if len(details) <= 1:
        return [head.amount]
    amounts = []
    for tx in details:
        node = reader.find(tx, "AmtDtls/TxAmt/Amt")
        if node is None:
            reader.error(
                head.location,
                "TxDtls/AmtDtls/TxAmt/Amt",
                "each transaction of a batch entry needs its amount",
                tx,
            )
            amounts.append(Decimal(0))
            continue
        amounts.append(reader.amount(node, "TxDtls/AmtDtls/TxAmt/Amt", head.location)[0])
    if sum(amounts) != head.amount:
        reader.error(
            head.location,
            "NtryDtls/TxDtls",
            f"the transactions sum to {sum(amounts)}, the entry is {head.amount}",
        )
    return amounts


def _transaction(
    reader: _Reader, head: _EntryHead, tx: _Flat | None, amount: Decimal, key: str
) -> Transaction:
    party = "Dbtr" if head.is_credit != head.is_reversal else "Cdtr"
    reference, source, text = ("", "", "")
    name, iban, end_to_end, reason = "", "", "", ""
    if tx is not None:
        reference, source, text = _reference(reader, tx, head.location)
        name = reader.text(tx, f"RltdPties/{party}/Nm")
        iban = _iban(reader, tx, f"RltdPties/{party}Acct/Id/IBAN", head.location)
        end_to_end = reader.text(tx, "Refs/EndToEndId")
        if end_to_end == "NOTPROVIDED":
            end_to_end = ""
        reason = reader.text(tx, "RtrInf/Rsn/Cd") or reader.text(tx, "RtrInf/Rsn/Prtry")
        if not key:
            key = reader.text(tx, "Refs/AcctSvcrRef")
    if not key and head.status == "BOOK":
        reader.error(
            head.location,
            "Ntry/AcctSvcrRef",
            "a booked entry needs the bank's reference (AcctSvcrRef)",
        )
    return Transaction(
        entry_number=head.number,
        key=key,
        account_servicer_reference=head.reference,
        amount=amount,
        currency=head.currency,
        is_credit=head.is_credit,
        is_reversal=head.is_reversal,
        status=head.status,
        booking_date=head.booking_date,
        value_date=head.value_date,
        bank_transaction_code=head.bank_code,
        counterparty_name=name,
        counterparty_iban=iban,
        end_to_end_id=end_to_end,
        reference=reference,
        reference_source=source,
        text=text,
        return_reason=reason,
    )


def parse(data: bytes, *, schemas_dir: Path) -> Statement:
    """Parse and check one camt.053.001.02 or camt.054.001.02 file (its bytes)."""
    if not data.strip():
        raise InvalidBankFile([FieldError("file", "XML", "the file is empty")])
    root = _load(data)
    message = _message_of(root)
    _validate(root, message, schemas_dir)
    reader = _Reader()
    outer, inner = _ROOTS[message]
    document = _Flat(root, frozenset({f"{outer}/{inner}"}))
    reports = reader.findall(document, f"{outer}/{inner}")
    if len(reports) != 1:
        raise InvalidBankFile(
            [
                FieldError(
                    "file",
                    f"{outer}/{inner}",
                    f"one account report per file is accepted, this file has {len(reports)}",
                )
            ]
        )
    report = _Flat(reports[0], frozenset({"Ntry"}))
    account = _iban(reader, report, "Acct/Id/IBAN", "statement")
    if not account:
        reader.error("statement", f"{inner}/Acct/Id/IBAN", "the account's IBAN is missing")
    currency = reader.text(report, "Acct/Ccy") or CURRENCY
    if currency != CURRENCY:
        reader.error(
            "statement",
            f"{inner}/Acct/Ccy",
            f"currency {currency!r}; only {CURRENCY} accounts are accepted",
        )
    transactions = [
        tx
        for number, entry in enumerate(reader.findall(report, "Ntry"), start=1)
        for tx in _transactions(reader, entry, number)
    ]
    counts = Counter(tx.key for tx in transactions if tx.key)
    for duplicate in sorted(key for key, n in counts.items() if n > 1)[:MAX_ERRORS]:
        reader.error("statement", "Ntry/AcctSvcrRef", f"{duplicate} appears twice in one file")
    if reader.errors:
        raise InvalidBankFile(reader.errors[:MAX_ERRORS])
    return Statement(
        message=message,
        message_id=reader.text(document, f"{outer}/GrpHdr/MsgId"),
        statement_id=reader.text(report, "Id"),
        created_at=reader.text(report, "CreDtTm"),
        account_iban=account,
        account_currency=currency,
        transactions=tuple(transactions),
        sha256=hashlib.sha256(data).hexdigest(),
    )
