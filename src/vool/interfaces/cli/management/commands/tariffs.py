"""``vool tariffs load-defaults``: the default network fees, levies, VAT and time bands."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vool.domain.tariffs import operations


class Command(BaseCommand):
    help = "Load the default Estonian tariff data (only what is missing; admin edits are kept)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load-defaults", help="add missing default tariff data (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = operations.load_default_tariffs()
        except operations.AmbiguousTariffData as exc:
            raise CommandError(str(exc)) from exc
        parts = [
            f"{outcome}: " + ", ".join(f"{n} {kind}" for kind, n in kinds)
            for outcome, kinds in result.by_outcome().items()
        ]
        self.stdout.write(f"Default tariff data loaded: {'; '.join(parts) or 'nothing new'}.")
