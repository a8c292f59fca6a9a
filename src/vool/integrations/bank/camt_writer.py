"""Write camt.053.001.02 statements and camt.054.001.02 notifications the way Estonian banks
do (ESTONIA.md §8): for the demo's generated statement, benchmarks and tests. Pure: lxml only.

A line with a reference and no text carries it in ``RmtInf/Strd/CdtrRefInf/Ref`` (type SCOR);
a line with both carries ``/RFB/<ref>/TXT/<text>`` in ``Ustrd`` (the Pangaliit agreement);
a line with only a text has ``Ustrd``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from lxml import etree

from vool.integrations.bank.camt import CAMT053, CAMT054

__all__ = ["StatementLine", "write"]

_NAMESPACE: Final = "urn:iso:std:iso:20022:tech:xsd:"


@dataclass(frozen=True)
class StatementLine:
    servicer_reference: str  # AcctSvcrRef, the bank's unique reference of the entry
    amount: Decimal  # positive
    is_credit: bool
    booking_date: dt.date
    name: str = ""  # the payer of a credit, the payee of a debit
    iban: str = ""
    reference: str = ""
    text: str = ""
    structured: bool = True  # False: a reference goes in Ustrd as /RFB/ even without a text
    end_to_end_id: str = ""
    is_reversal: bool = False
    return_reason: str = ""
    bank_code: tuple[str, str, str] = ("PMNT", "RCDT", "ESCT")
    status: str = "BOOK"


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    node = etree.SubElement(parent, f"{{{parent.nsmap[None]}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def _path(parent: Any, path: str, text: str | None = None) -> Any:
    node = parent
    parts = path.split("/")
    for part in parts[:-1]:
        node = _sub(node, part)
    return _sub(node, parts[-1], text)


def _balance(report: Any, code: str, amount: Decimal, day: dt.date) -> None:
    bal = _sub(report, "Bal")
    _path(bal, "Tp/CdOrPrtry/Cd", code)
    _sub(bal, "Amt", f"{abs(amount):.2f}", Ccy="EUR")
    _sub(bal, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
    _path(bal, "Dt/Dt", day.isoformat())


def _remittance(tx: Any, line: StatementLine) -> None:
    if not line.reference and not line.text:
        return
    rmt = _sub(tx, "RmtInf")
    if line.reference and (line.text or not line.structured):
        _sub(rmt, "Ustrd", f"/RFB/{line.reference}/TXT/{line.text}"[:140])
    elif line.reference:
        ref = _path(rmt, "Strd/CdtrRefInf")
        _path(ref, "Tp/CdOrPrtry/Cd", "SCOR")
        _sub(ref, "Ref", line.reference)
    else:
        _sub(rmt, "Ustrd", line.text[:140])


def _entry(report: Any, line: StatementLine) -> None:
    entry = _sub(report, "Ntry")
    _sub(entry, "Amt", f"{line.amount:.2f}", Ccy="EUR")
    _sub(entry, "CdtDbtInd", "CRDT" if line.is_credit else "DBIT")
    if line.is_reversal:
        _sub(entry, "RvslInd", "true")
    _sub(entry, "Sts", line.status)
    _path(entry, "BookgDt/Dt", line.booking_date.isoformat())
    _path(entry, "ValDt/Dt", line.booking_date.isoformat())
    _sub(entry, "AcctSvcrRef", line.servicer_reference)
    domain = _path(entry, "BkTxCd/Domn")
    _sub(domain, "Cd", line.bank_code[0])
    family = _sub(domain, "Fmly")
    _sub(family, "Cd", line.bank_code[1])
    _sub(family, "SubFmlyCd", line.bank_code[2])
    tx = _path(entry, "NtryDtls/TxDtls")
    refs = _sub(tx, "Refs")
    _sub(refs, "AcctSvcrRef", line.servicer_reference)
    _sub(refs, "EndToEndId", line.end_to_end_id or "NOTPROVIDED")
    _path(tx, "AmtDtls/TxAmt/Amt", f"{line.amount:.2f}").set("Ccy", "EUR")
    payer = line.is_credit != line.is_reversal
    party, account = ("Dbtr", "DbtrAcct") if payer else ("Cdtr", "CdtrAcct")
    if line.name or line.iban:
        parties = _sub(tx, "RltdPties")
        if line.name:
            _path(parties, f"{party}/Nm", line.name[:70])
        if line.iban:
            _path(parties, f"{account}/Id/IBAN", line.iban)
    _remittance(tx, line)
    if line.return_reason:
        _path(tx, "RtrInf/Rsn/Cd", line.return_reason)


def write(
    *,
    message: str = CAMT053,
    account_iban: str,
    statement_id: str,
    created_at: dt.datetime,
    lines: Sequence[StatementLine],
    opening_balance: Decimal = Decimal("0.00"),
) -> bytes:
    """The XML of one statement (camt.053) or notification (camt.054) of ``lines``."""
    outer, inner = (
        ("BkToCstmrStmt", "Stmt") if message == CAMT053 else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    )
    if message not in (CAMT053, CAMT054):
        raise ValueError(f"Unknown message {message!r}")
    root = etree.Element("Document", nsmap={None: _NAMESPACE + message})
    body = _sub(root, outer)
    header = _sub(body, "GrpHdr")
    _sub(header, "MsgId", statement_id)
    _sub(header, "CreDtTm", created_at.isoformat(timespec="seconds"))
    report = _sub(body, inner)
    _sub(report, "Id", statement_id)
    _sub(report, "CreDtTm", created_at.isoformat(timespec="seconds"))
    account = _sub(report, "Acct")
    _path(account, "Id/IBAN", account_iban)
    _sub(account, "Ccy", "EUR")
    if message == CAMT053:
        day = min((line.booking_date for line in lines), default=created_at.date())
        last = max((line.booking_date for line in lines), default=created_at.date())
        movement = sum(
            (line.amount if line.is_credit else -line.amount for line in lines), Decimal(0)
        )
        _balance(report, "OPBD", opening_balance, day)
        _balance(report, "CLBD", opening_balance + movement, last)
    for line in lines:
        _entry(report, line)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
