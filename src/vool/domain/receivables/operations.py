"""Writes of receivables: importing a bank statement's lines as payments and bank debits,
matching and allocating them, and the clerk's operations on the suspense queue.

Every write is one transaction, and the ledger follows every payment (through
``ledger.operations.post_transactions``; one ledger transaction per document):

* a payment matched at import: cash against the account's receivable (its ACCOUNT
  :class:`Allocation`);
* a payment that goes to suspense: cash against ``SUSPENSE``, without a billing account
  (document the :class:`Payment`);
* allocated from suspense: ``SUSPENSE`` against the account's receivable (the ACCOUNT
  allocation); refunded or returned from suspense: cash out against ``SUSPENSE`` (the REFUND or
  RETURNED allocation, no billing account);
* taken back by the bank (a reversal, a returned direct debit): what was on accounts goes back
  from their receivables to ``SUSPENSE``, and the whole payment leaves suspense as cash out
  (its RETURNED allocation).

So the ledger's suspense balance is, at every moment, what the payments have not allocated.
Nothing here edits the ledger or an invoice: how payments settle invoices is kept in
``InvoiceSettlement``.

Imports of one bank account are serialised by a row lock on the :class:`BankAccount`, so two
imports of the same file at the same time store it once, and an entry that came in a camt.054
is not stored again from the camt.053.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import models, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from vool.common.identifiers import InvalidIdentifier, validate_iban
from vool.common.localtime import local_date
from vool.domain.bulk import copy_rows, in_batches, reserve_ids
from vool.domain.ledger import operations as ledger_operations
from vool.domain.ledger.models import LedgerAccount, LedgerTransaction
from vool.domain.receivables import direct_debit, queries
from vool.domain.receivables.allocation import OLDEST_FIRST, OpenInvoice, settle
from vool.domain.receivables.models import (
    Allocation,
    BankAccount,
    BankDebit,
    DisconnectionRequest,
    InvoiceSettlement,
    Payment,
    StatementFile,
)
from vool.domain.shown import shown_money

ALLOCATION_DOCUMENT = "receivables.Allocation"
PAYMENT_DOCUMENT = "receivables.Payment"  # a payment received into suspense
IMPORTER = "bank import"
CENT = Decimal("0.01")
_RETURN_FAMILIES = ("RDDT", "UPDD", "RRTN")


_PAYMENT_FIELDS = (
    "bank_account",
    "statement",
    "entry_key",
    "amount",
    "booking_date",
    "value_date",
    "payer_name",
    "payer_iban",
    "end_to_end_id",
    "reference",
    "reference_source",
    "text",
    "bank_transaction_code",
    "status",
    "created_at",
)
_ALLOCATION_FIELDS = (
    "payment",
    "kind",
    "billing_account",
    "amount",
    "refund_iban",
    "created_by",
    "reason",
    "created_at",
)


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> list[int]:
    """Insert plain rows (values in the order of ``fields``; a foreign key as its id) and
    return their new ids: COPY on PostgreSQL (keys drawn from the sequence first), else
    ``bulk_create``. No model instance per row: this is the import's hot path."""
    if not rows:
        return []
    ids = reserve_ids(model, len(rows))
    if ids is None:
        names = [model._meta.get_field(f).attname for f in fields]  # type: ignore[union-attr]
        created = model._default_manager.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=2000
        )
        return [int(obj.pk) for obj in created]
    copy_rows(model, ("id", *fields), ((pk, *row) for pk, row in zip(ids, rows, strict=True)))
    return ids


class UnknownBankAccount(ValueError):
    """The statement is for an IBAN that is not one of the retailer's bank accounts."""


class UnableToAllocate(ValueError):
    """The allocation, split or refund cannot be made (the message says why)."""


@dataclass(frozen=True)
class BankLine:
    """One booked movement of a statement, as plain values (from ``integrations.bank``)."""

    key: str
    amount: Decimal
    is_credit: bool
    booking_date: dt.date
    value_date: dt.date | None = None
    name: str = ""
    iban: str = ""
    reference: str = ""
    reference_source: str = ""
    text: str = ""
    end_to_end_id: str = ""
    is_reversal: bool = False
    return_reason: str = ""
    bank_code: str = ""


@dataclass(frozen=True)
class StatementData:
    account_iban: str
    sha256: str
    file_name: str
    message: str
    message_id: str
    statement_id: str
    entry_count: int
    lines: Sequence[BankLine]


