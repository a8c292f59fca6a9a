"""Writes of billing: bill runs and their chunks, issuing, credit notes and rebills.

Every function here is one or a few short transactions; nothing reads the clock. Three times
are kept apart (see docs/architecture.md, "Time, versions and true-ups"):

``as_of``
    the data cut-off: bills are priced on the data known at this instant (a run's, fixed at
    its start and kept by a resume);
``today``
    the issue date printed on the documents (and the one the billing window is checked on);
``now`` / ``clock``
    the audit time: when a run, chunk, invoice or credit note was really created, started,
    finished or issued; given by the caller (the use case reads the clock).

Gapless numbers: invoice and credit-note numbers come from one counter, taken under a row
lock in the same transaction that gives the numbers to the drafts and posts them to the
ledger. If that transaction fails, the counter is untouched: no number is ever lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from vool.common.localtime import Month
from vool.common.money import RoundingMode, round_money
from vool.domain.billing import charges, guard, pricing, queries, unbillable
from vool.domain.billing.models import (
    ACTIVE_RUN_STATUSES,
    INVOICE_LINE_FIELDS,
    BillRun,
    BillRunChunk,
    BillRunException,
    Invoice,
    InvoiceIntervalCorrection,
    InvoiceIntervalDays,
    InvoiceIntervalTerm,
    InvoiceLine,
)
from vool.domain.billing.totals import credit_applied, invoice_totals
from vool.domain.bulk import copy_rows, refresh_statistics
from vool.domain.customers import operations as customer_operations
from vool.domain.ledger import operations as ledger_operations
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerAccount
from vool.domain.metering import interval_operations
from vool.domain.metering.window import ReadingWindow

logger = logging.getLogger(__name__)

INVOICE_COUNTER = "billing_invoice_number"
FIRST_INVOICE_NUMBER = 1
BILLING_WINDOW_LAST_DAY = 9
DEFAULT_CHUNK_SIZE = 500
INVOICE_DOCUMENT = "billing.Invoice"


def _cents(total: Decimal | None) -> Decimal:
    """A database sum of cent amounts, exactly in cents (SQLite sums decimals as floats)."""
    return round_money(Decimal(total or 0), mode=RoundingMode.HALF_UP)


class OutsideBillingWindow(Exception):
    """Bills of a month are made on days 1-9 of the next month (unless a run is forced)."""


class UnableToStartRun(Exception):
    """The run cannot start (the message says why and what to do)."""


class UnableToIssue(Exception):
    """The run's drafts cannot be issued yet."""


class UnableToCreditInvoice(Exception):
    """The invoice cannot be credited (the message says why)."""


class UnableToRebill(Exception):
    """The account cannot be rebilled (the message says why)."""


# -- starting a run ----------------------------------------------------------------------------


def check_billing_window(*, period: Month, today: dt.date) -> None:
    opens = period.next().first_day
    closes = opens + dt.timedelta(days=BILLING_WINDOW_LAST_DAY - 1)
    if not opens <= today <= closes:
        raise OutsideBillingWindow(
            _(
                "Bills for %(period)s are made from %(opens)s to %(closes)s; today is "
                "%(today)s. A privileged user can force the run (--force --reason TEXT "
                "--user NAME)."
            )
            % {
                "period": period,
                "opens": opens.isoformat(),
                "closes": closes.isoformat(),
                "today": today.isoformat(),
            }
        )


def _check_may_start(
    *, period: Month, today: dt.date, chunk_size: int, forced_by: str, reason: str
) -> None:
    """:class:`UnableToStartRun` (or :class:`OutsideBillingWindow`) unless a run of ``period``
    may start ``today``: forced with who and why, or in the billing window; the month over."""
    forced = bool(forced_by or reason)
    if forced and not (forced_by.strip() and reason.strip()):
        raise UnableToStartRun(_("A forced run needs both who forces it and why."))
    if not forced:
        check_billing_window(period=period, today=today)
    if today < period.next().first_day:
        raise UnableToStartRun(
            _("%(period)s is not over yet on %(today)s.")
            % {"period": period, "today": today.isoformat()}
        )
    if chunk_size < 1:
        raise UnableToStartRun(_("A chunk holds at least one account."))


