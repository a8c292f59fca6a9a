"""``vool readings import FILE`` / ``estimate --period YYYY-MM`` / ``submit EIC KIND=VALUE``."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.common.localtime import Month
from vool.domain.supply import queries as supply_queries
from vool.integrations.safe_input import parse_decimal, shown
from vool.interfaces.cli.arguments import aware_datetime, month, rejected
from vool.usecases import estimate_readings, import_readings, submit_reading


class Command(BaseCommand):
    help = "Register readings: import a CSV file, estimate a month, or submit one reading."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="import a CSV of readings, all lines or none")
        p.add_argument("file", type=Path)
        p.add_argument("--as-of", type=aware_datetime, default=None, help="default: now")
        p = sub.add_parser(
            "estimate", help="estimate month-end readings missing when the window has closed"
        )
        p.add_argument("--period", type=month, required=True, help="YYYY-MM")
        p.add_argument("--as-of", type=aware_datetime, default=None, help="default: now")
        p = sub.add_parser("submit", help="submit a reading, e.g. 38ZEE-...-X SINGLE=1610")
        p.add_argument("eic")
        p.add_argument("values", nargs="+", help="KIND=VALUE, e.g. DAY=1200 NIGHT=800")
        p.add_argument("--read-at", type=aware_datetime, default=None, help="default: now")
        p.add_argument("--source", default="BACKOFFICE")
        p.add_argument("--as-of", type=aware_datetime, default=None, help="default: now")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or timezone.now()
        action = options["action"]
        if action == "import":
            self._import(options["file"], as_of)
        elif action == "estimate":
            self._estimate(options["period"], as_of)
        else:
            self._submit(options, as_of)

    def _import(self, path: Path, as_of: dt.datetime) -> None:
        try:
            result = import_readings.import_readings_file(path=path, as_of=as_of)
        except import_readings.RejectedFile as exc:
            raise rejected(self.stderr, exc.problems, exc.total) from exc
        self.stdout.write(
            f"Imported {result.lines} readings: {result.created} new "
            f"({result.pending_review} waiting for review), {result.already_known} already known."
        )

    def _estimate(self, month: Month, as_of: dt.datetime) -> None:
        try:
            run = estimate_readings.estimate_period(month=month, as_of=as_of)
        except estimate_readings.UnableToSubmitReading as exc:
            raise CommandError(str(exc)) from exc
        methods = ", ".join(f"{k} {v}" for k, v in sorted(run.by_method.items())) or "none"
        self.stdout.write(
            f"{run.period}: {run.registers} registers checked, {run.estimated} estimated "
            f"({methods})."
        )
        for failure in run.failures:
            self.stderr.write(
                f"{failure.metering_point} register {failure.register}: not estimated: "
                f"{failure.reason}"
            )

    def _submit(self, options: dict[str, Any], as_of: dt.datetime) -> None:
        point = supply_queries.get_metering_point(eic=options["eic"])
        if point is None:
            raise CommandError(f"No metering point {shown(options['eic'])}.")
        values: dict[str, Decimal] = {}
        for item in options["values"]:
            kind, equals, text = item.partition("=")
            try:
                if not equals:
                    raise ValueError("has no value")
                values[kind.strip().upper()] = parse_decimal(text)
            except ValueError as exc:
                raise CommandError(
                    f"{shown(item)}: {exc}; write KIND=VALUE in kWh, e.g. SINGLE=1610"
                ) from exc
        try:
            results = submit_reading.submit_meter_readings(
                metering_point=point,
                values_kwh=values,
                read_at=options["read_at"] or as_of,
                source=options["source"].upper(),
                as_of=as_of,
            )
        except submit_reading.UnableToSubmitReading as exc:
            raise CommandError(str(exc)) from exc
        for result in results:
            r = result.reading
            what = "month-end reading of " + r.period if r.period else "interim reading"
            state = "new" if result.created else "already known"
            reason = f" ({r.reason})" if r.reason else ""
            self.stdout.write(
                f"{r.register.kind} {Decimal(r.value_kwh).quantize(Decimal('0.001'))} kWh: "
                f"{what}, {r.status}, {state}{reason}"
            )
