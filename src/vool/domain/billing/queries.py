"""Reads of billing: who is billed in a period, runs and their reports, invoices."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NamedTuple

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from vool.common.localtime import Month
from vool.domain.billing import unbillable
from vool.domain.billing.models import (
    ACTIVE_RUN_STATUSES,
    BillRun,
    BillRunChunk,
    BillRunException,
    Invoice,
    InvoiceIntervalDays,
    InvoiceIntervalTerm,
    InvoiceLine,
)
from vool.domain.contracts import queries as contract_queries
from vool.domain.contracts.models import SupplyContract
from vool.domain.tariffs.models import Product

INVOICE: Final = Invoice.Kind.INVOICE  # an invoice (not a credit note)
CREDIT_NOTE: Final = Invoice.Kind.CREDIT_NOTE  # a credit note


def accounts_to_bill(*, period: Month) -> list[int]:
    """Ids of the billing accounts with a supply contract active in ``period``, ascending."""
    return contract_queries.accounts_with_live_contract(
        start=period.first_day, end=period.next().first_day
    )


@dataclass(frozen=True)
class RunProgress:
    chunks: int
    chunks_done: int
    chunks_failed: int
    accounts: int
    accounts_done: int


def run_progress(*, run_id: int) -> RunProgress:
    """The run's chunks and accounts, done and failed: one grouped count over the chunks'
    stored account counts (never their id lists; this is polled while a run goes)."""
    chunks: dict[str, int] = {}
    accounts: dict[str, int] = {}
    for row in (
        BillRunChunk.objects.filter(run_id=run_id)
        .order_by()
        .values("state")
        .annotate(chunks=Count("id"), accounts=Sum("account_count"))
    ):
        chunks[row["state"]] = row["chunks"]
        accounts[row["state"]] = row["accounts"] or 0
    done, failed = BillRunChunk.State.DONE, BillRunChunk.State.FAILED
    return RunProgress(
        chunks=sum(chunks.values()),
        chunks_done=chunks.get(done, 0),
        chunks_failed=chunks.get(failed, 0),
        accounts=sum(accounts.values()),
        accounts_done=accounts.get(done, 0),
    )


def unfinished_chunk_ids(*, run_id: int) -> list[int]:
    return list(
        BillRunChunk.objects.filter(run_id=run_id)
        .exclude(state=BillRunChunk.State.DONE)
        .order_by("index")
        .values_list("id", flat=True)
    )


def invoice_by_number(*, number: int) -> Invoice | None:
    """The invoice (or credit note) numbered ``number``, with its account, customer and the
    invoice it credits."""
    return (
        Invoice.objects.select_related("billing_account__customer", "credited_invoice")
        .filter(number=number)
        .first()
    )


def get_invoice(*, invoice_id: int) -> Invoice:
    """Invoice ``invoice_id`` with its account, customer and the invoice it credits."""
    return Invoice.objects.select_related("billing_account__customer", "credited_invoice").get(
        pk=invoice_id
    )


def invoice_number(*, invoice_id: int) -> int | None:
    """The number of invoice ``invoice_id`` (None for a draft)."""
    return Invoice.objects.filter(pk=invoice_id).values_list("number", flat=True).first()


def invoice_id(*, number: int) -> int | None:
    """The id of the invoice (or credit note) numbered ``number``, if there is one."""
    return Invoice.objects.filter(number=number).values_list("pk", flat=True).first()


def active_run(*, period: Month) -> BillRun | None:
    """The run of ``period`` that has not finished (at most one exists), if any."""
    return BillRun.objects.filter(period=str(period), status__in=ACTIVE_RUN_STATUSES).first()


def get_run(*, run_id: int) -> BillRun:
    return BillRun.objects.get(pk=run_id)


def run_exceptions(*, run_id: int, limit: int | None = None) -> list[BillRunException]:
    qs = (
        BillRunException.objects.filter(run_id=run_id)
        .select_related("billing_account")
        .order_by("billing_account_id")
    )
    return list(qs[:limit] if limit is not None else qs)


@dataclass(frozen=True)
class ExceptionCount:
    code: str
    description: str  # the code in words
    count: int


def exceptions_by_code(*, run: BillRun) -> list[ExceptionCount]:
    """The run's exceptions counted by code, each code in words."""
    counts = (run.report or {}).get("exceptions_by_code") or {}
    return [
        ExceptionCount(code, unbillable.describe(code), int(count))
        for code, count in sorted(counts.items())
    ]


@dataclass(frozen=True)
class EstimationFailure:
    metering_point: str  # EIC
    register: str
    reason: str


