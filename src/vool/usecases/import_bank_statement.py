"""``vool bank import FILE...``: take bank statements (camt.053) and intraday notifications
(camt.054) from file to ledger.

Each file is parsed and checked against the ISO 20022 schema (``integrations.bank.camt``),
refused whole when anything is wrong (nothing of it is stored), and otherwise imported in
one transaction by ``receivables.operations.import_statement``: new booked credits become
payments, matched by reference number and allocated to the account's open invoices (the
rule is the setting ``VOOL_PAYMENT_ALLOCATION_RULE``), unmatched ones wait in suspense;
reversals and returned direct debits take their payment back; refunds paid out are matched.
Each file is its own unit: a refused file does not undo the files imported before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from vool.domain.receivables import operations
from vool.integrations.bank import camt
from vool.usecases.import_intervals import ImportProblem, RejectedFile

__all__ = ["FileImported", "RejectedFile", "import_bank_file", "import_bank_files", "to_statement"]


@dataclass(frozen=True)
class FileImported:
    path: Path
    message: str
    account_iban: str
    result: operations.ImportResult


def to_statement(parsed: camt.Statement, *, file_name: str) -> operations.StatementData:
    """The parser's plain values as the receivables domain takes them (booked entries only)."""
    return operations.StatementData(
        account_iban=parsed.account_iban,
        sha256=parsed.sha256,
        file_name=file_name,
        message=parsed.message,
        message_id=parsed.message_id,
        statement_id=parsed.statement_id,
        entry_count=len(parsed.transactions),
        lines=[
            operations.BankLine(
                key=tx.key,
                amount=tx.amount,
                is_credit=tx.is_credit,
                booking_date=tx.booking_date,
                value_date=tx.value_date,
                name=tx.counterparty_name,
                iban=tx.counterparty_iban,
                reference=tx.reference,
                reference_source=tx.reference_source,
                text=tx.text,
                end_to_end_id=tx.end_to_end_id,
                is_reversal=tx.is_reversal,
                return_reason=tx.return_reason,
                bank_code=tx.bank_transaction_code,
            )
            for tx in parsed.transactions
            if tx.is_booked and tx.booking_date is not None
        ],
    )


def import_bank_file(
    *, path: Path, as_of: dt.datetime, imported_by: str = "", schemas_dir: Path | None = None
) -> FileImported:
    """Import one camt file; :class:`RejectedFile` (nothing stored) names every problem."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RejectedFile([ImportProblem(name, "file", "-", f"cannot be read: {exc}")]) from exc
    try:
        parsed = camt.parse(data, schemas_dir=schemas_dir or settings.VOOL_SCHEMAS_DIR)
    except camt.InvalidBankFile as exc:
        raise RejectedFile(
            [
                ImportProblem(
                    name,
                    e.location + (f" (line {e.line})" if e.line else ""),
                    e.field,
                    e.message,
                )
                for e in exc.errors
            ]
        ) from exc
    try:
        result = operations.import_statement(
            statement=to_statement(parsed, file_name=path.name),
            as_of=as_of,
            imported_by=imported_by,
            rule=settings.VOOL_PAYMENT_ALLOCATION_RULE,
        )
    except operations.UnknownBankAccount as exc:
        raise RejectedFile([ImportProblem(name, "statement", "Acct/Id/IBAN", str(exc))]) from exc
    return FileImported(path, parsed.message, parsed.account_iban, result)


def import_bank_files(
    *, paths: Sequence[Path], as_of: dt.datetime, imported_by: str = ""
) -> list[FileImported | RejectedFile]:
    """Import the files in order; each is imported or refused on its own."""
    outcomes: list[FileImported | RejectedFile] = []
    for path in paths:
        try:
            outcomes.append(import_bank_file(path=path, as_of=as_of, imported_by=imported_by))
        except RejectedFile as exc:
            outcomes.append(exc)
    return outcomes
