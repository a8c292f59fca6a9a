"""``vool prices import FILE`` and ``vool prices fetch --from --to``: day-ahead market prices."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.integrations.elering.prices import AREAS
from vool.interfaces.cli.arguments import day
from vool.usecases import prices


class Command(BaseCommand):
    help = "Import or fetch Elering day-ahead market prices (EUR/MWh, 15 or 60 minutes)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import an Elering JSON or CSV file (idempotent)")
        imp.add_argument("file", type=Path)
        imp.add_argument("--area", default="ee", choices=sorted(AREAS))
        fetch = sub.add_parser("fetch", help="fetch from dashboard.elering.ee and import")
        fetch.add_argument(
            "--from",
            dest="first_day",
            type=day,
            required=True,
            help="first local day, YYYY-MM-DD",
        )
        fetch.add_argument(
            "--to",
            dest="end_day",
            type=day,
            required=True,
            help="the day after the last local day (exclusive), YYYY-MM-DD",
        )
        fetch.add_argument("--area", default="ee", choices=sorted(AREAS))

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        try:
            if options["action"] == "import":
                result = prices.import_price_file(
                    path=options["file"], area=options["area"], imported_at=now
                )
            else:
                result = prices.fetch_prices(
                    first_day=options["first_day"],
                    end_day=options["end_day"],
                    area=options["area"],
                    imported_at=now,
                )
        except prices.UnableToImportPrices as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(result.describe())
