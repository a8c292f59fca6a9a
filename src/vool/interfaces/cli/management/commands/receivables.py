"""``vool receivables statement --account REF --from D --to D`` (an account's statement:
opening balance, invoices, credit notes, payments, interest, closing balance), ``payments
--from D --to D [--status SUSPENSE]`` (payments and what became of them; the suspense list)
and ``gl-export --from D --to D [--out FILE]`` (the general-ledger CSV, one row per month,
GL account and VAT rate; it balances to zero). All read from the ledger."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vool.domain.customers import queries as customer_queries
from vool.domain.receivables import queries as receivables_queries
from vool.domain.receivables import reports


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Receivables reports: account statement, payments and suspense, GL export."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("statement", help="an account's statement for a period")
        p.add_argument("--account", required=True, help="reference number")
        p.add_argument("--from", dest="date_from", type=_date, required=True)
        p.add_argument("--to", dest="date_to", type=_date, required=True)
        p = sub.add_parser("payments", help="payments booked in a period")
        p.add_argument("--from", dest="date_from", type=_date, required=True)
        p.add_argument("--to", dest="date_to", type=_date, required=True)
        p.add_argument("--status", choices=receivables_queries.PAYMENT_STATUSES, default=None)
        p = sub.add_parser("gl-export", help="general-ledger CSV by month and GL account")
        p.add_argument("--from", dest="date_from", type=_date, required=True)
        p.add_argument("--to", dest="date_to", type=_date, required=True)
        p.add_argument("--out", type=Path, default=None, help="file (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["date_to"] < options["date_from"]:
            raise CommandError("--to is before --from.")
        action = options["action"]
        if action == "statement":
            self._statement(options)
        elif action == "payments":
            self._payments(options)
        else:
            self._gl(options)

    def _statement(self, options: dict[str, Any]) -> None:
        account = customer_queries.find_billing_account(reference_number=options["account"])
        if account is None:
            raise CommandError(f"No billing account with reference {options['account']}.")
        s = reports.account_statement(
            billing_account_id=account.pk,
            date_from=options["date_from"],
            date_to=options["date_to"],
        )
        out = self.stdout
        out.write(f"Account {account.reference_number}, {s.date_from} .. {s.date_to}")
        out.write(f"{s.date_from}  opening balance{s.opening:>32}")
        for line in s.lines:
            note = f"  (interest {line.interest})" if line.interest else ""
            out.write(
                f"{line.posted_date}  {line.kind:<12} {line.reference:<16}{line.amount:>18}{note}"
            )
        out.write(f"{s.date_to}  closing balance{s.closing:>32}")
        out.write(
            f"invoices {s.total('INVOICE')}, credit notes {s.total('CREDIT_NOTE')}, "
            f"payments {s.total('PAYMENT')}, refunds {s.total('REFUND')}, "
            f"of which interest {s.interest}"
        )

    def _payments(self, options: dict[str, Any]) -> None:
        rows = reports.payments(
            date_from=options["date_from"], date_to=options["date_to"], status=options["status"]
        )
        for r in rows:
            self.stdout.write(
                f"#{r.payment_id} {r.booking_date} {r.amount:>10} {r.status:<9} "
                f"allocated {r.allocated} refunded {r.refunded} suspense {r.suspense} "
                f"{r.payer_name} {r.payer_iban} ref {r.reference or '-'}"
            )
        total = sum((r.amount for r in rows), start=0)
        self.stdout.write(f"{len(rows)} payment(s), {total} EUR.")

    def _gl(self, options: dict[str, Any]) -> None:
        try:
            rows = reports.gl_export(date_from=options["date_from"], date_to=options["date_to"])
        except reports.LedgerMismatch as exc:
            raise CommandError(str(exc)) from exc
        text = reports.gl_csv(rows)
        if options["out"] is None:
            self.stdout.write(text, ending="")
        else:
            options["out"].write_text(text, encoding="utf-8")
            self.stdout.write(f"{options['out']}: {len(rows)} rows.")
