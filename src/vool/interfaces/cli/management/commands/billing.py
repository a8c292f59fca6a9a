"""``vool billing run|rebill|credit|report``: the monthly bill run and its corrections.

Time: ``--today`` is the issue date (default: the real date here), ``--as-of`` the data
cut-off (default: now, or midnight starting ``--today`` when that is given). In production
settings (``VOOL_ENV=production``) an issue date other than the real today is a forced action:
it needs ``--force --user NAME --reason TEXT`` and is recorded as forced. Outside production
(development, tests, the demo) any issue date is allowed.
"""

from __future__ import annotations

import datetime as dt
import time
from argparse import SUPPRESS, ArgumentParser, ArgumentTypeError
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.common.localtime import Month
from vool.common.money import format_money
from vool.domain.billing import operations, queries
from vool.interfaces.cli.progress import ProgressBars
from vool.usecases import bill_run

if TYPE_CHECKING:  # types only: the command reads runs through billing.queries
    from vool.domain.billing.models import BillRun

EXCEPTIONS_SHOWN = 10


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ArgumentTypeError(f"{text!r} is not a date and time (ISO 8601)") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.get_current_timezone())
    return value


def _add_time_options(parser: ArgumentParser, *, issue: str) -> None:
    parser.add_argument(
        "--today", type=_date, default=None, help=f"{issue} (default: today; see --force)"
    )
    parser.add_argument(
        "--as-of",
        type=_instant,
        default=None,
        help="data cut-off (ISO 8601; default: now, or midnight starting --today)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="privileged: outside days 1-9, or (in production) an issue date other than today",
    )
    parser.add_argument("--reason", default="", help="why (needed with --force)")
    parser.add_argument("--user", default="", help="who (needed with --force)")


@dataclass(frozen=True)
class _When:
    today: dt.date
    as_of: dt.datetime | None
    forced_by: str
    forced_reason: str


def _when(options: dict[str, Any]) -> _When:
    """The issue date, data cut-off and who forces what, from the options (see module doc)."""
    real_today = timezone.localdate()
    today = options["today"] or real_today
    as_of = options["as_of"]
    if as_of is None and options["today"] is None:
        as_of = timezone.now()
    forced_by = forced_reason = ""
    if options["force"]:
        if not options["user"].strip() or not options["reason"].strip():
            raise CommandError("--force needs --user NAME and --reason TEXT.")
        try:
            user = bill_run.user_who_may_force(username=options["user"])
        except bill_run.NotAllowedToForce as exc:
            raise CommandError(str(exc)) from exc
        forced_by, forced_reason = user.get_username(), options["reason"].strip()
    if today != real_today and getattr(settings, "PRODUCTION", False):
        if not forced_by:
            raise CommandError(
                f"The issue date {today.isoformat()} is not today ({real_today.isoformat()}); "
                "in production that is a forced action: add --force --user NAME --reason TEXT."
            )
        forced_reason = (
            f"issue date {today.isoformat()} set on {real_today.isoformat()}: {forced_reason}"
        )
    return _When(today, as_of, forced_by, forced_reason)


