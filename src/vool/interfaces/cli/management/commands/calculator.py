"""``vool calculator EIC [--as-of DATE]``: rank the packages on the point's own consumption."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.common.money import format_money
from vool.domain.supply import queries as supply_queries
from vool.interfaces.cli import arguments
from vool.usecases import calculator


class Command(BaseCommand):
    help = "Price every package on sale on a metering point's latest 12 months and rank them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("eic", help="metering point EIC, e.g. 38ZEE-00000001-K")
        parser.add_argument(
            "--as-of",
            type=arguments.day,
            default=None,
            help="compare at this date (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        point = supply_queries.get_metering_point(eic=options["eic"])
        if point is None:
            raise CommandError(f"No metering point {options['eic']}")
        as_of = options["as_of"] or timezone.localdate()
        try:
            result = calculator.compare_packages(metering_point=point, as_of=as_of)
        except calculator.UnableToCompare as exc:
            raise CommandError(str(exc)) from exc
        months = f"{result.months[0]}..{result.months[-1]}" if result.months else "-"
        self.stdout.write(
            f"{result.eic}: {result.consumption_kwh} kWh in {len(result.months)} months "
            f"({months}, {', '.join(result.sources).lower()})"
        )
        self.stdout.write(
            f"{'#':>2}  {'package':<12} {'kind':<9} {'per year':>12} "
            f"{'per month':>11} {'vs current':>11}"
        )
        for rank, p in enumerate(result.packages, start=1):
            if p.yearly_with_vat is None or p.monthly_average_with_vat is None:
                self.stdout.write(
                    f"{rank:>2}  {p.code:<12} {p.kind:<9} unavailable: {p.unavailable_reason}"
                )
                continue
            diff = (
                "current"
                if p.is_current
                else ""
                if p.difference_to_current is None
                else ("+" if p.difference_to_current > 0 else "")
                + format_money(p.difference_to_current, language="en")
            )
            self.stdout.write(
                f"{rank:>2}  {p.code:<12} {p.kind:<9} "
                f"{format_money(p.yearly_with_vat, language='en'):>12} "
                f"{format_money(p.monthly_average_with_vat, language='en'):>11} {diff:>11}"
            )
        for note in result.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write("Amounts include VAT.")
