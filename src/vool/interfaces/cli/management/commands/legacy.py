"""``vool legacy make-extract DIR --customers N --seed S [--delta-of BASE]``, ``load DIR
[--dry-run]``, ``reconcile DIR [DELTA...]``, ``shadow DIR [--period YYYY-MM]`` and
``bank-files OUT``: the go-live migration from a legacy CIS (see docs/go-live.md)."""

from __future__ import annotations

import csv
import time
from argparse import ArgumentParser
from collections import Counter
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.domain.legacy import bank_files, operations, reconcile
from vool.domain.legacy.extract_format import UnreadableExtract
from vool.interfaces.cli.arguments import aware_datetime, day
from vool.interfaces.cli.progress import ProgressBars
from vool.usecases import legacy_extract, legacy_load, legacy_shadow


class Command(BaseCommand):
    help = "Migrate from a legacy CIS: make a test extract, load it, reconcile, bank files."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("make-extract", help="write a generated legacy extract (for rehearsals)")
        p.add_argument("directory", type=Path)
        p.add_argument("--customers", type=int, default=1000)
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--extract-date", type=day, default=legacy_extract.DEFAULT_EXTRACT_DATE)
        p.add_argument(
            "--delta-of",
            type=Path,
            default=None,
            help="write the delta taken after the freeze of this full extract",
        )
        p = sub.add_parser("load", help="stage, validate and load an extract (full or delta)")
        p.add_argument("directory", type=Path)
        p.add_argument("--dry-run", action="store_true", help="validate only; nothing is kept")
        p.add_argument(
            "--report",
            type=Path,
            default=None,
            help="validation report CSV (default DIR/validation-report.csv)",
        )
        p.add_argument("--as-of", type=aware_datetime, default=None, help="default: now")
        p.add_argument("--user", default="", help="the user name the audit log records")
        p.add_argument("--reason", default="go-live migration from the legacy CIS")
        p.add_argument(
            "--chunk-accounts",
            type=int,
            default=operations.ACCOUNTS_PER_CHUNK,
            help="accounts validated, loaded and committed together (memory grows with it)",
        )
        p.add_argument(
            "--workers",
            type=int,
            default=legacy_load.WORKERS,
            help="processes loading chunks at once, on PostgreSQL (default %(default)s)",
        )
        p.add_argument("--no-progress", action="store_true")
        p = sub.add_parser("reconcile", help="legacy against Vool; non-zero exit if unexplained")
        p.add_argument("directories", type=Path, nargs="+", help="the full extract, then deltas")
        p.add_argument("--report", type=Path, default=None, help="differences CSV")
        p = sub.add_parser("shadow", help="bill the last legacy month again; compare (no writes)")
        p.add_argument("directory", type=Path, help="the loaded extract")
        p.add_argument("--period", default=None, help="YYYY-MM (default: the last legacy month)")
        p.add_argument("--as-of", type=aware_datetime, default=None, help="default: now")
        p.add_argument("--report", type=Path, default=None, help="CSV, one row per account")
        p.add_argument("--top", type=int, default=20, help="accounts to look at first")
        p = sub.add_parser("bank-files", help="per bank: old → new reference numbers, agreements")
        p.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        started = time.perf_counter(), time.process_time()
        try:
            getattr(self, f"_{action}")(options)
        except (UnreadableExtract, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
        self.stderr.write(f"{options['action']}: {wall:.1f} s wall, {cpu:.1f} s CPU")

    def _make_extract(self, options: dict[str, Any]) -> None:
        if options["delta_of"] is not None:
            counts = legacy_extract.make_delta(
                directory=options["directory"], base=options["delta_of"]
            )
        else:
            counts = legacy_extract.make_extract(
                directory=options["directory"],
                customers=options["customers"],
                seed=options["seed"],
                extract_date=options["extract_date"],
            )
        self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))

    def _load(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        bars = ProgressBars(enabled=not options["no_progress"])
        result = legacy_load.load_extract(
            workers=options["workers"],
            directory=options["directory"],
            as_of=options["as_of"] or now,
            now=now,
            user=user,
            reason=options["reason"],
            dry_run=options["dry_run"],
            on_progress=bars.update,
            accounts_per_chunk=options["chunk_accounts"],
        )
        bars.close()
        report = options["report"] or options["directory"] / "validation-report.csv"
        with report.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(
                ("severity", "file", "line", "field", "rule", "value", "accounts", "message")
            )
            for i in result.issues:
                writer.writerow(
                    (
                        i.severity,
                        i.file_name,
                        i.line,
                        i.field,
                        i.rule,
                        i.value,
                        " ".join(i.account_keys),
                        i.message,
                    )
                )
        for entity, c in result.counts.items():
            self.stdout.write(
                f"{entity:16} new {c['new']:>9}  changed {c['changed']:>7}  "
                f"unchanged {c['unchanged']:>9}  held back {c['held_back']:>6}"
            )
        rules = Counter(f"{i.severity} {i.rule}" for i in result.issues)
        for rule, n in sorted(rules.items()):
            self.stdout.write(f"  {rule}: {n}")
        self.stdout.write(
            f"{'Dry run (nothing kept)' if result.dry_run else 'Loaded'} {result.kind} extract: "
            f"{result.errors} errors, {result.warnings} warnings, "
            f"{len(result.held_accounts)} accounts held back; report in {report}"
        )

    def _reconcile(self, options: dict[str, Any]) -> None:
        report = reconcile.reconcile(directories=options["directories"])
        self.stdout.write(f"{'entity':16} {'legacy':>9} {'held':>6} {'loaded':>9} {'in Vool':>9}")
        for c in report.counts:
            mark = "" if c.explained else "  UNEXPLAINED"
            self.stdout.write(
                f"{c.entity:16} {c.legacy:>9} {c.held_back:>6} {c.loaded:>9} "
                f"{c.vool_records:>9}{mark}"
            )
        for measure in reconcile.MEASURES:
            self.stdout.write(
                f"{measure:16} legacy {report.legacy_totals[measure]:>16}  Vool "
                f"{report.vool_totals[measure]:>16}  held back {report.held_totals[measure]:>12}"
            )
        if options["report"]:
            with options["report"].open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, delimiter=";")
                writer.writerow(("account", "measure", "legacy", "vool", "cause", "explained"))
                for d in report.differences:
                    writer.writerow(
                        (d.account_key, d.measure, d.legacy, d.vool, d.cause, d.explained)
                    )
        for d in report.differences:
            if not d.explained:
                self.stdout.write(
                    f"UNEXPLAINED {d.account_key} {d.measure}: legacy {d.legacy}, "
                    f"Vool {d.vool} ({d.cause})"
                )
        for directory in report.not_loaded:
            self.stdout.write(f"NOT LOADED {directory}: no load run read this extract")
        explained = len(report.differences) - len(report.unexplained)
        self.stdout.write(
            f"{report.accounts} accounts; {explained} differences explained, "
            f"{len(report.unexplained)} unexplained"
        )
        if not report.ok:
            raise CommandError("Unexplained differences: not ready for go-live.")

    def _shadow(self, options: dict[str, Any]) -> None:
        if not options["directory"].is_dir():
            raise CommandError(f"{options['directory']}: no such extract directory")
        report = legacy_shadow.shadow_bill(
            period=options["period"], as_of=options["as_of"] or timezone.now()
        )
        self.stdout.write(f"Shadow run of {report.period} for {options['directory']}: ")
        self.stdout.write(f"{len(report.accounts)} accounts; |Vool - legacy| in EUR:")
        for bucket, n in report.distribution().items():
            self.stdout.write(f"  {bucket:>7} {n:>9}")
        self.stdout.write("Accounts to look at first:")
        for a in report.to_look_at(options["top"]):
            why = a.exception or "; ".join(
                f"{p.component} {p.cause} {p.difference:+}" for p in a.parts
            )
            self.stdout.write(
                f"  {a.account:>12} legacy {a.legacy_total} Vool {a.vool_total} "
                f"difference {a.difference:+}: {why}"
            )
        if options["report"]:
            self._shadow_csv(options["report"], report)
        self.stdout.write(
            f"{len(report.accounts) - len(report.unexplained)} accounts billed and explained, "
            f"{len(report.unexplained)} unexplained or not billed"
        )
        if not report.ok:
            raise CommandError("Unexplained shadow differences: not ready for go-live.")

    @staticmethod
    def _shadow_csv(path: Path, report: legacy_shadow.shadow.ShadowReport) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(("account", "legacy", "vool", "difference", "bucket", "explanation"))
            for a in report.accounts:
                why = a.exception or " | ".join(
                    f"{p.component} {p.cause} {p.legacy} -> {p.vool}" for p in a.parts
                )
                writer.writerow(
                    (a.account, a.legacy_total, a.vool_total, a.difference, a.bucket, why)
                )

    def _bank_files(self, options: dict[str, Any]) -> None:
        written = bank_files.write_bank_files(directory=options["directory"])
        for name, rows in written.items():
            self.stdout.write(f"{options['directory'] / name}: {rows} rows")