class Command(BaseCommand):
    help = "Bill a month (run), rebill an account, credit an invoice, or print a run's report."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="bill every account with a contract in the period")
        run.add_argument("--period", required=True, help="YYYY-MM")
        run.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
        run.add_argument("--resume", type=int, default=None, metavar="RUN_ID")
        run.add_argument("--chunk-size", type=int, default=operations.DEFAULT_CHUNK_SIZE)
        _add_time_options(run, issue="issue date of the invoices")
        run.add_argument("--pause", type=float, default=0.0, help=SUPPRESS)
        run.add_argument("--no-progress", action="store_true")

        rebill = sub.add_parser("rebill", help="credit an account's invoice and bill it again")
        rebill.add_argument("account", help="reference number (or id) of the billing account")
        rebill.add_argument("--period", required=True)
        _add_time_options(rebill, issue="issue date of the credit note and the new invoice")

        credit = sub.add_parser("credit", help="cancel an issued invoice with a credit note")
        credit.add_argument("number", type=int, help="invoice number")
        _add_time_options(credit, issue="issue date of the credit note")

        report = sub.add_parser("report", help="print a run's report")
        report.add_argument("run_id", type=int)

        abandon = sub.add_parser("abandon", help="give up an unfinished run (drafts cancelled)")
        abandon.add_argument("run_id", type=int)
        abandon.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "run":
                self._run(options)
            elif action == "rebill":
                when = _when(options)
                invoice = bill_run.rebill_account(
                    reference_or_id=options["account"],
                    period=_month(options["period"]),
                    today=when.today,
                    as_of=when.as_of,
                    reason=when.forced_reason or options["reason"] or "Rebill",
                    user=options["user"],
                )
                self.stdout.write(
                    f"Invoice {invoice.number} issued: {format_money(invoice.gross_amount)}, "
                    f"due {format_money(invoice.amount_due)}."
                )
            elif action == "credit":
                if not options["reason"].strip():
                    raise CommandError("Say why the invoice is credited: --reason TEXT.")
                when = _when(options)
                note = bill_run.credit_invoice(
                    number=options["number"],
                    reason=when.forced_reason or options["reason"],
                    today=when.today,
                    user=options["user"],
                )
                self.stdout.write(
                    f"Credit note {note.number} issued for invoice {options['number']}: "
                    f"{format_money(note.gross_amount)}."
                )
            elif action == "abandon":
                run = operations.abandon_run(run_id=options["run_id"], reason=options["reason"])
                self.stdout.write(f"Run {run.pk} of {run.period} abandoned; start a new run.")
            else:
                self._print_report(queries.get_run(run_id=options["run_id"]))
        except ObjectDoesNotExist as exc:  # no such run
            raise CommandError("No such bill run.") from exc
        except (
            operations.OutsideBillingWindow,
            operations.UnableToStartRun,
            operations.UnableToIssue,
            operations.UnableToCreditInvoice,
            operations.UnableToRebill,
            bill_run.UnableToFinishRun,
        ) as exc:
            raise CommandError(str(exc)) from exc

    def _run(self, options: dict[str, Any]) -> None:
        period = _month(options["period"])
        if options["resume"] is not None:
            # a resume finishes the run as it was started: its issue date and data cut-off
            when = _When(options["today"] or timezone.localdate(), None, "", "")
        else:
            when = _when(options)
        bars = ProgressBars(enabled=not options["no_progress"])
        started = time.perf_counter()
        try:
            run = bill_run.run_billing(
                period=period,
                today=when.today,
                as_of=when.as_of,
                workers=options["workers"],
                resume_run_id=options["resume"],
                forced_by=when.forced_by,
                forced_reason=when.forced_reason,
                chunk_size=options["chunk_size"],
                on_progress=bars.update,
                pause_seconds=options["pause"],
            )
        finally:
            bars.close()
        self._print_report(run, seconds=time.perf_counter() - started)

    def _print_estimation(self, run: BillRun) -> None:
        w = self.stdout.write
        estimation = queries.estimation_report(run=run)
        if estimation is None:
            return
        methods = ", ".join(f"{m} {n}" for m, n in estimation.by_method.items())
        w(
            f"  readings estimated: {estimation.estimated} of {estimation.registers} registers"
            + (f" ({methods})" if methods else "")
        )
        if estimation.error:
            w(f"  the estimation step failed: {estimation.error}")
        if estimation.failures:
            w(f"  {len(estimation.failures)} register(s) could not be estimated:")
        for failure in estimation.failures:
            w(f"    {failure.metering_point} {failure.register}: {failure.reason}")

    def _print_report(self, run: BillRun, seconds: float | None = None) -> None:
        w = self.stdout.write
        w(f"Bill run {run.pk} of {run.period}: {run.status}")
        cut_off = timezone.localtime(run.as_of).strftime("%Y-%m-%d %H:%M")
        w(f"  issue date {run.issue_date.isoformat()}, data as of {cut_off} (local time)")
        if run.forced:
            w(f"  forced by {run.forced_by}: {run.forced_reason}")
        w(
            f"  accounts {run.account_count}, invoices {run.invoice_count}, exceptions "
            f"{run.exception_count}"
        )
        if run.first_number is not None:
            w(f"  invoice numbers {run.first_number}-{run.last_number}")
        w(
            f"  net {format_money(run.net_amount)}, VAT {format_money(run.vat_amount)}, "
            f"total {format_money(run.gross_amount)}"
        )
        report = run.report or {}
        for component, amount in report.get("by_component", {}).items():
            kwh = report.get("kwh_by_component", {}).get(component)
            shown = f" ({kwh} kWh)" if kwh else ""
            w(f"    {component:<14} {format_money(Decimal(amount))}{shown}")
        for rate, values in report.get("by_vat_rate", {}).items():
            w(
                f"    VAT {rate}: base {format_money(Decimal(values['base']))}, "
                f"VAT {format_money(Decimal(values['vat']))}"
            )
        for exceptions in queries.exceptions_by_code(run=run):
            w(f"    exceptions {exceptions.code} ({exceptions.description}): {exceptions.count}")
        self._print_estimation(run)
        if report.get("already_billed"):
            w(
                f"  {report['already_billed']} account(s) already had their {run.period} invoice "
                "and were not billed again; to bill one again: "
                f"`vool billing rebill REFERENCE --period {run.period} --reason TEXT`"
            )
        listed = queries.run_exceptions(run_id=run.pk, limit=EXCEPTIONS_SHOWN)
        for exception in listed:
            w(f"    {exception.billing_account.reference_number}: {exception.reason}")
        if run.exception_count > len(listed):
            w(f"    ... and {run.exception_count - len(listed)} more (see the back office)")
        if "duration_seconds" in report:
            w(f"  duration {report['duration_seconds']:.1f} s")
        if seconds is not None:
            rate = run.account_count / seconds if seconds else 0
            w(f"  took {seconds:.1f} s ({rate:,.0f} accounts/s)")