def create_run(
    *,
    period: Month,
    today: dt.date,
    as_of: dt.datetime,
    now: dt.datetime,
    due_days: int = 14,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int = 1,
    forced_by: str = "",
    forced_reason: str = "",
    started_by: str = "",
) -> BillRun:
    """A new run of ``period`` with its chunks: every billing account with a supply contract
    in the period, ``chunk_size`` accounts a chunk, in account order. ``today`` is the issue
    date, ``as_of`` the data cut-off, ``now`` when the run is created."""
    forced = bool(forced_by or forced_reason)
    _check_may_start(
        period=period, today=today, chunk_size=chunk_size, forced_by=forced_by, reason=forced_reason
    )
    account_ids = queries.accounts_to_bill(period=period)
    if forced and account_ids:
        _refuse_if_billed(period=period, account_ids=account_ids)
    with transaction.atomic():
        active = BillRun.objects.filter(period=str(period), status__in=ACTIVE_RUN_STATUSES).first()
        if active is not None:
            raise UnableToStartRun(
                _(
                    "Run %(run)s of %(period)s has not finished; resume it with "
                    "`vool billing run --period %(period)s --resume %(run)s`."
                )
                % {"run": active.pk, "period": period}
            )
        run = BillRun.objects.create(
            period=str(period),
            status=BillRun.Status.PENDING,
            issue_date=today,
            due_date=today + dt.timedelta(days=due_days),
            as_of=as_of,
            forced=forced,
            started_by=started_by.strip(),
            forced_by=forced_by.strip(),
            forced_reason=forced_reason.strip(),
            workers=workers,
            chunk_size=chunk_size,
            account_count=len(account_ids),
            created_at=now,
        )
        BillRunChunk.objects.bulk_create(
            [
                BillRunChunk(
                    run=run,
                    index=n,
                    account_ids=ids,
                    account_count=len(ids),
                    first_account_id=ids[0],
                    last_account_id=ids[-1],
                )
                for n, ids in enumerate(
                    account_ids[i : i + chunk_size] for i in range(0, len(account_ids), chunk_size)
                )
            ],
            batch_size=1000,
        )
    if forced:
        logger.warning(
            "Bill run %s of %s forced outside the billing window by %s: %s",
            run.pk,
            period,
            run.forced_by,
            run.forced_reason,
        )
    return run