@dataclass
class ImportResult:
    file_id: int
    duplicate_file: bool = False
    new_payments: int = 0
    known_payments: int = 0
    allocated: int = 0
    suspense: int = 0
    new_debits: int = 0
    known_debits: int = 0
    reversed_payments: int = 0
    unmatched_debits: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Part:
    """A share of a payment for one billing account."""

    billing_account_id: int
    amount: Decimal


class _NewPayment(NamedTuple):
    payment_id: int
    line: BankLine
    account_id: int | None  # the billing account its reference number names


class _PaymentRef(NamedTuple):
    """What an allocation's ledger transaction says about its payment."""

    payment_id: int
    booking_date: dt.date
    ledger_reference: str

    @classmethod
    def of(cls, payment: Payment) -> _PaymentRef:
        return cls(payment.pk, payment.booking_date, payment.entry_key or payment.reference)


class _Written(NamedTuple):
    allocation_id: int
    billing_account_id: int
    amount: Decimal


@dataclass(frozen=True)
class _Share:
    payment: _PaymentRef
    billing_account_id: int
    amount: Decimal  # positive: onto the account; negative: taken back
    created_by: str
    reason: str
    # where the money comes from (or goes back to): the bank (CASH) or the suspense queue
    source: str = LedgerAccount.CASH


def _suspense_movement(
    *,
    document_type: str,
    document_id: int,
    reference: str,
    posted_date: dt.date,
    amount: Decimal,
) -> ledger_operations.NewTransaction:
    """Money no billing account holds: received into suspense (``amount`` positive) or paid
    out of it (negative, a refund or a return), cash against suspense."""
    return ledger_operations.NewTransaction(
        billing_account_id=None,
        kind=LedgerTransaction.Kind.PAYMENT if amount > 0 else LedgerTransaction.Kind.REFUND,
        document_type=document_type,
        document_id=document_id,
        reference=reference[:64],
        posted_date=posted_date,
        postings=((LedgerAccount.CASH, amount), (LedgerAccount.SUSPENSE, -amount)),
    )


def _allocation_paid_out(
    allocation: Allocation, payment: Payment, *, posted_date: dt.date | None = None
) -> None:
    """Post a REFUND or RETURNED allocation of suspense money: cash out of suspense, on
    ``posted_date`` (the bank's debit) or the day it was decided."""
    ledger_operations.post_transactions(
        transactions=[
            _suspense_movement(
                document_type=ALLOCATION_DOCUMENT,
                document_id=allocation.pk,
                reference=payment.entry_key or payment.reference,
                posted_date=posted_date or local_date(allocation.created_at),
                amount=-allocation.amount,
            )
        ],
        created_at=allocation.created_at,
    )


def bank_account_for(*, iban: str) -> BankAccount:
    try:
        compact = validate_iban(iban)
    except InvalidIdentifier as exc:
        raise UnknownBankAccount(f"Statement account {iban}: {exc}") from None
    account = BankAccount.objects.filter(iban=compact, is_active=True).first()
    if account is None:
        raise UnknownBankAccount(
            f"Statement account (Acct/Id/IBAN) {compact} is not one of the retailer's bank "
            "accounts; add it with `vool bank add-account` if it is ours."
        )
    return account


def add_bank_account(*, iban: str, name: str) -> BankAccount:
    try:
        compact = validate_iban(iban)
    except InvalidIdentifier as exc:
        raise UnknownBankAccount(str(exc)) from None
    account, _ = BankAccount.objects.update_or_create(
        iban=compact, defaults={"name": name, "is_active": True}
    )
    return account


# --- import -----------------------------------------------------------------------------


def import_statement(
    *, statement: StatementData, as_of: dt.datetime, imported_by: str = "", rule: str = OLDEST_FIRST
) -> ImportResult:
    """Store a statement's new credits as payments, match them by reference number and
    allocate them, and handle its debits; all or nothing, idempotent."""
    bank_account = bank_account_for(iban=statement.account_iban)
    with transaction.atomic():
        BankAccount.objects.select_for_update().get(pk=bank_account.pk)
        known = StatementFile.objects.filter(sha256=statement.sha256).first()
        if known is not None:
            return ImportResult(file_id=known.pk, duplicate_file=True)
        file = StatementFile.objects.create(
            bank_account=bank_account,
            sha256=statement.sha256,
            file_name=statement.file_name[:255],
            message=statement.message,
            message_id=statement.message_id,
            statement_id=statement.statement_id,
            entry_count=statement.entry_count,
            imported_by=imported_by,
            imported_at=as_of,
        )
        result = ImportResult(file_id=file.pk)
        credits = [line for line in statement.lines if line.is_credit]
        payments = _store_payments(file=file, lines=credits, as_of=as_of, result=result)
        _allocate_matched(payments, as_of=as_of, by=imported_by or IMPORTER, rule=rule)
        result.allocated = sum(1 for new in payments if new.account_id is not None)
        result.suspense = len(payments) - result.allocated
        debits = [line for line in statement.lines if not line.is_credit]
        _store_debits(file=file, lines=debits, as_of=as_of, result=result, rule=rule)
        StatementFile.objects.filter(pk=file.pk).update(new_payment_count=result.new_payments)
    return result


