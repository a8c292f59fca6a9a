"""``vool dunning run --date YYYY-MM-DD`` (letters and disconnection requests for the date,
once per date), ``hold`` (a vulnerable customer, a clerk's hold or a disputed invoice, with who
and why), ``letters --date`` (what a run wrote) and ``aging --date`` (open invoices by days
past due)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.domain.billing import queries as billing_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.receivables import dunning, interest, queries
from vool.integrations.datahub.client import HubRefused, HubUnavailable
from vool.usecases import disconnections


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


class Command(BaseCommand):
    help = "Dunning: run the levels for a date, hold an account or an invoice, list letters."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("run", help="write the date's letters (once per date)")
        p.add_argument("--date", type=_date, required=True)
        p.add_argument("--user", default="")
        p = sub.add_parser("hold", help="no letters for an account or an invoice for a while")
        p.add_argument("--kind", choices=dunning.HOLD_KINDS, required=True)
        target = p.add_mutually_exclusive_group(required=True)
        target.add_argument("--account", help="reference number (VULNERABLE, CLERK)")
        target.add_argument("--invoice", type=int, help="invoice number (DISPUTED)")
        p.add_argument("--from", dest="valid_from", type=_date, required=True)
        p.add_argument("--until", type=_date, default=None, help="first day without the hold")
        p.add_argument("--reason", required=True)
        p.add_argument("--user", required=True)
        p = sub.add_parser("letters", help="the letters of a run")
        p.add_argument("--date", type=_date, required=True)
        p = sub.add_parser("aging", help="open invoices by days past due, as of a date")
        p.add_argument("--date", type=_date, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "run":
                self._run(options["date"], options["user"])
            elif action == "hold":
                self._hold(options)
            elif action == "aging":
                self._aging(options["date"])
            else:
                self._letters(options["date"])
        except (
            dunning.AmbiguousDunningLevels,
            dunning.UnableToHold,
            interest.MissingInterestRate,
        ) as exc:
            raise CommandError(str(exc)) from exc

    def _run(self, day: dt.date, user: str) -> None:
        try:
            outcome = disconnections.run_dunning(run_date=day, as_of=timezone.now(), by=user)
        except (HubUnavailable, HubRefused) as exc:
            raise CommandError(
                f"The run is done, but the data hub: {exc}. The requests not sent stay "
                "pending; `vool datahub sync` (or the next run) sends them."
            ) from exc
        result = outcome.result
        done = "already run; nothing added" if result.already_run else "done"
        counts = ", ".join(f"{count} {level.lower()}" for level, count in result.letters.items())
        self.stdout.write(
            f"Dunning run {day}: {done}. Letters: {counts}; "
            f"{result.requests} disconnection request(s) for the data hub."
        )
        if outcome.without_joint_invoice:
            self.stdout.write(
                f"{len(outcome.without_joint_invoice)} account(s) not to be disconnected "
                "(no joint invoice):"
            )
            for reference, why in sorted(outcome.without_joint_invoice.items()):
                self.stdout.write(f"  {reference}: {why}")
        if outcome.hub is None:
            self.stdout.write("The data hub connection is off: the requests wait (PENDING).")
            return
        hub = outcome.hub
        self.stdout.write(
            f"Data hub: {len(hub.disconnect_requests)} DISCONNECT and "
            f"{len(hub.connect_requests)} CONNECT request(s) sent, {len(hub.cancelled)} "
            f"called off, {len(hub.not_sent)} not sent."
        )
        for reference, why in sorted(hub.not_sent.items()):
            self.stdout.write(f"  {reference}: {why}")

    def _hold(self, options: dict[str, Any]) -> None:
        account_id = invoice_id = None
        if options["account"]:
            account = customer_queries.find_billing_account(reference_number=options["account"])
            account_id = account.pk if account is not None else None
            if account_id is None:
                raise CommandError(f"No billing account has reference number {options['account']}")
        else:
            invoice_id = billing_queries.invoice_id(number=options["invoice"])
            if invoice_id is None:
                raise CommandError(f"No invoice has number {options['invoice']}")
        hold = dunning.add_hold(
            kind=options["kind"],
            billing_account_id=account_id,
            invoice_id=invoice_id,
            reason=options["reason"],
            by=options["user"],
            valid_from=options["valid_from"],
            valid_to=options["until"],
            as_of=timezone.now(),
        )
        self.stdout.write(f"Hold {hold.pk} ({hold.kind}) recorded.")

    def _letters(self, day: dt.date) -> None:
        letters = queries.letters_on(run_date=day)
        for letter in letters:
            until = (
                f", disconnection on {letter.disconnection_date}"
                if letter.disconnection_date
                else ""
            )
            self.stdout.write(
                f"{letter.reference_number} invoice {letter.invoice_number}: {letter.level} "
                f"{letter.open_amount} (fee {letter.fee_amount}){until}"
            )
        if not letters:
            self.stdout.write(f"No letters on {day}.")

    def _aging(self, day: dt.date) -> None:
        self.stdout.write(f"Open invoices on {day} by days past due:")
        for bucket in queries.aging(on=day):
            self.stdout.write(
                f"  {bucket.name:8} {bucket.invoices:7} invoices {bucket.open_amount:>14} EUR"
            )