def _refuse_if_billed(*, period: Month, account_ids: list[int]) -> None:
    """A forced run of a month whose every account already has its invoice would bill nobody:
    say so, and how to bill an account again."""
    billed = set(
        Invoice.objects.filter(period=str(period), kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .values_list("billing_account_id", flat=True)
    )
    if billed.issuperset(account_ids):
        raise UnableToStartRun(
            _(
                "%(period)s is already billed: every account with a contract in it has its "
                "invoice (%(count)s). To bill an account again, credit and rebill it: "
                "`vool billing rebill REFERENCE --period %(period)s --reason TEXT`."
            )
            % {"period": period, "count": len(account_ids)}
        )


def mark_running(*, run_id: int, now: dt.datetime) -> None:
    BillRun.objects.filter(pk=run_id, status=BillRun.Status.PENDING).update(
        status=BillRun.Status.RUNNING, started_at=now
    )


# -- drafts ------------------------------------------------------------------------------------


def _draft_rows(
    *,
    priced: pricing.PricedAccounts,
    period: Month,
    run_id: int | None,
    as_of: dt.datetime,
    created_at: dt.datetime,
    created_by: str = "",
    reason: str = "",
) -> tuple[list[Invoice], list[list[pricing.DraftLine]]]:
    invoices: list[Invoice] = []
    lines: list[list[pricing.DraftLine]] = []
    for account_id in sorted(priced.lines):
        draft_lines = priced.lines[account_id]
        totals = invoice_totals(d.line for d in draft_lines)
        invoices.append(
            Invoice(
                billing_account_id=account_id,
                period=str(period),
                run_id=run_id,
                kind=Invoice.Kind.INVOICE,
                status=Invoice.Status.DRAFT,
                net_amount=totals.net,
                vat_amount=totals.vat,
                gross_amount=totals.gross,
                amount_due=totals.gross,
                vat_summary=totals.vat_summary,
                created_by=created_by,
                reason=reason,
                as_of=as_of,
                created_at=created_at,
            )
        )
        lines.append(draft_lines)
    return invoices, lines


def _write_drafts(
    invoices: list[Invoice],
    lines: list[list[pricing.DraftLine]],
    priced: pricing.PricedAccounts,
) -> list[int]:
    Invoice.objects.bulk_create(invoices, batch_size=2000)
    corrections = priced.corrections
    copy_rows(
        InvoiceIntervalCorrection,
        ("invoice", "correction"),
        (
            (invoice.pk, correction_id)
            for invoice in invoices
            for correction_id in sorted(set(corrections.get(invoice.billing_account_id, ())))
        ),
    )
    copy_rows(
        InvoiceIntervalDays,
        ("invoice", "metering_point", "first_day", "versions"),
        (
            (invoice.pk, billed.metering_point_id, billed.first_day, list(billed.versions))
            for invoice in invoices
            for billed in priced.interval_days.get(invoice.billing_account_id, ())
        ),
    )
    copy_rows(
        InvoiceIntervalTerm,
        ("invoice", "metering_point", "day", "interval_day", "sign"),
        (
            (invoice.pk, term.metering_point_id, term.day, term.interval_day_id, term.sign)
            for invoice in invoices
            for term in priced.interval_terms.get(invoice.billing_account_id, ())
        ),
    )
    copy_rows(
        InvoiceLine,
        INVOICE_LINE_FIELDS,
        (
            (
                invoice.pk,
                position,
                d.metering_point_id,
                d.line.component,
                d.line.band,
                d.line.period_start,
                d.line.period_end,
                d.line.quantity,
                d.line.unit,
                d.line.unit_price,
                d.line.amount,
                d.line.vat_rate,
                d.ledger_account,
                d.is_estimated,
                d.is_true_up,
                d.basis,
            )
            for invoice, draft_lines in zip(invoices, lines, strict=True)
            for position, d in enumerate(draft_lines, start=1)
        ),
    )
    return [int(i.pk) for i in invoices]


def _chunk_report(
    lines: list[list[pricing.DraftLine]], invoices: list[Invoice], already_billed: int
) -> dict[str, Any]:
    by_component: dict[str, Decimal] = defaultdict(Decimal)
    kwh: dict[str, Decimal] = defaultdict(Decimal)
    by_rate: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for draft_lines in lines:
        for d in draft_lines:
            by_component[d.line.component] += d.line.amount
            if d.line.unit == "KWH":
                kwh[d.line.component] += d.line.quantity
    for invoice in invoices:
        for entry in invoice.vat_summary:
            by_rate[entry["rate"]][0] += Decimal(entry["base"])
            by_rate[entry["rate"]][1] += Decimal(entry["vat"])
    return {
        "by_component": {k: str(v) for k, v in sorted(by_component.items())},
        "kwh_by_component": {k: str(v) for k, v in sorted(kwh.items())},
        "by_vat_rate": {k: [str(v[0]), str(v[1])] for k, v in sorted(by_rate.items())},
        "already_billed": already_billed,
    }


def _claim_chunk(chunk_id: int, clock: Callable[[], dt.datetime]) -> BillRunChunk:
    """Mark the chunk RUNNING (one more attempt) unless it is DONE already."""
    with transaction.atomic():
        chunk = BillRunChunk.objects.select_for_update().select_related("run").get(pk=chunk_id)
        if chunk.state == BillRunChunk.State.DONE:
            return chunk
        chunk.state = BillRunChunk.State.RUNNING
        chunk.attempts += 1
        chunk.started_at = clock()
        chunk.save(update_fields=["state", "attempts", "started_at"])
    return chunk


def _billed_elsewhere(run: BillRun, account_ids: list[int]) -> set[int]:
    """Accounts of ``account_ids`` with an invoice of the run's period from elsewhere (another
    run, a rebill): this run skips them."""
    return set(
        Invoice.objects.filter(
            billing_account_id__in=account_ids, period=run.period, kind=Invoice.Kind.INVOICE
        )
        .exclude(status=Invoice.Status.CANCELLED)
        .exclude(run_id=run.pk, status=Invoice.Status.DRAFT)
        .values_list("billing_account_id", flat=True)
    )


def _delete_drafts(run_id: int, account_ids: list[int]) -> None:
    """The run's drafts (and exceptions) of the accounts, with what they hold."""
    drafts = Invoice.objects.filter(
        run_id=run_id, billing_account_id__in=account_ids, status=Invoice.Status.DRAFT
    )
    InvoiceLine.objects.filter(invoice__in=drafts).delete()
    InvoiceIntervalCorrection.objects.filter(invoice__in=drafts).delete()
    InvoiceIntervalDays.objects.filter(invoice__in=drafts).delete()
    InvoiceIntervalTerm.objects.filter(invoice__in=drafts).delete()
    drafts.delete()
    BillRunException.objects.filter(run_id=run_id, billing_account_id__in=account_ids).delete()


def _store_chunk(
    chunk: BillRunChunk,
    priced: pricing.PricedAccounts,
    *,
    charge_ids: dict[int, list[int]],
    skipped: int,
    now: dt.datetime,
    clock: Callable[[], dt.datetime],
) -> bool:
    """Replace the chunk's drafts and exceptions, claim the pending ``charge_ids`` the drafts
    bill, and mark the chunk DONE, in one transaction. False
    when another worker finished the same chunk meanwhile (a message delivered twice): the
    first to commit wins, the other writes nothing."""
    run = chunk.run
    period = Month.parse(run.period)
    invoices, lines = _draft_rows(
        priced=priced, period=period, run_id=run.pk, as_of=run.as_of, created_at=now
    )
    with transaction.atomic():
        state = (
            BillRunChunk.objects.select_for_update()
            .values_list("state", flat=True)
            .get(pk=chunk.pk)
        )
        if state == BillRunChunk.State.DONE:
            return False
        _delete_drafts(run.pk, [int(i) for i in chunk.account_ids])
        _write_drafts(invoices, lines, priced)
        charges.claim(charge_ids=charge_ids, invoices=invoices)
        copy_rows(
            BillRunException,
            ("run", "billing_account", "code", "reason", "created_at"),
            (
                (run.pk, account_id, code, reason, now)
                for account_id, (code, reason) in sorted(priced.exceptions.items())
            ),
        )
        BillRunChunk.objects.filter(pk=chunk.pk).update(
            state=BillRunChunk.State.DONE,
            invoice_count=len(invoices),
            exception_count=len(priced.exceptions),
            report=_chunk_report(lines, invoices, skipped),
            error="",
            finished_at=clock(),
        )
    return True


def run_chunk(
    *,
    chunk_id: int,
    clock: Callable[[], dt.datetime],
    window: ReadingWindow,
    limits: guard.GuardLimits,
) -> BillRunChunk:
    """Price the chunk's accounts as of the run's data cut-off (manual points once
    ``window`` has closed) and store their DRAFT invoices (or exceptions), holding back the
    bills the guard's ``limits`` find implausible; ``clock`` gives the audit times (started,
    finished, created).

    Idempotent: running a chunk again replaces its drafts and exceptions in one transaction;
    an account that already has an invoice of the period (another run, a rebill) is skipped.
    """
    chunk = _claim_chunk(chunk_id, clock)
    if chunk.state == BillRunChunk.State.DONE:
        return chunk
    run = chunk.run
    account_ids = [int(i) for i in chunk.account_ids]
    try:
        billed_elsewhere = _billed_elsewhere(run, account_ids)
        priced = pricing.price_accounts(
            billing_account_ids=[i for i in account_ids if i not in billed_elsewhere],
            period=Month.parse(run.period),
            as_of=run.as_of,
            window=window,
            limits=limits,
            cache_scope=run.token,
            run_id=run.pk,
        )
        # late-payment interest, dunning fees: their own lines (billing.charges)
        charge_ids = charges.add_open_charges(priced, run_id=run.pk)
        stored = _store_chunk(
            chunk,
            priced,
            charge_ids=charge_ids,
            skipped=len(billed_elsewhere),
            now=clock(),
            clock=clock,
        )
        if not stored:
            return BillRunChunk.objects.get(pk=chunk.pk)
    except Exception as exc:
        BillRunChunk.objects.filter(pk=chunk.pk).exclude(state=BillRunChunk.State.DONE).update(
            state=BillRunChunk.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    chunk.refresh_from_db()
    return chunk


# -- issuing -----------------------------------------------------------------------------------


def _number_drafts(
    *,
    where: str,
    params: Sequence[Any],
    issue_date: dt.date,
    due_date: dt.date,
    now: dt.datetime,
) -> tuple[int, int | None]:
    """Give the drafts matching ``where`` the next numbers, in account order, and issue them
    (one UPDATE). Must run inside the caller's transaction. Returns (count, first number)."""
    table = connection.ops.quote_name(Invoice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} WHERE status = 'DRAFT' AND {where}",  # noqa: S608
            list(params),
        )
        (count,) = cursor.fetchone()
        if not count:
            return 0, None
        numbers = customer_operations.allocate_numbers(
            name=INVOICE_COUNTER, count=count, start=FIRST_INVOICE_NUMBER
        )
        ops = connection.ops
        cursor.execute(
            f"""UPDATE {table} SET number = %s + s.rn - 1, status = 'ISSUED',
                    issue_date = %s, due_date = %s, issued_at = %s
                FROM (SELECT id AS iid, ROW_NUMBER() OVER (ORDER BY billing_account_id, id) AS rn
                      FROM {table} WHERE status = 'DRAFT' AND {where}) AS s
                WHERE {table}.id = s.iid""",  # noqa: S608
            [
                numbers.start,
                ops.adapt_datefield_value(issue_date),
                ops.adapt_datefield_value(due_date),
                ops.adapt_datetimefield_value(now),
                *params,
            ],
        )
    return count, numbers.start


def _apply_credit_and_post(*, invoices: Q, now: dt.datetime) -> None:
    """For the issued invoices (and credit notes) matching ``invoices``: settle the interval
    corrections they true up, apply earlier credit balances to the amount due, and post them
    to the ledger; all set-based, whatever their number."""
    issued = Invoice.objects.filter(invoices, status=Invoice.Status.ISSUED)
    interval_operations.settle_corrections(
        correction_ids=InvoiceIntervalCorrection.objects.filter(invoice__in=issued).values(
            "correction_id"
        ),
        now=now,
    )
    bills = issued.filter(kind=Invoice.Kind.INVOICE)
    credits = ledger_queries.credit_balances(billing_account_ids=bills.values("billing_account_id"))
    if credits:
        changed = []
        for invoice_id, account_id, gross in bills.filter(
            billing_account_id__in=list(credits)
        ).values_list("id", "billing_account_id", "gross_amount"):
            credit = credit_applied(gross=gross, balance_before=credits[account_id])
            if credit:
                changed.append(
                    Invoice(pk=invoice_id, credit_applied_amount=credit, amount_due=gross - credit)
                )
        Invoice.objects.bulk_update(
            changed, ["credit_applied_amount", "amount_due"], batch_size=1000
        )
    ids_sql, ids_params = issued.values("id").query.sql_with_params()
    invoice = connection.ops.quote_name(Invoice._meta.db_table)
    line = connection.ops.quote_name(InvoiceLine._meta.db_table)
    documents_sql = f"""
        SELECT i.billing_account_id AS billing_account_id, i.kind AS kind,
               i.id AS document_id, CAST(i.number AS VARCHAR(20)) AS reference,
               i.issue_date AS posted_date
        FROM {invoice} AS i WHERE i.id IN ({ids_sql})"""  # noqa: S608
    # the ledger accounts are constants of the code, not input
    postings_sql = f"""
        SELECT i.id AS document_id, i.billing_account_id AS billing_account_id,
               '{LedgerAccount.RECEIVABLE.value}' AS account, i.gross_amount AS amount
        FROM {invoice} AS i WHERE i.id IN ({ids_sql})
        UNION ALL
        SELECT i.id, i.billing_account_id, '{LedgerAccount.VAT_PAYABLE.value}', -i.vat_amount
        FROM {invoice} AS i WHERE i.id IN ({ids_sql})
        UNION ALL
        SELECT l.invoice_id, i.billing_account_id, l.ledger_account, -SUM(l.amount)
        FROM {line} AS l JOIN {invoice} AS i ON i.id = l.invoice_id
        WHERE i.id IN ({ids_sql})
        GROUP BY l.invoice_id, i.billing_account_id, l.ledger_account"""  # noqa: S608
    ledger_operations.post_documents(
        document_type=INVOICE_DOCUMENT,
        documents_sql=documents_sql,
        documents_params=ids_params,
        postings_sql=postings_sql,
        postings_params=[*ids_params, *ids_params, *ids_params],
        created_at=now,
    )


def issue_run(*, run_id: int, now: dt.datetime) -> BillRun:
    """The final step: number and issue every draft of the run in one transaction, post them
    to the ledger, and write the run's report. Safe to repeat; a crash leaves no trace.
    The documents carry the run's issue date; ``now`` is when they were issued."""
    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=run_id)
        if run.status == BillRun.Status.DONE:
            return run
        pending = run.chunks.exclude(state=BillRunChunk.State.DONE).count()
        if pending:
            raise UnableToIssue(
                f"{pending} chunk(s) of run {run.pk} are not done; resume the run to finish them."
            )
        refresh_statistics(Invoice, InvoiceLine)  # the chunks wrote them just now
        count, first = _number_drafts(
            where="run_id = %s",
            params=[run.pk],
            issue_date=run.issue_date,
            due_date=run.due_date,
            now=now,
        )
        if count:
            _apply_credit_and_post(invoices=Q(run_id=run.pk), now=now)
            # numbering changed every draft: without this the planner keeps "no invoice has a
            # number" until the next ANALYZE, and the 360° page's invoice list took ~1 s a
            # customer at 500,000 (a scan of the numbered-invoices index; issue 14 benchmark)
            refresh_statistics(Invoice)
        report = _run_report(run)
        totals = Invoice.objects.filter(run_id=run.pk, status=Invoice.Status.ISSUED).aggregate(
            net=Sum("net_amount"), vat=Sum("vat_amount"), gross=Sum("gross_amount")
        )
        run.status = BillRun.Status.DONE
        run.invoice_count = Invoice.objects.filter(run_id=run.pk).count()
        run.exception_count = run.exceptions.count()
        run.net_amount = _cents(totals["net"])
        run.vat_amount = _cents(totals["vat"])
        run.gross_amount = _cents(totals["gross"])
        if first is not None:
            run.first_number = first
            run.last_number = first + count - 1
        run.report = {**report, **_kept_report(run.report)}
        run.finished_at = now
        run.save()
    return run


