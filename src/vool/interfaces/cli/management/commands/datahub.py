"""``vool datahub sync``: read the data hub's distributed entries (resumable).
``vool datahub network-bills check --period YYYY-MM``: the grid operators' network bills of
the month against the network kWh Vool billed (joint invoices); exit status 1 on a difference.
The differences are kept as the back office's work queue "Network bill differences".
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.common.localtime import local_date
from vool.integrations.datahub.client import HubRefused, HubUnavailable
from vool.interfaces.cli.arguments import aware_datetime, month
from vool.usecases import datahub, disconnections, hub_agreements, network_bills


class Command(BaseCommand):
    help = "The data hub (Estfeed Datahub): read its distributed entries."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser(
            "sync",
            help="read the hub's entries from where the last run stopped (resumable: each "
            "page is stored once, with the position)",
        )
        p.add_argument(
            "--since",
            type=aware_datetime,
            default=None,
            help="where a resource type never read before starts (default: a day ago)",
        )
        p.add_argument(
            "--type",
            dest="types",
            action="append",
            choices=sorted({*datahub.SYNCED, "PERMISSION"}),
            help="only these resource types (repeat; default: all)",
        )
        p.add_argument("--max-pages", type=int, default=None, help="stop after this many pages")
        bills = sub.add_parser("network-bills", help="the grid operators' network bills")
        bills_sub = bills.add_subparsers(dest="bills_action", required=True)
        c = bills_sub.add_parser(
            "check",
            help="compare the month's network bills with the network kWh we billed on joint "
            "invoices",
        )
        c.add_argument("--period", type=month, required=True, help="YYYY-MM")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "network-bills":
            self._check_bills(options["period"])
            return
        self._sync(options)

    def _check_bills(self, period: Any) -> None:
        result = network_bills.record_check(period=period, now=timezone.now())
        report, recorded = result.check, result.recorded
        self.stdout.write(
            f"{period}: {report.bills} network bill(s), {report.joint_points} point(s) with a "
            f"joint invoice; {report.matching} bill(s) match, "
            f"{len(report.differences)} difference(s)."
        )
        for d in report.differences:
            figures = (
                f" {d.band}: hub {d.hub_kwh} kWh, billed {d.billed_kwh} kWh "
                f"(difference {d.difference})"
                if d.hub_kwh is not None
                else ""
            )
            bill = f" bill {d.bill_id}" if d.bill_id else ""
            self.stdout.write(f"{d.eic} {d.kind}{bill}{figures}")
        self.stdout.write(
            f"Back-office queue: {recorded.new} new, {recorded.still_open} "
            f"still open, {recorded.gone} closed (no longer differ)."
        )
        if report.differences:
            raise SystemExit(1)

    def _sync(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        since = options["since"] or now - dt.timedelta(days=1)
        try:
            hub = datahub.hub_from_settings()
        except datahub.HubDisabled as exc:
            raise CommandError(str(exc)) from exc

        def show(progress: datahub.SyncProgress) -> None:
            self.stdout.write(
                f"{progress.resource_type} {progress.window_start:%Y-%m-%d %H:%M} "
                f"page {progress.page}: {progress.new_entries} new"
            )

        with hub:
            try:
                report = datahub.sync(
                    hub=hub,
                    now=now,
                    since=since,
                    resource_types=options["types"] or datahub.SYNCED,
                    max_pages=options["max_pages"],
                    progress=show,
                )
                agreements = hub_agreements.send_pending_agreements(
                    hub=hub, today=local_date(now), now=now
                )
                connections = disconnections.send_all(hub=hub, today=local_date(now), now=now)
            except (HubUnavailable, HubRefused) as exc:
                raise CommandError(
                    f"{exc}. What was read so far is stored; run again to go on from there."
                ) from exc
        self.stdout.write(
            f"{report.pages} pages, {report.new_entries} new entries: {report.done} done, "
            f"{report.queued} queued (refused, see the data hub entries), {report.kept} kept "
            f"for later; {len(report.contracts_ended)} contracts ended by a switch."
        )
        self.stdout.write(
            f"Sent: {agreements.submitted} agreement(s) ({agreements.refused} refused); "
            f"{len(connections.disconnect_requests)} DISCONNECT and "
            f"{len(connections.connect_requests)} CONNECT request(s), "
            f"{len(connections.cancelled)} called off, {len(connections.not_sent)} not sent."
        )
        if report.not_given:
            self.stderr.write(f"The hub could not give {report.not_given} point(s) of data.")
        if not report.finished:
            self.stdout.write("Stopped at --max-pages; run again to go on.")
