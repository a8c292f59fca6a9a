"""``vool letters send KIND --accounts FILTER [--campaign NAME]``: personal letters to many
customers, each in the customer's language, rendered, stored and sent by channel; and
``vool letters kinds``: the kinds there are. See ``vool.usecases.letters`` for the filter."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.interfaces.cli.progress import ProgressBars
from vool.usecases import letters

FAILURES_SHOWN = 20
FILTER_HELP = (
    "which accounts: words that must all hold: all | ref=R1,R2 | file=PATH (reference numbers, "
    "one a line) | channel=EMAIL|PORTAL|PAPER|E_INVOICE | language=et|ru|en; "
    'e.g. --accounts "channel=PAPER language=ru"'
)


class Command(BaseCommand):
    help = "Send personal letters (send KIND --accounts FILTER), or list the kinds (kinds)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        kwargs["formatter_class"] = RawDescriptionHelpFormatter
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("kinds", help="list the letter kinds")
        send = sub.add_parser("send", help="make and send a kind of letter to many accounts")
        send.add_argument("kind", help=f"the letter kind: {', '.join(letters.KINDS)}")
        send.add_argument("--accounts", required=True, help=FILTER_HELP)
        send.add_argument(
            "--campaign",
            default="",
            help="a letter of a kind goes to an account once per campaign (default: the "
            "kind's: new-reference-number, or dunning-YYYY-MM-DD of the latest dunning run)",
        )
        send.add_argument("--today", type=dt.date.fromisoformat, help="the letter's date")
        send.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "kinds":
            for kind in letters.KINDS.values():
                self.stdout.write(f"{kind.key}: {kind.description}")
            return
        bars = ProgressBars(enabled=not options["no_progress"])
        try:
            report = letters.send_letters(
                kind=options["kind"],
                accounts=options["accounts"],
                campaign=options["campaign"],
                today=options["today"] or timezone.localdate(),
                as_of=timezone.now(),
                on_progress=bars.update,
            )
        except (letters.UnknownKind, letters.InvalidFilter) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bars.close()
        self._report(report)

    def _report(self, report: letters.LetterReport) -> None:
        w = self.stdout.write
        w(
            f"Letters {report.kind} ({report.campaign}): {report.concerned} accounts concerned, "
            f"{report.already} made before, {report.rendered} made now; {report.emailed} "
            f"e-mailed, {report.to_portal} to the portal, {report.printed} printed, "
            f"{len(report.failures)} failed."
        )
        if report.print_file is not None:
            w(f"  print file: {report.print_file}")
        for reference, reason in report.failures[:FAILURES_SHOWN]:
            w(f"  {reason}" if reference in reason else f"  {reference}: {reason}")
        if len(report.failures) > FAILURES_SHOWN:
            w(f"  ... and {len(report.failures) - FAILURES_SHOWN} more")
        if report.failures:
            raise CommandError(
                f"{len(report.failures)} letter(s) could not be made or sent; fix them and run "
                "the same command again (what was sent is not sent again; see Letters in the "
                "admin)."
            )