def _run_report(run: BillRun) -> dict[str, Any]:
    by_component: dict[str, Decimal] = defaultdict(Decimal)
    kwh: dict[str, Decimal] = defaultdict(Decimal)
    by_rate: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for report in run.chunks.values_list("report", flat=True):
        for k, v in (report or {}).get("by_component", {}).items():
            by_component[k] += Decimal(v)
        for k, v in (report or {}).get("kwh_by_component", {}).items():
            kwh[k] += Decimal(v)
        for k, (base, vat) in (report or {}).get("by_vat_rate", {}).items():
            by_rate[k][0] += Decimal(base)
            by_rate[k][1] += Decimal(vat)
    already_billed = sum(
        int((r or {}).get("already_billed", 0)) for r in run.chunks.values_list("report", flat=True)
    )
    exceptions: dict[str, int] = defaultdict(int)
    for code in run.exceptions.values_list("code", flat=True):
        exceptions[code] += 1
    return {
        "by_component": {k: str(v) for k, v in sorted(by_component.items())},
        "kwh_by_component": {k: str(v) for k, v in sorted(kwh.items())},
        "by_vat_rate": {
            k: {"base": str(v[0]), "vat": str(v[1])} for k, v in sorted(by_rate.items())
        },
        "exceptions_by_code": dict(sorted(exceptions.items())),
        "already_billed": already_billed,
    }


