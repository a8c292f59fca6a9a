"""``vool demo seed`` and ``vool demo up``: a realistic demo supplier in one command."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.common.localtime import Month
from vool.interfaces.cli import arguments
from vool.interfaces.cli.progress import ProgressBars
from vool.usecases.demo import billing, marker, seed, users
from vool.usecases.demo import documents as demo_documents


class Command(BaseCommand):
    help = "Seed a deterministic demo supplier (seed), or set up everything for a demo (up)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("seed", "seed customers, contracts and consumption history into an empty database"),
            (
                "up",
                "migrate, seed if the database is empty, bill the seeded months, "
                "create demo log-ins and print them",
            ),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("--customers", type=int, default=2000)
            p.add_argument("--seed", type=int, default=42)
            p.add_argument(
                "--as-of",
                type=arguments.day,
                default=None,
                help="history ends the day before this date (default: today)",
            )
            p.add_argument("--history-months", type=int, default=13)
            p.add_argument(
                "--interval-days",
                type=int,
                default=None,
                help="only the latest N days of interval data (for benchmarks)",
            )
            p.add_argument("--no-progress", action="store_true")
            p.add_argument(
                "--no-billing",
                action="store_true",
                help="(up) do not bill the seeded months",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or timezone.localdate()
        if options["action"] == "up":
            self._up(as_of=as_of, options=options)
        else:
            self._seed(as_of=as_of, options=options)

    def _bill(self, *, first_month: Month, as_of: dt.date, options: dict[str, Any]) -> None:
        bars = ProgressBars(enabled=not options["no_progress"])
        started = time.perf_counter()
        try:
            result = billing.bill_history(
                first_month=first_month,
                as_of=as_of,
                seed=options["seed"],
                on_progress=bars.update,
                statements_dir=settings.VAR_DIR / "bank",
            )
        finally:
            bars.close()
        self.stdout.write(
            f"Billed {result.runs} months: {result.invoices} invoices "
            f"({result.exceptions} accounts to the runs' exception lists), "
            f"{result.payments} payments of {result.paid_amount} EUR imported from "
            f"{len(result.statements)} bank statements ({result.suspense} in suspense: "
            f"`vool bank suspense`), in {time.perf_counter() - started:.1f} s."
        )

    def _render(self, *, as_of: dt.date, options: dict[str, Any]) -> None:
        bars = ProgressBars(enabled=not options["no_progress"])
        try:
            report = demo_documents.render_latest_month(as_of=as_of, on_progress=bars.update)
        finally:
            bars.close()
        if report is not None:
            self.stdout.write(
                f"Rendered {report.rendered} invoice PDFs of {report.period} "
                f"({len(report.failures)} could not be rendered)."
            )

    def _seed(self, *, as_of: dt.date, options: dict[str, Any]) -> None:
        bars = ProgressBars(enabled=not options["no_progress"])
        started = time.perf_counter()
        try:
            result = seed.seed_demo(
                customers=options["customers"],
                seed=options["seed"],
                as_of=as_of,
                history_months=options["history_months"],
                interval_history_days=options["interval_days"],
                on_progress=bars.update,
            )
        except seed.UnableToSeed as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bars.close()
        seconds = time.perf_counter() - started
        self.history_start = result.history[0] if result.history else None
        self.stdout.write(
            f"Seeded {result.customers} customers, {result.billing_accounts} billing accounts, "
            f"{result.metering_points} metering points, {result.meters} meters, "
            f"{result.contracts} contracts, {result.readings} readings, "
            f"{result.interval_days} days of interval data in {seconds:.1f} s."
        )

    def _up(self, *, as_of: dt.date, options: dict[str, Any]) -> None:
        if settings.PRODUCTION:
            raise CommandError("`vool demo up` is for development; VOOL_ENV is production.")
        try:
            marker.check_demo_may_use_database()  # before migrating or changing anything
        except marker.NotADemoDatabase as exc:
            raise CommandError(str(exc)) from exc
        call_command("migrate", interactive=False, verbosity=0)
        if not marker.has_customers():
            self._seed(as_of=as_of, options=options)
            if self.history_start is not None and not options["no_billing"]:
                self._bill(first_month=Month.of(self.history_start), as_of=as_of, options=options)
                self._render(as_of=as_of, options=options)
        else:
            self.stdout.write("The demo already seeded this database; not seeding again.")
        self.stdout.write("\nDemo log-ins (development only):")
        for login in users.ensure_demo_users():
            self.stdout.write(
                f"  {login.role:<26} user {login.username:<8} password {login.password:<6}"
                f" ({login.who})"
            )
        self.stdout.write(
            "\nStart page: http://127.0.0.1:8000/   Portal: /portal/   "
            "Back office: /backoffice/   Admin: /admin/"
        )
