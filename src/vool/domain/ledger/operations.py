"""Writes to the ledger: whole balanced transactions, set-based, never edited afterwards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from vool.domain.bulk import copy_rows, in_batches, refresh_statistics, reserve_ids
from vool.domain.customers import operations as customer_operations
from vool.domain.ledger.models import (
    RETAILER_ACCOUNTS,
    LedgerAccount,
    LedgerTransaction,
    Posting,
)

PAYMENT_COUNTER = "ledger_manual_payment"
PAYMENT_DOCUMENT = "ledger.ManualPayment"


class UnbalancedTransaction(ValueError):
    """The postings of a transaction do not sum to zero (nothing was written)."""


class UnableToRecordPayment(ValueError):
    """The payment cannot be recorded (the message says why)."""


@dataclass(frozen=True)
class NewTransaction:
    """A transaction to post: ``postings`` are ``(ledger account, amount)``, debit positive.
    Without a billing account (``None``) only ``CASH`` and ``SUSPENSE`` may be posted."""

    billing_account_id: int | None
    kind: str
    document_type: str
    document_id: int
    reference: str
    posted_date: dt.date
    postings: tuple[tuple[str, Decimal], ...]


# built once: ``LedgerAccount.values`` builds a new list on every access (per posting here)
_KNOWN_ACCOUNTS = frozenset(LedgerAccount.values)
_CENT = Decimal("0.01")


def check_balanced(new: NewTransaction) -> None:
    total = sum((amount for _, amount in new.postings), Decimal(0))
    if total != 0:
        raise UnbalancedTransaction(
            f"{new.kind} {new.reference or new.document_id} on billing account "
            f"{new.billing_account_id} does not balance: its postings sum to {total}"
        )
    for account, amount in new.postings:
        if account not in _KNOWN_ACCOUNTS:
            raise UnbalancedTransaction(f"Unknown ledger account {account!r}")
        if amount != amount.quantize(_CENT):
            raise UnbalancedTransaction(f"Posting {account} {amount} has fractions of a cent")
        if new.billing_account_id is None and account not in RETAILER_ACCOUNTS:
            raise UnbalancedTransaction(
                f"{new.kind} {new.reference or new.document_id} posts {account} without a "
                "billing account; only cash and suspense may be posted without one"
            )


TRANSACTION_FIELDS = (
    "id",
    "billing_account",
    "kind",
    "document_type",
    "document_id",
    "reference",
    "posted_date",
    "created_at",
)


def post_transactions(
    *, transactions: Sequence[NewTransaction], created_at: dt.datetime
) -> list[int]:
    """Write balanced transactions with their postings (zero postings are left out), in one
    database transaction, set-based. Returns the new transaction ids in order."""
    for new in transactions:
        check_balanced(new)
    if not transactions:
        return []
    with transaction.atomic():
        ids = reserve_ids(LedgerTransaction, len(transactions))
        if ids is None:  # SQLite: the ids come back from the INSERT
            rows = LedgerTransaction.objects.bulk_create(
                [
                    LedgerTransaction(
                        billing_account_id=new.billing_account_id,
                        kind=new.kind,
                        document_type=new.document_type,
                        document_id=new.document_id,
                        reference=new.reference,
                        posted_date=new.posted_date,
                        created_at=created_at,
                    )
                    for new in transactions
                ],
                batch_size=5000,
            )
            ids = [int(row.pk) for row in rows]
        else:
            copy_rows(
                LedgerTransaction,
                TRANSACTION_FIELDS,
                (
                    (
                        tid,
                        new.billing_account_id,
                        new.kind,
                        new.document_type,
                        new.document_id,
                        new.reference,
                        new.posted_date,
                        created_at,
                    )
                    for tid, new in zip(ids, transactions, strict=True)
                ),
            )
        copy_rows(
            Posting,
            ("transaction", "billing_account", "account", "amount"),
            (
                (tid, new.billing_account_id, account, amount)
                for tid, new in zip(ids, transactions, strict=True)
                for account, amount in new.postings
                if amount != 0
            ),
        )
    return ids


@dataclass(frozen=True)
class Payment:
    """A payment received from a customer (bank-statement import is its own issue)."""

    billing_account_id: int
    amount: Decimal
    received_date: dt.date
    reference: str = ""


def record_payments(*, payments: Sequence[Payment], as_of: dt.datetime) -> list[int]:
    """Record many payments at once, set-based: each is cash against the account's
    receivable, one ledger transaction per payment. Returns the transaction ids in order."""
    for payment in payments:
        if payment.amount <= 0:
            raise UnableToRecordPayment(
                f"A payment is a positive amount, not {payment.amount} "
                f"(billing account {payment.billing_account_id})"
            )
    if not payments:
        return []
    with transaction.atomic():
        document_ids = customer_operations.allocate_numbers(
            name=PAYMENT_COUNTER, count=len(payments), start=1
        )
        return post_transactions(
            transactions=[
                NewTransaction(
                    billing_account_id=payment.billing_account_id,
                    kind=LedgerTransaction.Kind.PAYMENT,
                    document_type=PAYMENT_DOCUMENT,
                    document_id=document_id,
                    reference=payment.reference,
                    posted_date=payment.received_date,
                    postings=(
                        (LedgerAccount.CASH, payment.amount),
                        (LedgerAccount.RECEIVABLE, -payment.amount),
                    ),
                )
                for payment, document_id in zip(payments, document_ids, strict=True)
            ],
            created_at=as_of,
        )


def record_payment(
    *,
    billing_account_id: int,
    amount: Decimal,
    received_date: dt.date,
    reference: str = "",
    as_of: dt.datetime,
) -> LedgerTransaction:
    """One payment received from the customer: cash against receivable."""
    (tid,) = record_payments(
        payments=[Payment(billing_account_id, amount, received_date, reference)], as_of=as_of
    )
    return LedgerTransaction.objects.get(pk=tid)


def post_documents(
    *,
    document_type: str,
    documents_sql: str,
    documents_params: Sequence[Any],
    postings_sql: str,
    postings_params: Sequence[Any],
    created_at: dt.datetime,
) -> int:
    """Post many documents at once, inside the database (INSERT ... SELECT), for the bill run's
    final step: one transaction per document, its postings in one statement, then the same
    balance check as :func:`check_balanced` over everything written (a failure raises
    :class:`UnbalancedTransaction` and, inside the caller's transaction, writes nothing).

    ``documents_sql`` yields columns named ``billing_account_id, kind, document_id, reference,
    posted_date``; ``postings_sql`` yields ``document_id, billing_account_id, account, amount``
    for all postings of those documents (zero amounts are left out; amounts are
    rounded to the cent, as SQLite computes decimals in binary floating point).
    Returns the number of transactions written."""
    quote = connection.ops.quote_name
    transactions = quote(LedgerTransaction._meta.db_table)
    postings = quote(Posting._meta.db_table)
    created = connection.ops.adapt_datetimefield_value(created_at)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {transactions}
                    (billing_account_id, kind, document_type, document_id, reference,
                     posted_date, created_at)
                SELECT d.billing_account_id, d.kind, %s, d.document_id, d.reference,
                       d.posted_date, %s
                FROM ({documents_sql}) AS d""",  # noqa: S608
            [document_type, created, *documents_params],
        )
        count = cursor.rowcount
        refresh_statistics(LedgerTransaction)  # the postings below join what was just written
        cursor.execute(
            f"""INSERT INTO {postings} (transaction_id, billing_account_id, account, amount)
                SELECT t.id, p.billing_account_id, p.account, ROUND(p.amount, 2)
                FROM ({postings_sql}) AS p
                JOIN {transactions} AS t
                  ON t.document_type = %s AND t.document_id = p.document_id
                WHERE ROUND(p.amount, 2) <> 0""",  # noqa: S608
            [*postings_params, document_type],
        )
        cursor.execute(
            f"""SELECT t.document_id, SUM(p.amount)
                FROM {postings} AS p JOIN {transactions} AS t ON t.id = p.transaction_id
                WHERE t.document_type = %s AND t.document_id IN (
                    SELECT d.document_id FROM ({documents_sql}) AS d)
                GROUP BY t.document_id
                HAVING SUM(p.amount) >= 0.005 OR SUM(p.amount) <= -0.005""",  # noqa: S608
            [document_type, *documents_params],
        )
        bad = cursor.fetchone()
        if bad is not None:
            raise UnbalancedTransaction(
                f"{document_type} {bad[0]} does not balance: its postings sum to {bad[1]}"
            )
    return count