@dataclass(frozen=True)
class EstimationReport:
    """What the run's estimation step did (``report["estimation"]``)."""

    registers: int
    estimated: int
    by_method: dict[str, int]
    failures: list[EstimationFailure]
    error: str  # why the step failed as a whole ("" = it did not)


def estimation_report(*, run: BillRun) -> EstimationReport | None:
    """The run's estimation step, or None when the run had none (no manual points, or it
    has not got there yet)."""
    data = (run.report or {}).get("estimation")
    if not data:
        return None
    return EstimationReport(
        registers=int(data.get("registers") or 0),
        estimated=int(data.get("estimated") or 0),
        by_method={str(k): int(v) for k, v in (data.get("by_method") or {}).items()},
        failures=[
            EstimationFailure(
                str(f.get("metering_point", "")), str(f.get("register", "")), str(f["reason"])
            )
            for f in data.get("failures") or []
        ],
        error=str(data.get("error") or ""),
    )


def invoices_of_account(*, billing_account_id: int) -> list[Invoice]:
    return list(
        Invoice.objects.filter(billing_account_id=billing_account_id)
        .exclude(status=Invoice.Status.DRAFT)
        .prefetch_related("lines")
        .order_by("period", "number")
    )


def invoiced_total(*, billing_account_id: int) -> Decimal:
    """Gross of the account's issued invoices and credit notes (credit notes negative)."""
    total = Decimal("0.00")
    for gross in Invoice.objects.filter(
        billing_account_id=billing_account_id, number__isnull=False
    ).values_list("gross_amount", flat=True):
        total += gross
    return total


@dataclass(frozen=True)
class PricedInvoice:
    """An issued invoice, and the billing account to rebill it by."""

    number: int
    period: str
    account_reference: str


def issued_invoices_priced_on(*, days: Collection[dt.date]) -> list[PricedInvoice]:
    """Issued invoices with an exchange-priced energy line (the point's contract is on an
    EXCHANGE product) that covers any of the local ``days``, by number."""
    if not days:
        return []
    wanted = sorted(set(days))
    exchange = SupplyContract.objects.filter(
        contract_queries.live_in(start=OuterRef("period_start"), end=OuterRef("period_end")),
        metering_point=OuterRef("metering_point"),
        billing_account=OuterRef("invoice__billing_account"),
        product__kind=Product.Kind.EXCHANGE,
    )
    lines = (
        InvoiceLine.objects.filter(
            invoice__status=Invoice.Status.ISSUED,
            invoice__kind=Invoice.Kind.INVOICE,
            component="ENERGY",
            period_start__lte=wanted[-1],
            period_end__gt=wanted[0],
        )
        .filter(Exists(exchange))
        .values_list(
            "invoice__number",
            "invoice__period",
            "invoice__billing_account__reference_number",
            "period_start",
            "period_end",
        )
    )
    found: dict[int, PricedInvoice] = {}
    for number, period, reference, start, end in lines:
        if number is None:  # an issued invoice always has its number
            continue
        first = bisect.bisect_left(wanted, start)
        if first < len(wanted) and wanted[first] < end:
            found[number] = PricedInvoice(number, period, reference)
    return [found[n] for n in sorted(found)]


# -- what live bills hold (the bill run's true-ups read it) ---------------------------------


def estimation_failures(*, run_id: int | None) -> tuple[dict[int, str], str]:
    """Registers the run's estimation step could not estimate, with the reason, and why the
    step failed as a whole, if it did (kept on the run's report by
    ``billing.operations.record_estimation``)."""
    if run_id is None:
        return {}, ""
    report = BillRun.objects.filter(pk=run_id).values_list("report", flat=True).first() or {}
    estimation = report.get("estimation") or {}
    failures = estimation.get("failures") or []
    return (
        {int(f["register_id"]): str(f["reason"]) for f in failures},
        str(estimation.get("error") or ""),
    )


@dataclass(frozen=True)
class KwhBasis:
    """A kWh line of an issued invoice (not a credit note) and what it billed (``basis``)."""

    invoice_id: int
    invoice_period: str
    billing_account_id: int
    metering_point_id: int
    period_start: dt.date
    is_true_up: bool
    basis: dict[str, Any]


def issued_kwh_bases(
    *, point_ids: Collection[int], first_start: dt.date, end_start: dt.date
) -> list[KwhBasis]:
    """The kWh lines of the points' issued invoices that start in ``[first_start, end_start)``,
    by invoice and position (a credit note takes its invoice out)."""
    return [
        KwhBasis(*row)
        for row in InvoiceLine.objects.filter(
            metering_point_id__in=list(point_ids),
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__status=Invoice.Status.ISSUED,
            unit=InvoiceLine.Unit.KWH,
            period_start__gte=first_start,
            period_start__lt=end_start,
        )
        .order_by("invoice_id", "position")
        .values_list(
            "invoice_id",
            "invoice__period",
            "invoice__billing_account_id",
            "metering_point_id",
            "period_start",
            "is_true_up",
            "basis",
        )
    ]


