"""``vool tariffs load-defaults``: the default network fees, levies, VAT and time bands."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from vool.domain.tariffs import operations
from vool.domain.tariffs.tariff_data import load_defaults


class Command(BaseCommand):
    help = "Load the default Estonian tariff data (only what is missing; admin edits are kept)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("load-defaults", help="add missing default tariff data (idempotent)")

    def handle(self, *args: Any, **options: Any) -> None:
        created = operations.load_tariff_data(load_defaults())
        added = ", ".join(f"{n} {kind}" for kind, n in created.items() if n) or "nothing new"
        self.stdout.write(f"Default tariff data loaded: {added}.")