def _known_keys(
    model: type[Payment] | type[BankDebit], bank_account_id: int, keys: list[str]
) -> set[str]:
    known: set[str] = set()
    for batch in in_batches(keys, queries.CHUNK):
        known.update(
            model.objects.filter(bank_account_id=bank_account_id, entry_key__in=batch).values_list(
                "entry_key", flat=True
            )
        )
    return known


def _store_payments(
    *, file: StatementFile, lines: list[BankLine], as_of: dt.datetime, result: ImportResult
) -> list[_NewPayment]:
    known = _known_keys(Payment, file.bank_account_id, [line.key for line in lines])
    new = [line for line in lines if line.key not in known]
    result.known_payments = len(lines) - len(new)
    result.new_payments = len(new)
    accounts = queries.accounts_by_reference(references=(line.reference for line in new))
    statuses = {True: Payment.Status.ALLOCATED, False: Payment.Status.SUSPENSE}
    ids = insert_rows(
        Payment,
        _PAYMENT_FIELDS,
        [
            (
                file.bank_account_id,
                file.pk,
                line.key,
                line.amount,
                line.booking_date,
                line.value_date,
                line.name[:140],
                line.iban,
                line.end_to_end_id,
                line.reference,
                line.reference_source,
                line.text[:500],
                line.bank_code,
                statuses[line.reference in accounts],
                as_of,
            )
            for line in new
        ],
    )
    stored = [
        _NewPayment(pk, line, accounts.get(line.reference))
        for pk, line in zip(ids, new, strict=True)
    ]
    ledger_operations.post_transactions(
        transactions=[
            _suspense_movement(
                document_type=PAYMENT_DOCUMENT,
                document_id=new.payment_id,
                reference=new.line.key or new.line.reference,
                posted_date=new.line.booking_date,
                amount=new.line.amount,
            )
            for new in stored
            if new.account_id is None
        ],
        created_at=as_of,
    )
    return stored


def _allocate_matched(
    payments: list[_NewPayment], *, as_of: dt.datetime, by: str, rule: str
) -> None:
    shares = [
        _Share(
            _PaymentRef(new.payment_id, new.line.booking_date, new.line.key or new.line.reference),
            new.account_id,
            new.line.amount,
            by,
            f"reference number {new.line.reference}",
        )
        for new in payments
        if new.account_id is not None
    ]
    # a direct-debit collection pays the invoice it collected first
    collected = direct_debit.collected_invoices(
        end_to_end_ids={new.line.end_to_end_id for new in payments if new.account_id is not None}
    )
    first = {
        new.payment_id: collected[new.line.end_to_end_id]
        for new in payments
        if new.account_id is not None and new.line.end_to_end_id in collected
    }
    _post_shares(shares, as_of=as_of, rule=rule, first_invoice=first)


def _post_shares(
    shares: Sequence[_Share],
    *,
    as_of: dt.datetime,
    rule: str,
    first_invoice: dict[int, int] | None = None,
) -> list[_Written]:
    """Write ACCOUNT allocations, their ledger transactions and, for positive ones, how they
    settle the accounts' open invoices."""
    if not shares:
        return []
    ids = insert_rows(
        Allocation,
        _ALLOCATION_FIELDS,
        [
            (
                s.payment.payment_id,
                Allocation.Kind.ACCOUNT.value,
                s.billing_account_id,
                s.amount,
                "",
                s.created_by[:150],
                s.reason,
                as_of,
            )
            for s in shares
        ],
    )
    written = [
        _Written(pk, s.billing_account_id, s.amount) for pk, s in zip(ids, shares, strict=True)
    ]
    ledger_operations.post_transactions(
        transactions=[_ledger_transaction(w, s) for w, s in zip(written, shares, strict=True)],
        created_at=as_of,
    )
    first = first_invoice or {}
    _settle_invoices(
        [w for w in written if w.amount > 0],
        rule=rule,
        first_invoice={
            w.allocation_id: first[s.payment.payment_id]
            for w, s in zip(written, shares, strict=True)
            if s.payment.payment_id in first
        },
    )
    return written