def issue_run_if_complete(
    *, run_id: int, now: dt.datetime, seconds: float | None = None
) -> BillRun:
    """Issue run ``run_id`` when every chunk is done (:func:`issue_run`) and add the time it
    took to its report: ``seconds`` (this attempt's wall-clock time), or by default the time
    since the run started. A run already issued, abandoned, or with chunks still to do is
    returned unchanged, so the callers that race to finish it (the last chunk tasks, a
    waiting command line) issue it exactly once: the run row is locked for the decision."""
    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=run_id)
        if run.status not in ACTIVE_RUN_STATUSES:
            return run
        if run.chunks.exclude(state=BillRunChunk.State.DONE).exists():
            return run
        run = issue_run(run_id=run_id, now=now)
        if seconds is None:
            seconds = (now - (run.started_at or run.created_at)).total_seconds()
        return add_duration(run_id=run_id, seconds=seconds)


def add_duration(*, run_id: int, seconds: float) -> BillRun:
    """Add the wall-clock seconds a (resumed) attempt took to the run's report."""
    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=run_id)
        total = float(run.report.get("duration_seconds", 0)) + seconds
        run.report = {**run.report, "duration_seconds": round(total, 3)}
        run.save(update_fields=["report"])
    return run


def abandon_run(*, run_id: int, reason: str) -> BillRun:
    """Give up an unfinished run: its drafts are cancelled (never numbered), so a new run of
    the period can start."""
    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=run_id)
        if run.status not in ACTIVE_RUN_STATUSES:
            raise UnableToStartRun(
                _("Run %(run)s is %(status)s; only an unfinished run can be abandoned.")
                % {"run": run.pk, "status": run.get_status_display()}
            )
        Invoice.objects.filter(run_id=run.pk, status=Invoice.Status.DRAFT).update(
            status=Invoice.Status.CANCELLED, reason=reason
        )
        run.status = BillRun.Status.ABANDONED
        run.report = {**run.report, "abandoned": reason}
        run.save(update_fields=["status", "report"])
    return run