OPENING_BALANCE_DOCUMENT = "legacy.Balance"
OPENING_BALANCE_COUNTER = "ledger_opening_balance"


@dataclass(frozen=True)
class OpeningBalance:
    """What a customer owed (positive) or had in credit (negative) in the old system, or the
    change of it since the last take-over (a delta after the freeze)."""

    billing_account_id: int
    amount: Decimal
    reference: str


def post_opening_balances(
    *, balances: Sequence[OpeningBalance], posted_date: dt.date, created_at: dt.datetime
) -> list[int]:
    """Take balances over from a legacy system, set-based: each is the account's receivable
    against ``OPENING_BALANCES``, one transaction per account (the first an
    ``OPENING_BALANCE``, a later change an ``ADJUSTMENT``). Returns the transaction ids."""
    balances = [b for b in balances if b.amount != 0]
    if not balances:
        return []
    already = _accounts_with_opening_balance({b.billing_account_id for b in balances})
    with transaction.atomic():
        document_ids = customer_operations.allocate_numbers(
            name=OPENING_BALANCE_COUNTER, count=len(balances), start=1
        )
        return post_transactions(
            transactions=[
                NewTransaction(
                    billing_account_id=b.billing_account_id,
                    kind=(
                        LedgerTransaction.Kind.ADJUSTMENT
                        if b.billing_account_id in already
                        else LedgerTransaction.Kind.OPENING_BALANCE
                    ),
                    document_type=OPENING_BALANCE_DOCUMENT,
                    document_id=document_id,
                    reference=b.reference,
                    posted_date=posted_date,
                    postings=(
                        (LedgerAccount.RECEIVABLE, b.amount),
                        (LedgerAccount.OPENING_BALANCES, -b.amount),
                    ),
                )
                for b, document_id in zip(balances, document_ids, strict=True)
            ],
            created_at=created_at,
        )


def _accounts_with_opening_balance(account_ids: set[int]) -> set[int]:
    """Which of these accounts have had their opening balance (asked for these only: a load
    posts a chunk of accounts at a time into a ledger that may hold half a million)."""
    found: set[int] = set()
    taken = LedgerTransaction.objects.filter(
        document_type=OPENING_BALANCE_DOCUMENT, kind=LedgerTransaction.Kind.OPENING_BALANCE
    ).values_list("billing_account_id", flat=True)
    for batch in in_batches(sorted(account_ids)):
        found.update(taken.filter(billing_account_id__in=batch))
    return found