def _ledger_transaction(written: _Written, share: _Share) -> ledger_operations.NewTransaction:
    amount = written.amount
    return ledger_operations.NewTransaction(
        billing_account_id=share.billing_account_id,
        kind=LedgerTransaction.Kind.PAYMENT if amount > 0 else LedgerTransaction.Kind.REFUND,
        document_type=ALLOCATION_DOCUMENT,
        document_id=written.allocation_id,
        reference=share.payment.ledger_reference[:64],
        posted_date=share.payment.booking_date,
        postings=((share.source, amount), (LedgerAccount.RECEIVABLE, -amount)),
    )


def _settle_invoices(
    allocations: list[_Written], *, rule: str, first_invoice: dict[int, int] | None = None
) -> None:
    if not allocations:
        return
    open_by_account = queries.open_invoices(
        billing_account_ids={a.billing_account_id for a in allocations}
    )
    rows = []
    for allocation in allocations:
        invoices = open_by_account.get(allocation.billing_account_id, [])
        if not invoices:
            continue
        settlements, _ = settle(
            amount=allocation.amount,
            open_invoices=invoices,
            rule=rule,
            first_invoice_id=(first_invoice or {}).get(allocation.allocation_id),
        )
        paid = {s.invoice_id: s.amount for s in settlements}
        open_by_account[allocation.billing_account_id] = [
            OpenInvoice(
                i.invoice_id, i.number, i.due_date, i.open_amount - paid.get(i.invoice_id, 0)
            )
            for i in invoices
        ]
        rows += [(allocation.allocation_id, s.invoice_id, s.amount) for s in settlements]
    insert_rows(InvoiceSettlement, ("allocation", "invoice", "amount"), rows)


# --- debits: reversals, returns, refunds paid out -------------------------------------------


def _debit_kind(line: BankLine) -> str:
    if line.is_reversal:
        return BankDebit.Kind.REVERSAL
    family = line.bank_code.split("/")[1:2]
    if line.return_reason or (family and family[0] in _RETURN_FAMILIES):
        return BankDebit.Kind.RETURN
    return BankDebit.Kind.OTHER


def _original_payment(bank_account_id: int, line: BankLine) -> Payment | None:
    """The payment a reversal or return takes back: by end-to-end id, else by payer IBAN,
    amount (and reference), the latest not yet taken back."""
    candidates = Payment.objects.filter(
        bank_account_id=bank_account_id, booking_date__lte=line.booking_date, debits__isnull=True
    ).exclude(status=Payment.Status.RETURNED)
    if line.end_to_end_id:
        found = candidates.filter(end_to_end_id=line.end_to_end_id).order_by("-id").first()
        if found is not None:
            return found
    if not line.iban:
        return None
    candidates = candidates.filter(payer_iban=line.iban, amount=line.amount)
    if line.reference:
        candidates = candidates.filter(reference=line.reference)
    return candidates.order_by("-booking_date", "-id").first()


def _refund_paid_out(line: BankLine) -> Allocation | None:
    if not line.iban:
        return None
    return (
        Allocation.objects.filter(
            kind=Allocation.Kind.REFUND,
            refund_iban=line.iban,
            amount=line.amount,
            bank_debit__isnull=True,
        )
        .order_by("id")
        .first()
    )


