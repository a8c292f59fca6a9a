"""What the database refuses: the one list of integrity guards, for SQLite and PostgreSQL.

Each :class:`Guard` names a table, a row event (INSERT, UPDATE or DELETE) and the condition,
over ``OLD`` and ``NEW``, under which the statement PASSES; every other row is refused with the
guard's message. ``vool.domain.integrity.sql`` turns the list into triggers for either
database and ``vool.domain.integrity.operations`` installs them after every ``migrate`` (and
``flush``), from the tables as they are then: a column another migration adds to a frozen
table is frozen too, without touching this file.

On PostgreSQL every table listed here also refuses ``TRUNCATE``.

Pure Python: the conditions are SQL text built through :class:`Sql`, which the dialect
implements (null-safe comparison, the Tallinn month of an instant).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Event = Literal["INSERT", "UPDATE", "DELETE"]

INVOICE_TABLE = "billing_invoice"
LEDGER_TRANSACTION_TABLE = "ledger_ledgertransaction"
INVOICE_DOCUMENT = "billing.Invoice"


class Sql(Protocol):
    """What a guard's condition may ask of the database dialect and the table as it is."""

    def unchanged(self, *, except_: Sequence[str] = ()) -> str:
        """Every column of the table, except ``except_``, is the same in OLD and NEW."""
        ...

    def same(self, *columns: str) -> str:
        """These columns are the same in OLD and NEW (NULL equals NULL)."""
        ...

    def in_tallinn_month(self, *, period: str, instant: str) -> str:
        """``period`` ('YYYY-MM') is the Tallinn month of the UTC ``instant`` (on SQLite,
        which has no time zones, either month the instant falls in at UTC+2 or UTC+3: a
        superset, so the guard errs on the side of refusing)."""
        ...


@dataclass(frozen=True)
class Guard:
    name: str
    table: str
    event: Event
    allowed: Callable[[Sql], str]
    message: str
    columns: tuple[str, ...] = ()
    """Columns of ``table`` the condition names; the installer checks they exist."""
    reads: tuple[str, ...] = ()
    """Other tables the condition reads; the guard is installed once they exist."""

    @property
    def trigger(self) -> str:
        return f"vool_integrity_{self.name}"


def _never(_: Sql) -> str:
    return "FALSE"


def _invoice_is_draft(row: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {INVOICE_TABLE} AS i "  # noqa: S608
        f"WHERE i.id = {row}.invoice_id AND i.status = 'DRAFT')"
    )


def _invoice_update_allowed(sql: Sql) -> str:
    draft = "OLD.status = 'DRAFT'"
    cancel = (
        "(OLD.status = 'ISSUED' AND NEW.status = 'CANCELLED' AND "
        f"{sql.unchanged(except_=('status',))})"
    )
    # The bill run applies an earlier credit balance to a new invoice in the transaction that
    # issues it, just before posting it to the ledger; once posted, the amounts are final.
    credit = (
        "(OLD.status = 'ISSUED' AND NEW.status = 'ISSUED' AND "  # noqa: S608
        f"{sql.unchanged(except_=('credit_applied_amount', 'amount_due'))} AND "
        # SQLite keeps decimals as binary floats: equal to the cent
        "abs(NEW.amount_due - (NEW.gross_amount - NEW.credit_applied_amount)) < 0.005 AND "
        f"NOT EXISTS (SELECT 1 FROM {LEDGER_TRANSACTION_TABLE} AS t "
        f"WHERE t.document_type = '{INVOICE_DOCUMENT}' AND t.document_id = OLD.id))"
    )
    return f"{draft} OR {cancel} OR {credit}"


def _counter_update_allowed(sql: Sql) -> str:
    return f"{sql.unchanged(except_=('next_value',))} AND NEW.next_value >= OLD.next_value"


def _superseded_once(sql: Sql, column: str) -> str:
    """``column`` is set once, from empty, and never changed after."""
    return f"(OLD.{column} IS NULL OR {sql.same(column)})"


def _interval_day_update_allowed(sql: Sql) -> str:
    # a new version makes the old one not current and stamps when (superseded_at, once);
    # nothing else about a version ever changes
    return (
        f"{sql.unchanged(except_=('is_current', 'superseded_at'))} AND "
        "(NEW.is_current = OLD.is_current OR NOT NEW.is_current) AND "
        f"{_superseded_once(sql, 'superseded_at')}"
    )


PRICE_COLUMNS = ("area", "start_at", "resolution_minutes", "price_eur_mwh")


def _month_not_invoiced(sql: Sql, row: str = "OLD") -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM {INVOICE_TABLE} AS i WHERE i.number IS NOT NULL AND "  # noqa: S608
        f"{sql.in_tallinn_month(period='i.period', instant=f'{row}.start_at')})"
    )


def _price_update_allowed(sql: Sql) -> str:
    # neither the month the price was in nor the one it is moved to may be invoiced
    return (
        f"{sql.same(*PRICE_COLUMNS)} OR "
        f"({_month_not_invoiced(sql, 'OLD')} AND {_month_not_invoiced(sql, 'NEW')})"
    )