# -- corrections -------------------------------------------------------------------------------


def _negated_summary(summary: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {"rate": e["rate"], "base": str(-Decimal(e["base"])), "vat": str(-Decimal(e["vat"]))}
        for e in summary
    ]


def credit_invoice(
    *, number: int, reason: str, today: dt.date, now: dt.datetime, created_by: str = ""
) -> Invoice:
    """Cancel an issued invoice with a credit note: the same lines negated, its own number
    from the same series, posted to the ledger as the reverse of the invoice. The note is
    dated ``today`` and issued at ``now``. What the invoice billed of interval data is no
    longer live: the next bill of those days trues them up from what remains."""
    if not reason.strip():
        raise UnableToCreditInvoice(_("Say why the invoice is credited."))
    with transaction.atomic():
        original = Invoice.objects.select_for_update().filter(number=number).first()
        if original is None:
            raise UnableToCreditInvoice(
                _("There is no invoice number %(number)s.") % {"number": number}
            )
        if original.kind != Invoice.Kind.INVOICE:
            raise UnableToCreditInvoice(
                _("%(number)s is a credit note; only invoices are credited.") % {"number": number}
            )
        if original.status != Invoice.Status.ISSUED:
            raise UnableToCreditInvoice(
                _("Invoice %(number)s is %(status)s, not %(issued)s.")
                % {
                    "number": number,
                    "status": Invoice.Status(original.status).label,
                    "issued": Invoice.Status.ISSUED.label,
                }
            )
        note = Invoice.objects.create(
            billing_account_id=original.billing_account_id,
            period=original.period,
            kind=Invoice.Kind.CREDIT_NOTE,
            status=Invoice.Status.DRAFT,
            net_amount=-original.net_amount,
            vat_amount=-original.vat_amount,
            gross_amount=-original.gross_amount,
            amount_due=-original.gross_amount,
            vat_summary=_negated_summary(original.vat_summary),
            credited_invoice=original,
            reason=reason.strip(),
            created_by=created_by,
            created_at=now,
        )
        copy_rows(
            InvoiceLine,
            INVOICE_LINE_FIELDS,
            (
                (
                    note.pk,
                    line.position,
                    line.metering_point_id,
                    line.component,
                    line.band,
                    line.period_start,
                    line.period_end,
                    -line.quantity,
                    line.unit,
                    line.unit_price,
                    -line.amount,
                    line.vat_rate,
                    line.ledger_account,
                    line.is_estimated,
                    line.is_true_up,
                    line.basis,
                )
                for line in original.lines.order_by("position")
            ),
        )
        Invoice.objects.filter(pk=original.pk).update(status=Invoice.Status.CANCELLED)
        # what the cancelled invoice trued up is open again for the next bill
        interval_operations.reopen_corrections(
            correction_ids=InvoiceIntervalCorrection.objects.filter(invoice=original).values(
                "correction_id"
            )
        )
        _number_drafts(where="id = %s", params=[note.pk], issue_date=today, due_date=today, now=now)
        _apply_credit_and_post(invoices=Q(pk=note.pk), now=now)
        note.refresh_from_db()
    return note