def _store_debits(
    *,
    file: StatementFile,
    lines: list[BankLine],
    as_of: dt.datetime,
    result: ImportResult,
    rule: str,
) -> None:
    known = _known_keys(BankDebit, file.bank_account_id, [line.key for line in lines])
    result.known_debits = len(known)
    for line in lines:
        if line.key in known:
            continue
        kind = _debit_kind(line)
        payment = refund = None
        if kind != BankDebit.Kind.OTHER:
            payment = _original_payment(file.bank_account_id, line)
        else:
            refund = _refund_paid_out(line)
            if refund is not None:
                kind = BankDebit.Kind.REFUND
        debit = BankDebit.objects.create(
            bank_account_id=file.bank_account_id,
            statement=file,
            entry_key=line.key,
            kind=kind,
            amount=line.amount,
            booking_date=line.booking_date,
            counterparty_name=line.name[:140],
            counterparty_iban=line.iban,
            end_to_end_id=line.end_to_end_id,
            return_reason=line.return_reason,
            text=line.text[:500],
            payment=payment,
            refund=refund,
            created_at=as_of,
        )
        result.new_debits += 1
        if kind == BankDebit.Kind.RETURN:  # a returned direct debit: its item says why
            direct_debit.mark_returned(
                end_to_end_id=line.end_to_end_id, reason=line.return_reason, bank_debit_id=debit.pk
            )
        if payment is not None:
            why = f"{kind} {line.key}" + (f" ({line.return_reason})" if line.return_reason else "")
            take_back_payment(
                payment=payment,
                reason=why,
                by=IMPORTER,
                as_of=as_of,
                rule=rule,
                returned_date=line.booking_date,
            )
            result.reversed_payments += 1
        elif refund is None:
            result.unmatched_debits.append(f"{line.key} {line.amount} {line.name}".strip())