@dataclass(frozen=True)
class IntervalTermRow:
    """A true-up term (signed version of a day) on an ISSUED or DRAFT invoice."""

    billing_account_id: int
    metering_point_id: int
    day: dt.date
    interval_day_id: int
    sign: int
    issued: bool  # else a draft of run ``run_id``
    run_id: int | None


def interval_terms_on(
    *, account_ids: Collection[int], point_ids: Collection[int], days: Collection[dt.date]
) -> list[IntervalTermRow]:
    """The true-up terms of the accounts' issued and draft invoices on the points and days."""
    return [
        IntervalTermRow(
            account_id, point_id, day, version_id, sign, status == Invoice.Status.ISSUED, run
        )
        for account_id, point_id, day, version_id, sign, status, run in (
            InvoiceIntervalTerm.objects.filter(
                metering_point_id__in=list(point_ids),
                day__in=list(days),
                invoice__billing_account_id__in=list(account_ids),
                invoice__status__in=(Invoice.Status.ISSUED, Invoice.Status.DRAFT),
            ).values_list(
                "invoice__billing_account_id",
                "metering_point_id",
                "day",
                "interval_day_id",
                "sign",
                "invoice__status",
                "invoice__run_id",
            )
        )
    ]


@dataclass(frozen=True)
class IssuedMonthDays:
    """The versions an issued invoice bills as one point's consumption of its month (version
    of day ``first_day + i``; 0 = not billed)."""

    billing_account_id: int
    metering_point_id: int
    first_day: dt.date
    versions: list[int]


def issued_month_days(
    *, account_ids: Collection[int], point_ids: Collection[int], periods: Collection[str]
) -> list[IssuedMonthDays]:
    """What the accounts' issued invoices (not credit notes) of ``periods`` bill of the points."""
    return [
        IssuedMonthDays(account_id, point_id, first_day, list(versions))
        for account_id, point_id, first_day, versions in InvoiceIntervalDays.objects.filter(
            metering_point_id__in=list(point_ids),
            invoice__billing_account_id__in=list(account_ids),
            invoice__period__in=list(periods),
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__status=Invoice.Status.ISSUED,
        ).values_list("invoice__billing_account_id", "metering_point_id", "first_day", "versions")
    ]


def days_with_issued_terms(
    *,
    account_ids: Collection[int],
    point_ids: Collection[int],
    first_day: dt.date,
    end_day: dt.date,
) -> set[tuple[int, int, dt.date]]:
    """(account, point, day) of ``[first_day, end_day)`` that the accounts' issued invoices
    hold true-up terms of."""
    return set(
        InvoiceIntervalTerm.objects.filter(
            metering_point_id__in=list(point_ids),
            invoice__billing_account_id__in=list(account_ids),
            invoice__status=Invoice.Status.ISSUED,
            day__gte=first_day,
            day__lt=end_day,
        )
        .values_list("invoice__billing_account_id", "metering_point_id", "day")
        .distinct()
    )


def issued_invoice_by_number(*, number: int) -> Invoice | None:
    """The issued invoice (not a credit note, not cancelled) numbered ``number``, with its
    account; None if there is none."""
    return (
        Invoice.objects.select_related("billing_account")
        .filter(number=number, kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED)
        .first()
    )


def open_exceptions(*, code: str = "") -> QuerySet[BillRunException]:
    """Run exceptions whose account has no live invoice for the run's month yet (once billed,
    by a rebill after the cause was mended, it leaves the queue); ``code`` narrows them."""
    billed = Invoice.objects.filter(
        billing_account_id=OuterRef("billing_account_id"),
        period=OuterRef("run__period"),
        kind=Invoice.Kind.INVOICE,
    ).exclude(status=Invoice.Status.CANCELLED)
    rows = (
        BillRunException.objects.filter(~Exists(billed))
        .select_related("run", "billing_account__customer")
        .order_by("-run__period", "code", "pk")
    )
    return rows.filter(code=code) if code else rows


def get_run_exception(*, exception_id: int) -> BillRunException:
    """Run exception ``exception_id`` with its run and billing account."""
    return BillRunException.objects.select_related("run", "billing_account").get(pk=exception_id)


def issued_invoices_of_customer(*, customer_id: int) -> QuerySet[Invoice]:
    """The customer's issued invoices (not credit notes), newest first."""
    return Invoice.objects.filter(
        billing_account__customer_id=customer_id,
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.ISSUED,
    ).order_by("-issue_date", "-number")