def _rebillable_invoice(billing_account_id: int, period: Month) -> Invoice | None:
    """The account's live invoice of ``period`` (locked), if any; refuses while a bill run is
    drafting the account (its draft may true up days this rebill bills: one of the two would
    bill them twice)."""
    current = (
        Invoice.objects.select_for_update()
        .filter(billing_account_id=billing_account_id, period=str(period), kind="INVOICE")
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )
    if current is not None and current.status == Invoice.Status.DRAFT:
        raise UnableToRebill(
            _("A bill run (run %(run)s) is billing this account for %(period)s; finish it first.")
            % {"run": current.run_id, "period": period}
        )
    drafting = (
        Invoice.objects.filter(billing_account_id=billing_account_id, status="DRAFT")
        .values("run_id", "period")
        .first()
    )
    if drafting is not None:
        # its draft may true up days this rebill bills: one of the two would bill them twice
        raise UnableToRebill(
            _("A bill run (run %(run)s) is billing this account for %(period)s; finish it first.")
            % {"run": drafting["run_id"], "period": drafting["period"]}
        )
    return current


def _unbillable(period: Month, code: str, detail: str) -> UnableToRebill:
    """The refusal of a rebill that pricing put to the exceptions: the rule in the reader's
    words (``unbillable.describe``), then what it found, as the run's exception records it."""
    return UnableToRebill(
        _("The account cannot be billed for %(period)s: %(rule)s (%(detail)s).")
        % {"period": period, "rule": unbillable.describe(code), "detail": detail.rstrip(". ")}
    )


