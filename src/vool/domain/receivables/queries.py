"""Reads of receivables: open invoices, the suspense queue with suggestions, and the totals
that prove no payment is lost."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from vool.common.identifiers import is_valid_reference_number
from vool.common.localtime import day_bounds
from vool.common.money import RoundingMode, round_money
from vool.domain.billing.models import Invoice
from vool.domain.bulk import in_batches
from vool.domain.customers.models import BillingAccount, FormerReferenceNumber
from vool.domain.receivables.allocation import OpenInvoice
from vool.domain.receivables.models import (
    Allocation,
    DisconnectionRequest,
    DunningHold,
    DunningLetter,
    DunningLevel,
    DunningRun,
    InvoiceSettlement,
    Payment,
)

ZERO = Decimal("0.00")
SUSPENSE = Payment.Status.SUSPENSE  # a payment with money waiting for its account
CHUNK = 5000
T = TypeVar("T")
_NUMBERS = re.compile(r"\d{1,20}")


def cents(value: Decimal | None) -> Decimal:
    """A sum in whole cents (SQLite sums decimals as binary floats)."""
    return ZERO if value is None else round_money(Decimal(value), mode=RoundingMode.HALF_UP)


def accounts_by_reference(*, references: Iterable[str]) -> dict[str, int]:
    """Billing account ids of the given reference numbers (unknown ones are left out); a
    number an account was known by before (``FormerReferenceNumber``, e.g. the legacy
    system's) still finds it."""
    refs = sorted({r for r in references if r})
    found: dict[str, int] = {}
    for chunk in in_batches(refs, CHUNK):
        found.update(
            BillingAccount.objects.filter(reference_number__in=chunk).values_list(
                "reference_number", "id"
            )
        )
    for chunk in in_batches([r for r in refs if r not in found], CHUNK):
        found.update(
            FormerReferenceNumber.objects.filter(reference_number__in=chunk).values_list(
                "reference_number", "account_id"
            )
        )
    return found


def open_invoices(*, billing_account_ids: Iterable[int]) -> dict[int, list[OpenInvoice]]:
    """Each account's issued invoices with something left to pay (amount due minus what
    payments have settled), oldest due first."""
    ids = sorted(set(billing_account_ids))
    settled = (
        InvoiceSettlement.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    result: dict[int, list[OpenInvoice]] = defaultdict(list)
    for chunk in in_batches(ids, CHUNK):
        rows = (
            Invoice.objects.filter(
                billing_account_id__in=chunk,
                kind=Invoice.Kind.INVOICE,
                status=Invoice.Status.ISSUED,
            )
            .annotate(
                settled=Coalesce(
                    Subquery(settled, output_field=DecimalField(max_digits=14, decimal_places=2)),
                    Value(ZERO),
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                )
            )
            .order_by("due_date", "number")
            .values_list("billing_account_id", "id", "number", "due_date", "amount_due", "settled")
        )
        for account_id, invoice_id, number, due_date, due, paid in rows:
            left = cents(due) - cents(paid)
            if left > 0 and number is not None and due_date is not None:
                result[account_id].append(OpenInvoice(invoice_id, number, due_date, left))
    return dict(result)


def unallocated_amount(*, payment: Payment) -> Decimal:
    """What of the payment is still in suspense."""
    total = payment.allocations.aggregate(total=Sum("amount"))["total"]
    return payment.amount - cents(total)


@dataclass(frozen=True)
class PaymentTotals:
    received: Decimal
    allocated: Decimal  # net on billing accounts
    refunded: Decimal  # paid back by us or returned by the bank
    suspense: Decimal

    @property
    def balanced(self) -> bool:
        return self.allocated + self.refunded + self.suspense == self.received


def payment_totals(*, payment_ids: Iterable[int] | None = None) -> PaymentTotals:
    """Received, allocated, refunded and in suspense over all payments (or the given ones);
    suspense is what each payment has not allocated, summed (never computed as a remainder
    of the others, so the totals prove something)."""
    payments = Payment.objects.all()
    if payment_ids is not None:
        payments = payments.filter(pk__in=list(payment_ids))
    allocated = (
        Allocation.objects.filter(payment=OuterRef("pk"))
        .values("payment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    received = ZERO
    suspense = ZERO
    for amount, used in payments.annotate(used=Subquery(allocated)).values_list("amount", "used"):
        received += amount
        suspense += amount - cents(used)
    rows = (
        Allocation.objects.filter(payment__in=payments)
        .values_list("kind")
        .annotate(total=Sum("amount"))
    )
    by_kind = {kind: cents(total) for kind, total in rows.order_by()}
    return PaymentTotals(
        received=received,
        allocated=by_kind.get(Allocation.Kind.ACCOUNT, ZERO),
        refunded=by_kind.get(Allocation.Kind.REFUND, ZERO)
        + by_kind.get(Allocation.Kind.RETURNED, ZERO),
        suspense=suspense,
    )


def allocated_to_account(*, billing_account_id: int) -> Decimal:
    """What bank payments have put onto the account, net of reversals."""
    total = Allocation.objects.filter(
        billing_account_id=billing_account_id, kind=Allocation.Kind.ACCOUNT
    ).aggregate(total=Sum("amount"))["total"]
    return cents(total)


def invoiced_total(*, billing_account_id: int) -> Decimal:
    """Issued invoices plus credit notes (negative) of the account."""
    total = Invoice.objects.filter(
        billing_account_id=billing_account_id, number__isnull=False
    ).aggregate(total=Sum("gross_amount"))["total"]
    return cents(total)


@dataclass(frozen=True)
class Suggestion:
    billing_account_id: int
    reference_number: str
    why: str


@dataclass(frozen=True)
class SuspenseItem:
    payment: Payment
    unallocated: Decimal
    suggestions: tuple[Suggestion, ...]


def suggestions_for(*, payment: Payment) -> list[Suggestion]:
    """Accounts the payment may belong to: an invoice number or a reference number in its
    text, the same payer IBAN or name on payments allocated before."""
    found: dict[int, Suggestion] = {}
    numbers = set(_NUMBERS.findall(f"{payment.text} {payment.reference}"))

    def add(rows: Iterable[tuple[int, str]], why: str) -> None:
        for account_id, reference in rows:
            found.setdefault(account_id, Suggestion(account_id, reference, why))

    if numbers:
        add(
            Invoice.objects.filter(number__in=[int(n) for n in numbers if len(n) <= 18])
            .values_list("billing_account_id", "billing_account__reference_number")
            .distinct(),
            f"invoice number in the text ({', '.join(sorted(numbers))})",
        )
        refs = [n for n in numbers if is_valid_reference_number(n)]
        add(
            BillingAccount.objects.filter(reference_number__in=refs).values_list(
                "id", "reference_number"
            ),
            "reference number in the text",
        )
    earlier = Allocation.objects.filter(kind=Allocation.Kind.ACCOUNT, amount__gt=0)
    if payment.pk is not None:
        earlier = earlier.exclude(payment_id=payment.pk)
    if payment.payer_iban:
        add(
            earlier.filter(payment__payer_iban=payment.payer_iban)
            .values_list("billing_account_id", "billing_account__reference_number")
            .distinct(),
            f"paid before from {payment.payer_iban}",
        )
    if payment.payer_name:
        add(
            earlier.filter(payment__payer_name__iexact=payment.payer_name)
            .values_list("billing_account_id", "billing_account__reference_number")
            .distinct(),
            f"paid before by {payment.payer_name}",
        )
    return list(found.values())


def referenced_accounts(*, payments: Sequence[Payment]) -> dict[int, set[int]]:
    """Each payment's billing accounts whose reference number, new or former
    (:func:`accounts_by_reference`), is in its remittance text or reference field (only valid
    reference numbers count, check digit and all); one look-up for all the payments."""
    numbers = {
        p.pk: {
            n for n in _NUMBERS.findall(f"{p.text} {p.reference}") if is_valid_reference_number(n)
        }
        for p in payments
    }
    found = accounts_by_reference(references=set().union(*numbers.values()))
    return {pk: {found[n] for n in refs if n in found} for pk, refs in numbers.items()}


def payments_by_id(*, payment_ids: Iterable[int]) -> dict[int, Payment]:
    """The payments among ``payment_ids`` that exist, by id (one query)."""
    return {p.pk: p for p in Payment.objects.filter(pk__in=set(payment_ids))}


def suspense_queue(*, limit: int = 200) -> list[SuspenseItem]:
    """Payments with money in suspense, oldest first, each with its suggestions."""
    allocated = (
        Allocation.objects.filter(payment=OuterRef("pk"))
        .values("payment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    payments = (
        Payment.objects.filter(status=Payment.Status.SUSPENSE)
        .annotate(used=Subquery(allocated))
        .order_by("booking_date", "id")[:limit]
    )
    return [
        SuspenseItem(p, p.amount - cents(p.used), tuple(suggestions_for(payment=p)))
        for p in payments
    ]


def payments_of_account(*, billing_account_id: int) -> list[Payment]:
    return list(
        Payment.objects.filter(Q(allocations__billing_account_id=billing_account_id))
        .distinct()
        .order_by("booking_date", "id")
    )


# --- aging -----------------------------------------------------------------------------------

PAYMENT_STATUSES = tuple(Payment.Status.values)  # for command-line choices
AGING_BUCKETS = ("NOT_DUE", "0-30", "31-60", "61-90", "90+")


@dataclass(frozen=True)
class AgingBucket:
    name: str  # one of AGING_BUCKETS: days past the due date on the date
    invoices: int
    open_amount: Decimal


def aging(*, on: dt.date) -> list[AgingBucket]:
    """Open invoices as they stood at the end of ``on``, by days past due: not yet due,
    1-30 (``0-30``), 31-60, 61-90, over 90. In one query. An invoice counts when issued by
    then and not credited by a credit note issued by then; a payment settles it from its
    booking date, a take-back (reversal, return) from when it was recorded."""
    _, end = day_bounds(on)
    settled = (
        InvoiceSettlement.objects.filter(
            invoice=OuterRef("pk"), allocation__payment__booking_date__lte=on
        )
        .filter(Q(amount__gt=0) | Q(allocation__created_at__lt=end))
        .values("invoice")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    bucket = Case(
        When(due_date__gte=on, then=Value("NOT_DUE")),
        When(due_date__gte=on - dt.timedelta(days=30), then=Value("0-30")),
        When(due_date__gte=on - dt.timedelta(days=60), then=Value("31-60")),
        When(due_date__gte=on - dt.timedelta(days=90), then=Value("61-90")),
        default=Value("90+"),
        output_field=CharField(),
    )
    rows = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            number__isnull=False,
            issue_date__lte=on,
            due_date__isnull=False,
        )
        .exclude(
            Exists(
                Invoice.objects.filter(
                    credited_invoice=OuterRef("pk"),
                    kind=Invoice.Kind.CREDIT_NOTE,
                    number__isnull=False,
                    issue_date__lte=on,
                )
            )
        )
        .annotate(
            open_amount=ExpressionWrapper(
                F("amount_due") - Coalesce(Subquery(settled, output_field=money), Value(ZERO)),
                output_field=money,
            ),
            bucket=bucket,
        )
        .filter(open_amount__gte=Decimal("0.005"))  # SQLite subtracts decimals as floats
        .values_list("bucket")
        .annotate(count=Count("pk"), total=Sum("open_amount"))
        .order_by()
    )
    found = {name: (count, cents(total)) for name, count, total in rows}
    return [AgingBucket(name, *found.get(name, (0, ZERO))) for name in AGING_BUCKETS]


@dataclass(frozen=True)
class LetterLine:
    """A dunning letter as ``vool dunning letters`` lists it."""

    reference_number: str
    invoice_number: int | None
    level: str
    open_amount: Decimal
    fee_amount: Decimal
    disconnection_date: dt.date | None


def letters_on(*, run_date: dt.date) -> list[LetterLine]:
    """The dunning letters of the run of ``run_date``, by account reference and invoice."""
    rows = (
        DunningLetter.objects.filter(run__run_date=run_date)
        .order_by("billing_account__reference_number", "invoice__number", "level")
        .values_list(
            "billing_account__reference_number",
            "invoice__number",
            "level",
            "open_amount",
            "fee_amount",
            "disconnection_date",
        )
    )
    return [LetterLine(*row) for row in rows]


# --- disconnection requests (the data-hub step) ----------------------------------------------


@dataclass(frozen=True)
class PendingDisconnection:
    """A disconnection request of a dunning run that the data-hub step has not handled yet."""

    request_id: int
    billing_account_id: int
    reference_number: str
    open_amount: Decimal
    run_date: dt.date


def pending_disconnections() -> list[PendingDisconnection]:
    """The PENDING disconnection requests, oldest run first."""
    rows = (
        DisconnectionRequest.objects.filter(status=DisconnectionRequest.Status.PENDING)
        .order_by("run__run_date", "billing_account_id")
        .values_list(
            "pk",
            "billing_account_id",
            "billing_account__reference_number",
            "open_amount",
            "run__run_date",
        )
    )
    return [
        PendingDisconnection(
            request_id=pk,
            billing_account_id=account_id,
            reference_number=reference,
            open_amount=amount,
            run_date=run_date,
        )
        for pk, account_id, reference, amount, run_date in rows
    ]


def disconnection_protection(*, billing_account_ids: Iterable[int], on: dt.date) -> dict[int, str]:
    """Why an account may not be disconnected on ``on``, by account id: its customer is
    vulnerable, or a VULNERABLE or clerk's hold is active (accounts free to disconnect are
    left out)."""
    ids = sorted(set(billing_account_ids))
    found: dict[int, str] = {}
    for account_id in BillingAccount.objects.filter(
        pk__in=ids, customer__is_vulnerable=True
    ).values_list("pk", flat=True):
        found[account_id] = "the customer is marked vulnerable (protected from disconnection)"
    holds = (
        DunningHold.objects.filter(billing_account_id__in=ids, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .exclude(kind=DunningHold.Kind.DISPUTED)
        .order_by("valid_from")
        .values_list("billing_account_id", "kind", "reason")
    )
    for account_id, kind, reason in holds:
        found.setdefault(account_id, f"a {kind} dunning hold is active: {reason}")
    return found


def disconnection_debt_paid(*, billing_account_ids: Iterable[int]) -> set[int]:
    """The accounts (of those given) whose invoices that reached the DISCONNECTION level are
    all paid in full."""
    ids = sorted(set(billing_account_ids))
    letters = DunningLetter.objects.filter(
        billing_account_id__in=ids, level=DunningLevel.Level.DISCONNECTION
    ).values_list("billing_account_id", "invoice_id")
    debt: dict[int, set[int]] = defaultdict(set)
    for account_id, invoice_id in letters:
        debt[account_id].add(invoice_id)
    still_open = open_invoices(billing_account_ids=list(debt))
    return {
        account_id
        for account_id, invoice_ids in debt.items()
        if not any(o.invoice_id in invoice_ids for o in still_open.get(account_id, []))
    }


# The back office's and the portal's reads (issue 10 section 4: use cases read through here)


def get_payment(*, payment_id: int) -> Payment | None:
    """Payment ``payment_id``, or None."""
    return Payment.objects.filter(pk=payment_id).first()


def suspense_payments() -> QuerySet[Payment]:
    """The payments waiting in suspense (unordered: the queue's counts)."""
    return Payment.objects.filter(status=Payment.Status.SUSPENSE)


def suspense_count() -> int:
    """How many payments wait in suspense."""
    return suspense_payments().count()


def allocations_of_customer(*, customer_id: int) -> QuerySet[Allocation]:
    """The allocations to the customer's billing accounts, latest booking first, with their
    payment and account."""
    return (
        Allocation.objects.filter(billing_account__customer_id=customer_id)
        .select_related("payment", "billing_account")
        .order_by("-payment__booking_date", "-pk")
    )


def customers_paying_from(*, iban: str) -> list[tuple[int, str]]:
    """(customer id, IBAN) of the customers a payment from ``iban`` was allocated to."""
    return list(
        Allocation.objects.filter(payment__payer_iban=iban, billing_account__isnull=False)
        .values_list("billing_account__customer_id", "payment__payer_iban")
        .distinct()
    )


def holds_by_id(*, hold_ids: Iterable[int]) -> dict[int, DunningHold]:
    """The dunning holds among ``hold_ids`` that exist, by id (one query)."""
    return {hold.pk: hold for hold in DunningHold.objects.filter(pk__in=set(hold_ids))}


def active_holds(*, today: dt.date, kind: str = "") -> QuerySet[DunningHold]:
    """The dunning holds in force on ``today`` (of ``kind``, when given), oldest first, with
    their account's or invoice's customer."""
    rows = (
        DunningHold.objects.filter(valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .select_related("billing_account__customer", "invoice__billing_account__customer")
        .order_by("valid_from", "pk")
    )
    return rows.filter(kind=kind) if kind else rows


def latest_dunning_run_date() -> dt.date | None:
    """The date of the latest dunning run, or None before the first."""
    run = DunningRun.objects.order_by("-run_date").only("run_date").first()
    return run.run_date if run else None


def mailed_dunning_letters(*, run_date: dt.date) -> QuerySet[DunningLetter]:
    """The letters the dunning run of ``run_date`` sends to customers: its reminders and
    warnings (a disconnection is a hub request, not a letter)."""
    return DunningLetter.objects.filter(run__run_date=run_date).exclude(
        level=DunningLevel.Level.DISCONNECTION
    )


def is_warning(letter: DunningLetter) -> bool:
    """Whether ``letter`` is a warning (it names a disconnection date)."""
    return letter.level == DunningLevel.Level.WARNING


def settled_by_invoice(*, invoice_ids: Iterable[int]) -> dict[int, Decimal]:
    """invoice id -> what payments have settled of it (the database's sum, not rounded; an
    invoice nothing settled is absent)."""
    ids = list(invoice_ids)
    if not ids:  # no query to build (a customer without bills: every portal overview)
        return {}
    return dict(
        InvoiceSettlement.objects.filter(invoice_id__in=ids)
        .values_list("invoice_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