def numbered_invoices_of_customer(*, customer_id: int) -> QuerySet[Invoice]:
    """The customer's invoices and credit notes that have a number, newest first, with the
    account and the credited invoice."""
    return (
        Invoice.objects.filter(billing_account__customer_id=customer_id, number__isnull=False)
        .select_related("billing_account", "credited_invoice")
        .order_by("-issue_date", "-number")
    )


def lines_of_invoice(*, invoice_id: int) -> list[InvoiceLine]:
    """The invoice's lines in their printed order."""
    return list(InvoiceLine.objects.filter(invoice_id=invoice_id).order_by("position"))


def customers_with_invoice_number(*, number: int) -> list[tuple[int, int | None]]:
    """(customer id, number) of the invoice or credit note numbered ``number``."""
    return list(
        Invoice.objects.filter(number=number).values_list("billing_account__customer_id", "number")
    )


_ISSUED_DOCUMENTS_OF_CUSTOMER: Final = (
    "SELECT i.* FROM billing_invoice i "
    "JOIN customers_billingaccount a ON a.id = i.billing_account_id "
    "WHERE a.customer_id = %s AND i.number IS NOT NULL AND i.status <> %s "
    "ORDER BY i.issue_date DESC, i.number DESC"
)


def issued_documents_of_customer(*, customer_id: int) -> list[Invoice]:
    """The customer's issued invoices and credit notes (numbered, not drafts), newest first."""
    # Written out (the portal's overview and invoice pages): the ORM's building of the join
    # cost more CPU than the read (RESULTS.md, h43).
    return list(
        Invoice.objects.raw(
            _ISSUED_DOCUMENTS_OF_CUSTOMER, [customer_id, Invoice.Status.DRAFT.value]
        )
    )


def issued_invoice_of_customer(*, customer_id: int, invoice_id: int) -> Invoice | None:
    """Issued invoice ``invoice_id`` when it is the customer's (with its account, customer and
    credited invoice), else None."""
    return (
        Invoice.objects.filter(
            pk=invoice_id, billing_account__customer_id=customer_id, number__isnull=False
        )
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("billing_account__customer", "credited_invoice")
        .first()
    )


def estimated_invoice_ids(*, invoice_ids: Collection[int]) -> set[int]:
    """The ones of ``invoice_ids`` with a line on an estimated reading."""
    if not invoice_ids:  # no query to build
        return set()
    return set(
        Invoice.objects.filter(pk__in=invoice_ids, lines__is_estimated=True).values_list(
            "pk", flat=True
        )
    )


class PayableInvoice(NamedTuple):
    """An issued invoice with something to pay, as a payer's bank sees it."""

    billing_account_id: int
    amount_due: Decimal
    due_date: dt.date | None
    number: int | None
    reference: str  # the billing account's reference number
    payer: str  # the customer's name


def payable_invoices_of_run(*, run_id: int) -> list[PayableInvoice]:
    """The run's issued invoices (not credit notes) with an amount due, in the order made."""
    rows = (
        Invoice.objects.filter(
            run_id=run_id, kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED
        )
        .exclude(amount_due__lte=0)
        .order_by("pk")
        .values_list(
            "billing_account_id",
            "amount_due",
            "due_date",
            "number",
            "billing_account__reference_number",
            "billing_account__customer__name",
        )
    )
    return [PayableInvoice._make(row) for row in rows]


def latest_billed_period() -> str | None:
    """The latest period (``YYYY-MM``) with a numbered invoice, or None."""
    return (
        Invoice.objects.filter(number__isnull=False)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )


def issued_network_kwh(
    *, point_ids: Collection[int], first_day: dt.date, end_day: dt.date
) -> dict[tuple[int, str], Decimal]:
    """kWh billed for the network (NETWORK_ENERGY lines) by (point, time band) on the issued
    invoices not credited, for lines within ``[first_day, end_day)`` (true-ups included: they
    bill the same days again, signed)."""
    credited = Invoice.objects.filter(
        credited_invoice=OuterRef("invoice_id"),
        kind=Invoice.Kind.CREDIT_NOTE,
        status=Invoice.Status.ISSUED,
    )
    rows = (
        InvoiceLine.objects.filter(
            metering_point_id__in=list(point_ids),
            component="NETWORK_ENERGY",
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__status=Invoice.Status.ISSUED,
            period_start__gte=first_day,
            period_end__lte=end_day,
        )
        .exclude(Exists(credited))
        .values("metering_point_id", "band")
        .annotate(kwh=Sum("quantity"))
    )
    return {(r["metering_point_id"], r["band"]): Decimal(r["kwh"]) for r in rows}