def rebill_account(
    *,
    billing_account_id: int,
    period: Month,
    today: dt.date,
    as_of: dt.datetime,
    now: dt.datetime,
    due_days: int = 14,
    reason: str = "Rebill",
    created_by: str = "",
    window: ReadingWindow,
    limits: guard.GuardLimits,
) -> Invoice:
    """Bill one account's period again: credit its issued invoice (if any), price the period
    on the data known at ``as_of`` and issue a new invoice dated ``today`` (issued at
    ``now``), all in one transaction."""
    with transaction.atomic():
        current = _rebillable_invoice(billing_account_id, period)
        if current is not None:
            assert current.number is not None
            credit_invoice(
                number=current.number,
                reason=reason,
                today=today,
                now=now,
                created_by=created_by,
            )
        priced = pricing.price_accounts(
            billing_account_ids=[billing_account_id],
            period=period,
            as_of=as_of,
            window=window,
            limits=limits,
        )
        if billing_account_id in priced.exceptions:
            raise _unbillable(period, *priced.exceptions[billing_account_id])
        invoices, lines = _draft_rows(
            priced=priced,
            period=period,
            run_id=None,
            as_of=as_of,
            created_at=now,
            created_by=created_by,
            reason=reason,
        )
        (invoice_id,) = _write_drafts(invoices, lines, priced)
        _number_drafts(
            where="id = %s",
            params=[invoice_id],
            issue_date=today,
            due_date=today + dt.timedelta(days=due_days),
            now=now,
        )
        _apply_credit_and_post(invoices=Q(pk=invoice_id), now=now)
        invoice = Invoice.objects.get(pk=invoice_id)
    return invoice


__all__ = [
    "OutsideBillingWindow",
    "UnableToCreditInvoice",
    "UnableToIssue",
    "UnableToRebill",
    "UnableToStartRun",
    "abandon_run",
    "add_duration",
    "check_billing_window",
    "create_run",
    "credit_invoice",
    "issue_run",
    "mark_running",
    "rebill_account",
    "run_chunk",
]


# -- the estimation step's record (issue 8) ----------------------------------------------------

ESTIMATION_REPORT = "estimation"


def _kept_report(report: dict[str, Any] | None) -> dict[str, Any]:
    """The parts of a run's report written before its chunks, kept when it is issued."""
    return {k: v for k, v in (report or {}).items() if k == ESTIMATION_REPORT}


def record_estimation(*, run_id: int, summary: dict[str, Any]) -> None:
    """Keep what the run's estimation step did (registers estimated, by method, and every
    register that failed, with the reason) on the run's report."""
    with transaction.atomic():
        run = BillRun.objects.select_for_update().get(pk=run_id)
        run.report = {**(run.report or {}), ESTIMATION_REPORT: summary}
        run.save(update_fields=["report"])
