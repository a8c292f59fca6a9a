"""Finance reports from the ledger, set-based (a few grouped queries, whatever the size).

* :func:`account_statement`: one billing account over ``[date_from, date_to]`` (posted
  dates): the opening balance (its receivable before the period), every ledger transaction of
  the period (invoices, credit notes, payments, refunds and returns) with its effect on the
  receivable and, for bills, the late-payment interest they carry, and the closing balance.
  Opening + the period's movements = closing, and closing is the ledger's receivable balance
  at the end of the period.
* :func:`payments`: the payments booked in a period with what each allocated, refunded or
  left in suspense.
* :func:`gl_export`: one row per month, GL account and detail: the revenue accounts (one per
  component: energy, network, levies, fees, late-payment interest, dunning fees), VAT payable
  by rate, receivables, cash and suspense, each with its debits, credits and net. Every
  ledger transaction sums to zero, so each month's rows do; VAT is split by rate from the
  invoices' VAT summaries and must add up to the ledger's VAT account (else
  :class:`LedgerMismatch`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth

from vool.domain.billing.models import Invoice
from vool.domain.ledger.models import LedgerAccount, LedgerTransaction, Posting
from vool.domain.receivables.models import Allocation, Payment
from vool.domain.receivables.queries import cents

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=16, decimal_places=2)
INVOICE_DOCUMENT = "billing.Invoice"


class LedgerMismatch(RuntimeError):
    """The invoices' VAT by rate does not add up to the ledger's VAT account."""


# --- account statement ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    posted_date: dt.date
    kind: str  # INVOICE, CREDIT_NOTE, PAYMENT, REFUND, ADJUSTMENT
    reference: str
    amount: Decimal  # on the receivable: + owed more, - paid / credited
    interest: Decimal  # late-payment interest billed in it


@dataclass(frozen=True)
class AccountStatement:
    billing_account_id: int
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    lines: list[StatementLine]
    closing: Decimal

    def total(self, kind: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.kind == kind), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((line.interest for line in self.lines), ZERO)


def _receivable(where: Q) -> Decimal:
    total = Posting.objects.filter(where, account=LedgerAccount.RECEIVABLE).aggregate(
        total=Sum("amount")
    )["total"]
    return cents(total)


def account_statement(
    *, billing_account_id: int, date_from: dt.date, date_to: dt.date
) -> AccountStatement:
    opening = _receivable(
        Q(billing_account_id=billing_account_id, transaction__posted_date__lt=date_from)
    )
    rows = (
        LedgerTransaction.objects.filter(
            billing_account_id=billing_account_id,
            posted_date__gte=date_from,
            posted_date__lte=date_to,
        )
        .annotate(
            receivable=Coalesce(
                Sum(
                    Case(
                        When(postings__account=LedgerAccount.RECEIVABLE, then="postings__amount"),
                        default=Value(ZERO),
                        output_field=_MONEY,
                    )
                ),
                Value(ZERO),
                output_field=_MONEY,
            ),
            interest=Coalesce(
                Sum(
                    Case(
                        When(
                            postings__account=LedgerAccount.REVENUE_INTEREST,
                            then=-F("postings__amount"),
                        ),
                        default=Value(ZERO),
                        output_field=_MONEY,
                    )
                ),
                Value(ZERO),
                output_field=_MONEY,
            ),
        )
        .order_by("posted_date", "pk")
        .values_list("posted_date", "kind", "reference", "receivable", "interest")
    )
    lines = [
        StatementLine(day, kind, reference, cents(amount), cents(interest))
        for day, kind, reference, amount, interest in rows
    ]
    closing = opening + sum((line.amount for line in lines), ZERO)
    return AccountStatement(billing_account_id, date_from, date_to, opening, lines, closing)


# --- payments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRow:
    payment_id: int
    booking_date: dt.date
    amount: Decimal
    payer_name: str
    payer_iban: str
    reference: str
    status: str
    allocated: Decimal
    refunded: Decimal  # refunded by us or returned by the bank
    suspense: Decimal


def _allocated(kinds: list[str]) -> Subquery:
    return Subquery(
        Allocation.objects.filter(payment=OuterRef("pk"), kind__in=kinds)
        .values("payment")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=_MONEY,
    )


def payments(
    *, date_from: dt.date, date_to: dt.date, status: str | None = None
) -> list[PaymentRow]:
    """The payments booked in ``[date_from, date_to]`` (optionally of one status)."""
    found = Payment.objects.filter(booking_date__gte=date_from, booking_date__lte=date_to)
    if status:
        found = found.filter(status=status)
    rows = (
        found.annotate(
            on_accounts=_allocated([Allocation.Kind.ACCOUNT]),
            paid_out=_allocated([Allocation.Kind.REFUND, Allocation.Kind.RETURNED]),
        )
        .order_by("booking_date", "pk")
        .values_list(
            "pk",
            "booking_date",
            "amount",
            "payer_name",
            "payer_iban",
            "reference",
            "status",
            "on_accounts",
            "paid_out",
        )
    )
    result = []
    for pk, day, amount, name, iban, reference, state, on_accounts, paid_out in rows:
        allocated, refunded = cents(on_accounts), cents(paid_out)
        result.append(
            PaymentRow(
                pk,
                day,
                amount,
                name,
                iban,
                reference,
                state,
                allocated,
                refunded,
                amount - allocated - refunded,
            )
        )
    return result


# --- general-ledger export --------------------------------------------------------------------


@dataclass(frozen=True)
class GLRow:
    period: str  # YYYY-MM
    account: str
    detail: str  # the VAT rate of VAT_PAYABLE rows, else ""
    debit: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        return self.debit - self.credit


def _month(day: dt.date | dt.datetime) -> str:
    return f"{day:%Y-%m}"


def _vat_by_rate(date_from: dt.date, date_to: dt.date) -> dict[tuple[str, str], list[Decimal]]:
    """(month, rate) -> [debit, credit] of the VAT of the invoices and credit notes posted
    then (an invoice's VAT is a credit on VAT payable, a credit note's a debit)."""
    posted = LedgerTransaction.objects.filter(
        document_type=INVOICE_DOCUMENT,
        posted_date__gte=date_from,
        posted_date__lte=date_to,
    ).values("document_id")
    by_rate: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    documents = Invoice.objects.filter(pk__in=Subquery(posted)).values_list(
        "issue_date", "vat_summary"
    )
    for issue_date, summary in documents.iterator(chunk_size=5000):
        if issue_date is None:  # posted documents are issued
            continue
        for entry in summary or []:
            posting = -Decimal(entry["vat"])
            sides = by_rate[(_month(issue_date), entry["rate"])]
            if posting > 0:
                sides[0] += posting
            else:
                sides[1] -= posting
    return by_rate


def _vat_rows(
    period: str, debit: Decimal, credit: Decimal, vat: dict[tuple[str, str], list[Decimal]]
) -> list[GLRow]:
    rows = [
        GLRow(period, LedgerAccount.VAT_PAYABLE, rate, sides[0], sides[1])
        for (month, rate), sides in sorted(vat.items())
        if month == period and (sides[0] or sides[1])
    ]
    by_rates = sum((row.net for row in rows), ZERO)
    if by_rates != debit + credit:
        raise LedgerMismatch(
            f"VAT by rate of {period} ({by_rates}) is not the ledger's VAT payable "
            f"({debit + credit}); an invoice's VAT summary and its posting disagree."
        )
    return rows


def gl_export(*, date_from: dt.date, date_to: dt.date) -> list[GLRow]:
    """The GL rows of the months of ``[date_from, date_to]`` (posted dates); see the module."""
    rows = (
        Posting.objects.filter(
            transaction__posted_date__gte=date_from, transaction__posted_date__lte=date_to
        )
        .annotate(month=TruncMonth("transaction__posted_date"))
        .values("month", "account")
        .annotate(
            debit=Coalesce(Sum("amount", filter=Q(amount__gt=0)), Value(ZERO), output_field=_MONEY),
            credit=Coalesce(
                Sum("amount", filter=Q(amount__lt=0)), Value(ZERO), output_field=_MONEY
            ),
        )
        .order_by("month", "account")
        .values_list("month", "account", "debit", "credit")
    )
    vat = _vat_by_rate(date_from, date_to)
    result: list[GLRow] = []
    for month, account, debit, credit in rows:
        period = _month(month)
        if account == LedgerAccount.VAT_PAYABLE:
            result += _vat_rows(period, cents(debit), cents(credit), vat)
        else:
            result.append(GLRow(period, account, "", cents(debit), -cents(credit)))
    return result


GL_HEADER = ("period", "gl_account", "detail", "debit", "credit", "net")


def gl_csv(rows: list[GLRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GL_HEADER)
    for row in rows:
        writer.writerow((row.period, row.account, row.detail, row.debit, row.credit, row.net))
    return out.getvalue()
