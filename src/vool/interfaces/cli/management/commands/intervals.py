"""``vool intervals import FILE...``: import data hub metering data (JSON or CSV)."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.domain.metering import interval_operations, intervals
from vool.domain.supply import queries as supply_queries
from vool.integrations.safe_input import cut
from vool.interfaces.cli.arguments import MAX_LISTED, aware_datetime, day, rejected
from vool.usecases import import_intervals


class Command(BaseCommand):
    help = "Interval data (smart meters): import data hub metering-data JSON or CSV files."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="import files together, all or nothing")
        p.add_argument("files", nargs="+", type=Path)
        p.add_argument(
            "--as-of",
            type=aware_datetime,
            default=None,
            help="the time of the import (ISO 8601; default: now)",
        )
        p.add_argument(
            "--each",
            action="store_true",
            help="each file an import of its own (a rejected file stores nothing, the others "
            "are stored; running again finishes a killed import); the next file is parsed in "
            "a second process while this one is stored",
        )
        p = sub.add_parser("fill-gaps", help="estimate the missing intervals of a day")
        p.add_argument("eic")
        p.add_argument("--day", type=day, required=True, help="YYYY-MM-DD")
        p.add_argument("--direction", choices=["OUT", "IN"], default="OUT")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "fill-gaps":
            self._fill_gaps(options)
            return
        as_of = options["as_of"] or timezone.now()
        if options["each"]:
            self._import_each(options["files"], as_of)
            return
        started = time.perf_counter()
        try:
            result = import_intervals.import_interval_files(
                paths=options["files"], as_of=as_of, recorded_at=timezone.now()
            )
        except import_intervals.RejectedFile as exc:
            raise rejected(self.stderr, exc.problems, exc.total) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Imported {result.intervals} intervals: {result.days_created} new days, "
            f"{result.days_corrected} corrected (new versions, marked for true-up), "
            f"{result.days_unchanged} unchanged, in {seconds:.2f} s."
        )
        if result.net_intervals:
            self.stdout.write(
                f"Stored {result.net_intervals} net values (prosumer netting) beside the "
                "gross IN and OUT."
            )
        for problem in result.not_given:
            self.stderr.write(f"Not imported: {problem}")
        if result.not_given:
            self.stderr.write(
                f"The hub could not give {len(result.not_given)} point(s), listed above: "
                "request them again."
            )

    def _import_each(self, paths: list[Path], as_of: dt.datetime) -> None:
        started = time.perf_counter()
        try:
            pages = import_intervals.import_interval_file_pages(
                paths=paths, as_of=as_of, recorded_at=timezone.now()
            )
        except import_intervals.RejectedFile as exc:
            raise rejected(self.stderr, exc.problems, exc.total) from exc
        refused = 0
        for page in pages:
            if page.report is not None:
                result = page.report
                self.stdout.write(
                    f"{page.name}: imported {result.intervals} intervals: "
                    f"{result.days_created} new days, {result.days_corrected} corrected, "
                    f"{result.days_unchanged} unchanged."
                )
                for problem in result.not_given:
                    self.stderr.write(f"Not imported: {problem}")
            elif page.rejected is not None:
                refused += 1
                for problem in page.rejected.problems[:MAX_LISTED]:
                    self.stderr.write(cut(str(problem), 600))
                self.stderr.write(
                    f"{page.name}: rejected, {page.rejected.total} problem(s); nothing of it "
                    "was imported."
                )
        if refused:
            raise CommandError(
                f"Rejected: {refused} of {len(paths)} file(s), listed above; the others were "
                "imported."
            )
        seconds = time.perf_counter() - started
        self.stdout.write(f"Imported {len(paths)} file(s), each on its own, in {seconds:.2f} s.")

    def _fill_gaps(self, options: dict[str, Any]) -> None:
        point = supply_queries.get_metering_point(eic=options["eic"])
        if point is None:
            raise CommandError(f"No metering point {options['eic']}.")
        try:
            day = interval_operations.fill_interval_gaps(
                metering_point=point,
                day=options["day"],
                as_of=timezone.now(),
                direction=options["direction"],
            )
        except interval_operations.UnableToFillGaps as exc:
            raise CommandError(str(exc)) from exc
        if day is None:
            self.stdout.write(f"{point.eic} {options['day']}: no gaps.")
        else:
            estimated = int((intervals.unpack_quality(day.quality) == intervals.ESTIMATED).sum())
            self.stdout.write(
                f"{point.eic} {day.day}: version {day.version}, {estimated} intervals estimated, "
                f"total {day.total_wh} Wh (marked for true-up)."
            )
