"""``vool billing run|rebill|credit|report``: the monthly bill run and its corrections."""

from __future__ import annotations

import datetime as dt
import time
from argparse import SUPPRESS, ArgumentParser
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.common.localtime import Month
from vool.common.money import format_money
from vool.domain.billing import operations, queries
from vool.domain.billing.models import BillRun
from vool.interfaces.cli.progress import ProgressBars
from vool.usecases import bill_run

EXCEPTIONS_SHOWN = 10


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


class Command(BaseCommand):
    help = "Bill a month (run), rebill an account, credit an invoice, or print a run's report."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="bill every account with a contract in the period")
        run.add_argument("--period", required=True, help="YYYY-MM")
        run.add_argument("--workers", type=int, default=1, help="local processes (default 1)")
        run.add_argument("--resume", type=int, default=None, metavar="RUN_ID")
        run.add_argument("--force", action="store_true", help="outside days 1-9 (privileged)")
        run.add_argument("--reason", default="", help="why the run is forced")
        run.add_argument("--user", default="", help="who forces the run")
        run.add_argument("--chunk-size", type=int, default=operations.DEFAULT_CHUNK_SIZE)
        run.add_argument("--today", type=dt.date.fromisoformat, default=None, help="issue date")
        run.add_argument("--pause", type=float, default=0.0, help=SUPPRESS)
        run.add_argument("--no-progress", action="store_true")

        rebill = sub.add_parser("rebill", help="credit an account's invoice and bill it again")
        rebill.add_argument("account", help="reference number (or id) of the billing account")
        rebill.add_argument("--period", required=True)
        rebill.add_argument("--reason", default="Rebill")
        rebill.add_argument("--user", default="")

        credit = sub.add_parser("credit", help="cancel an issued invoice with a credit note")
        credit.add_argument("number", type=int, help="invoice number")
        credit.add_argument("--reason", required=True)
        credit.add_argument("--user", default="")

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
                invoice = bill_run.rebill_account(
                    reference_or_id=options["account"],
                    period=_month(options["period"]),
                    today=timezone.localdate(),
                    as_of=timezone.now(),
                    reason=options["reason"],
                    user=options["user"],
                )
                self.stdout.write(
                    f"Invoice {invoice.number} issued: {format_money(invoice.gross_amount)}, "
                    f"due {format_money(invoice.amount_due)}."
                )
            elif action == "credit":
                note = bill_run.credit_invoice(
                    number=options["number"],
                    reason=options["reason"],
                    today=timezone.localdate(),
                    as_of=timezone.now(),
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
        except BillRun.DoesNotExist as exc:
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
        forced_by = forced_reason = ""
        if options["force"]:
            if not options["user"].strip() or not options["reason"].strip():
                raise CommandError("--force needs --user NAME and --reason TEXT.")
            forced_by = bill_run.user_who_may_force(username=options["user"]).get_username()
            forced_reason = options["reason"]
        bars = ProgressBars(enabled=not options["no_progress"])
        started = time.perf_counter()
        try:
            run = bill_run.run_billing(
                period=period,
                today=options["today"] or timezone.localdate(),
                as_of=timezone.now() if options["today"] is None else None,
                workers=options["workers"],
                resume_run_id=options["resume"],
                forced_by=forced_by,
                forced_reason=forced_reason,
                chunk_size=options["chunk_size"],
                on_progress=bars.update,
                pause_seconds=options["pause"],
            )
        finally:
            bars.close()
        self._print_report(run, seconds=time.perf_counter() - started)

    def _print_report(self, run: BillRun, seconds: float | None = None) -> None:
        w = self.stdout.write
        w(f"Bill run {run.pk} of {run.period}: {run.status}")
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
        for code, count in report.get("exceptions_by_code", {}).items():
            w(f"    exceptions {code}: {count}")
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