ISSUED_INVOICE = (
    "an issued invoice is never changed: correct it with a credit note "
    "(the one change allowed is its status from ISSUED to CANCELLED)"
)
ISSUED_LINES = "the lines of an issued invoice are never added, changed or deleted"
ISSUED_CORRECTIONS = "the interval corrections an issued invoice trued up are never changed"
ISSUED_INTERVAL_DATA = "the interval data versions an issued invoice holds are never changed"
READINGS = "readings are append-only: record a new reading that supersedes this one"
LEDGER = "the ledger is append-only: a correction is a new transaction"
INTERVALS = (
    "interval data versions are append-only: a correction is a new version "
    "(only is_current may change, from true to false, with superseded_at set once)"
)
AUDIT = "the audit log is append-only: an entry is never changed or deleted"
CASE_RECORDS = "a request's notes and attachments are append-only: a correction is a new note"
PRICES = (
    "a market price of a month with issued invoices is never changed in place: "
    "a change is a new version"
)


def _invoice_parts(table: str, noun: str, message: str) -> tuple[Guard, ...]:
    """INSERT, UPDATE and DELETE of rows belonging to an invoice pass only while it is a
    draft."""
    return (
        Guard(
            f"{noun}_insert",
            table,
            "INSERT",
            lambda _: _invoice_is_draft("NEW"),
            message,
            columns=("invoice_id",),
            reads=(INVOICE_TABLE,),
        ),
        Guard(
            f"{noun}_update",
            table,
            "UPDATE",
            lambda _: f"{_invoice_is_draft('OLD')} AND {_invoice_is_draft('NEW')}",
            message,
            columns=("invoice_id",),
            reads=(INVOICE_TABLE,),
        ),
        Guard(
            f"{noun}_delete",
            table,
            "DELETE",
            lambda _: _invoice_is_draft("OLD"),
            message,
            columns=("invoice_id",),
            reads=(INVOICE_TABLE,),
        ),
    )


def _append_only(table: str, noun: str, message: str) -> tuple[Guard, ...]:
    return (
        Guard(f"{noun}_update", table, "UPDATE", _never, message),
        Guard(f"{noun}_delete", table, "DELETE", _never, message),
    )


GUARDS: tuple[Guard, ...] = (
    Guard(
        "invoice_update",
        INVOICE_TABLE,
        "UPDATE",
        _invoice_update_allowed,
        ISSUED_INVOICE,
        columns=("status", "credit_applied_amount", "amount_due", "gross_amount"),
        reads=(LEDGER_TRANSACTION_TABLE,),
    ),
    Guard(
        "invoice_delete",
        INVOICE_TABLE,
        "DELETE",
        lambda _: "OLD.status = 'DRAFT'",
        "an issued or cancelled invoice is never deleted: cancel it with a credit note",
        columns=("status",),
    ),
    *_invoice_parts("billing_invoiceline", "invoice_line", ISSUED_LINES),
    *_invoice_parts("billing_invoiceintervalcorrection", "invoice_correction", ISSUED_CORRECTIONS),
    *_invoice_parts("billing_invoiceintervaldays", "invoice_interval_days", ISSUED_INTERVAL_DATA),
    *_invoice_parts("billing_invoiceintervalterm", "invoice_interval_term", ISSUED_INTERVAL_DATA),
    Guard(
        "counter_update",
        "customers_numbercounter",
        "UPDATE",
        _counter_update_allowed,
        "a number counter only moves forward",
        columns=("next_value",),
    ),
    Guard(
        "counter_delete",
        "customers_numbercounter",
        "DELETE",
        _never,
        "a number counter is never deleted (its numbers would be given again)",
    ),
    *_append_only("metering_reading", "reading", READINGS),
    *_append_only(LEDGER_TRANSACTION_TABLE, "ledger_transaction", LEDGER),
    *_append_only("ledger_posting", "posting", LEDGER),
    *_append_only("audit_auditentry", "audit_entry", AUDIT),
    *_append_only("cases_casenote", "case_note", CASE_RECORDS),
    *_append_only("cases_caseattachment", "case_attachment", CASE_RECORDS),
    Guard(
        "interval_day_update",
        "metering_intervalday",
        "UPDATE",
        _interval_day_update_allowed,
        INTERVALS,
        columns=("is_current", "superseded_at"),
    ),
    Guard("interval_day_delete", "metering_intervalday", "DELETE", _never, INTERVALS),
    Guard(
        "market_price_update",
        "tariffs_marketprice",
        "UPDATE",
        _price_update_allowed,
        PRICES,
        columns=PRICE_COLUMNS,
        reads=(INVOICE_TABLE,),
    ),
    Guard(
        "market_price_delete",
        "tariffs_marketprice",
        "DELETE",
        _month_not_invoiced,
        PRICES,
        columns=("start_at",),
        reads=(INVOICE_TABLE,),
    ),
)


def guarded_tables() -> list[str]:
    """Every table with a guard, in a stable order: on PostgreSQL these refuse TRUNCATE."""
    return sorted({guard.table for guard in GUARDS})


# Append-only triggers of earlier migrations (PostgreSQL only) that the guards above replace.
SUPERSEDED_TRIGGERS: tuple[tuple[str, str], ...] = (
    ("ledger_posting", "ledger_posting_append_only"),
    ("ledger_ledgertransaction", "ledger_transaction_append_only"),
    ("metering_reading", "metering_reading_append_only"),
)
SUPERSEDED_FUNCTIONS: tuple[str, ...] = ("ledger_append_only", "metering_reading_append_only")