def take_back_payment(
    *,
    payment: Payment,
    reason: str,
    by: str,
    as_of: dt.datetime,
    rule: str = OLDEST_FIRST,
    returned_date: dt.date | None = None,
) -> None:
    """The bank took the payment back (a reversal or a returned direct debit) on
    ``returned_date`` (default: the local day of ``as_of``): take it off the accounts it was
    allocated to (back to suspense on the ledger; the invoices it paid are open again) and
    record what is left as RETURNED (cash out of suspense)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        on_accounts = (
            payment.allocations.filter(kind=Allocation.Kind.ACCOUNT)
            .values_list("billing_account_id")
            .annotate(total=Sum("amount"))
            .order_by("billing_account_id")
        )
        # back off the accounts into suspense, then out of suspense to the bank (RETURNED)
        shares = [
            _Share(
                _PaymentRef.of(payment),
                account_id,
                -queries.cents(total),
                by,
                reason,
                source=LedgerAccount.SUSPENSE,
            )
            for account_id, total in on_accounts
            if queries.cents(total) > 0
        ]
        backs = _post_shares(shares, as_of=as_of, rule=rule)
        _unsettle(payment, backs)
        left = queries.unallocated_amount(payment=payment)
        if left > 0:
            returned = Allocation.objects.create(
                payment=payment,
                kind=Allocation.Kind.RETURNED,
                amount=left,
                created_by=by,
                reason=reason,
                created_at=as_of,
            )
            _allocation_paid_out(returned, payment, posted_date=returned_date)
        _refresh_status([payment.pk])


def _unsettle(payment: Payment, backs: list[_Written]) -> None:
    """Negative settlements on the take-back allocations for what the payment had settled."""
    back_of = {w.billing_account_id: w.allocation_id for w in backs}
    settled = (
        InvoiceSettlement.objects.filter(allocation__payment=payment)
        .values_list("allocation__billing_account_id", "invoice_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    insert_rows(
        InvoiceSettlement,
        ("allocation", "invoice", "amount"),
        [
            (back_of[account_id], invoice_id, -queries.cents(total))
            for account_id, invoice_id, total in settled
            if queries.cents(total) > 0 and account_id in back_of
        ],
    )


def _refresh_status(payment_ids: Sequence[int]) -> None:
    totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows = (
        Allocation.objects.filter(payment_id__in=payment_ids)
        .values_list("payment_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for payment_id, kind, total in rows:
        totals[payment_id][kind] = queries.cents(total)
    changed = []
    for payment in Payment.objects.filter(pk__in=payment_ids):
        kinds = totals.get(payment.pk, {})
        left = payment.amount - sum(kinds.values(), Decimal(0))
        if left > 0:
            status = Payment.Status.SUSPENSE
        elif kinds.get(Allocation.Kind.RETURNED, 0) > 0:
            status = Payment.Status.RETURNED
        elif kinds.get(Allocation.Kind.ACCOUNT, 0) > 0:
            status = Payment.Status.ALLOCATED
        else:
            status = Payment.Status.REFUNDED
        if status != payment.status:
            payment.status = status
            changed.append(payment)
    Payment.objects.bulk_update(changed, ["status"])


# --- the suspense queue ---------------------------------------------------------------------


def _check_who_and_why(by: str, reason: str) -> None:
    if not by.strip():
        raise UnableToAllocate(_("Say who makes the allocation."))
    if not reason.strip():
        raise UnableToAllocate(_("Say why the payment is allocated or refunded."))


def _in_whole_cents(amount: Decimal) -> bool:
    return amount > 0 and amount == amount.quantize(CENT)


def allocate_from_suspense(
    *,
    payment_id: int,
    parts: Sequence[Part],
    by: str,
    reason: str,
    as_of: dt.datetime,
    rule: str = OLDEST_FIRST,
) -> list[Allocation]:
    """Allocate (one part) or split (several parts) what a payment has in suspense onto
    billing accounts; a part of it may stay in suspense."""
    _check_who_and_why(by, reason)
    if not parts:
        raise UnableToAllocate(_("Name at least one billing account and amount."))
    for part in parts:
        if not _in_whole_cents(part.amount):
            raise UnableToAllocate(
                _(
                    "The amount for billing account %(account)s must be a positive amount in "
                    "whole cents, not %(amount)s."
                )
                % {"account": part.billing_account_id, "amount": shown_money(part.amount)}
            )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise UnableToAllocate(_("There is no payment %(id)s.") % {"id": payment_id})
        left = queries.unallocated_amount(payment=payment)
        wanted = sum((p.amount for p in parts), Decimal(0))
        if wanted > left:
            raise UnableToAllocate(
                _("Payment %(id)s has %(left)s in suspense; %(wanted)s cannot be allocated.")
                % {"id": payment_id, "left": shown_money(left), "wanted": shown_money(wanted)}
            )
        shares = [
            _Share(
                _PaymentRef.of(payment),
                p.billing_account_id,
                p.amount,
                by.strip(),
                reason.strip(),
                source=LedgerAccount.SUSPENSE,
            )
            for p in parts
        ]
        written = _post_shares(shares, as_of=as_of, rule=rule)
        _refresh_status([payment.pk])
    return list(Allocation.objects.filter(pk__in=[w.allocation_id for w in written]).order_by("pk"))


def refund_from_suspense(
    *,
    payment_id: int,
    by: str,
    reason: str,
    as_of: dt.datetime,
    amount: Decimal | None = None,
    iban: str = "",
) -> Allocation:
    """Pay (part of) what a payment has in suspense back to the payer (or ``iban``); the
    bank's debit for it is matched when it appears on a statement."""
    _check_who_and_why(by, reason)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None:
            raise UnableToAllocate(_("There is no payment %(id)s.") % {"id": payment_id})
        left = queries.unallocated_amount(payment=payment)
        amount = left if amount is None else amount
        if not _in_whole_cents(amount):
            raise UnableToAllocate(
                _("The refund must be a positive amount in whole cents, not %(amount)s.")
                % {"amount": shown_money(amount)}
            )
        if amount > left:
            raise UnableToAllocate(
                _("Payment %(id)s has %(left)s in suspense; %(wanted)s cannot be refunded.")
                % {"id": payment_id, "left": shown_money(left), "wanted": shown_money(amount)}
            )
        to = iban or payment.payer_iban
        if not to:
            raise UnableToAllocate(
                _("Payment %(id)s has no payer IBAN; give the IBAN.") % {"id": payment_id}
            )
        try:
            to = validate_iban(to)
        except InvalidIdentifier as exc:
            raise UnableToAllocate(str(exc)) from None
        refund = Allocation.objects.create(
            payment=payment,
            kind=Allocation.Kind.REFUND,
            amount=amount,
            refund_iban=to,
            created_by=by.strip(),
            reason=reason.strip(),
            created_at=as_of,
        )
        _allocation_paid_out(refund, payment)
        _refresh_status([payment.pk])
    return refund


__all__ = [
    "ALLOCATION_DOCUMENT",
    "PAYMENT_DOCUMENT",
    "BankLine",
    "ImportResult",
    "Part",
    "StatementData",
    "UnableToAllocate",
    "UnknownBankAccount",
    "add_bank_account",
    "allocate_from_suspense",
    "bank_account_for",
    "import_statement",
    "refund_from_suspense",
    "take_back_payment",
]


def close_disconnection_request(
    *, request_id: int, sent: bool, note: str, now: dt.datetime
) -> None:
    """The data-hub step handled a PENDING disconnection request: SENT (``note``: the hub's
    request ids) or CANCELLED (``note``: why nothing was sent). Handled once only."""
    DisconnectionRequest.objects.filter(
        pk=request_id, status=DisconnectionRequest.Status.PENDING
    ).update(
        status=DisconnectionRequest.Status.SENT if sent else DisconnectionRequest.Status.CANCELLED,
        note=note,
        sent_at=now,
    )
