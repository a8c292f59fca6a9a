"""``vool invoices pdf|ubl|render|deliver|earve``: an invoice's PDF or Peppol UBL on demand,
a month's batch of PDFs, delivering the month's rendered invoices by channel, or the bank's
e-arve batch file of the e-invoice channel."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from vool.common.localtime import Month
from vool.interfaces.cli.progress import ProgressBars
from vool.usecases import deliver_invoices, render_invoices

FAILURES_SHOWN = 20


class Command(BaseCommand):
    help = "Write one invoice's PDF (pdf) or UBL (ubl), or render a month's invoices (render)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        pdf = sub.add_parser("pdf", help="write invoice NUMBER's PDF (rendered if need be)")
        pdf.add_argument("number", type=int, help="invoice or credit-note number")
        pdf.add_argument("-o", "--output", required=True, type=Path, help="PDF file to write")

        ubl = sub.add_parser("ubl", help="write business invoice NUMBER as Peppol BIS 3 UBL")
        ubl.add_argument("number", type=int, help="invoice or credit-note number")
        ubl.add_argument("-o", "--output", required=True, type=Path, help="XML file to write")

        render = sub.add_parser("render", help="render the month's invoices that have no PDF")
        render.add_argument("--period", required=True, help="YYYY-MM")
        render.add_argument(
            "--workers",
            type=int,
            default=1,
            help="local processes (default 1); with VOOL_TASK_BROKER set, Celery workers render",
        )
        render.add_argument("--chunk-size", type=int, default=render_invoices.DEFAULT_CHUNK_SIZE)
        render.add_argument("--no-progress", action="store_true")

        deliver = sub.add_parser(
            "deliver", help="send the month's rendered invoices not yet sent, by channel"
        )
        deliver.add_argument("--period", required=True, help="YYYY-MM")

        batch = sub.add_parser(
            "earve", help="write the month's e-invoices not yet sent as one e-arve 1.2 file"
        )
        batch.add_argument("--period", required=True, help="YYYY-MM")
        batch.add_argument("-o", "--output", required=True, type=Path, help="XML file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "pdf":
                self._pdf(options["number"], options["output"])
            elif options["action"] == "ubl":
                xml = render_invoices.invoice_ubl(number=options["number"])
                options["output"].write_bytes(xml)
                self.stdout.write(f"Invoice {options['number']}: {options['output']} (UBL)")
            elif options["action"] == "deliver":
                self._deliver(options)
            elif options["action"] == "earve":
                self._earve(options)
            else:
                self._render(options)
        except (
            render_invoices.NoSuchInvoice,
            render_invoices.InvalidInvoiceDocument,
            render_invoices.DocumentChanged,
            render_invoices.UnableToRender,
            render_invoices.UnableToBuildUbl,
            deliver_invoices.InvalidEarveBatch,
        ) as exc:
            raise CommandError(str(exc)) from exc

    def _pdf(self, number: int, output: Path) -> None:
        pdf = render_invoices.invoice_pdf(number=number, as_of=timezone.now())
        output.write_bytes(pdf)
        self.stdout.write(f"Invoice {number}: {output} ({len(pdf):,} bytes)")

    def _deliver(self, options: dict[str, Any]) -> None:
        report = deliver_invoices.deliver_period(
            period=_period(options["period"]), as_of=timezone.now()
        )
        w = self.stdout.write
        w(
            f"Invoices of {report.period}: {report.queued} queued; {report.emailed} e-mailed, "
            f"{report.to_portal} to the portal, {report.printed} printed, "
            f"{report.waiting_for_bank} waiting for the e-invoice batch, "
            f"{len(report.failures)} failed."
        )
        if report.print_file is not None:
            w(f"  print file: {report.print_file}")
        for number, reason in report.failures[:FAILURES_SHOWN]:
            w(f"  {number}: {reason}")
        if len(report.failures) > FAILURES_SHOWN:
            w(f"  ... and {len(report.failures) - FAILURES_SHOWN} more")
        if report.failures:
            raise CommandError(
                f"{len(report.failures)} invoice(s) could not be delivered; they are retried "
                "with back-off by the next runs (see Deliveries in the admin)."
            )

    def _earve(self, options: dict[str, Any]) -> None:
        period = _period(options["period"])
        schema = deliver_invoices.earve_schema()
        if schema is None:
            self.stderr.write("No e-arve XSD in VOOL_SCHEMAS_DIR: only the sums are checked.")
        report = deliver_invoices.einvoice_batch(
            period=period, as_of=timezone.now(), output=options["output"], schema=schema
        )
        w = self.stdout.write
        if report.file is None:
            w(f"E-invoices of {report.period}: none to send; no file written.")
        else:
            w(f"E-invoices of {report.period}: {len(report.included)} in {report.file}")
        for number, reason in report.failures[:FAILURES_SHOWN]:
            w(f"  {number}: {reason}")
        if report.failures:
            raise CommandError(
                f"{len(report.failures)} e-invoice(s) could not be put in the file; fix them "
                "and run again after their retry time (see Deliveries in the admin)."
            )

    def _render(self, options: dict[str, Any]) -> None:
        period = _period(options["period"])
        if options["workers"] < 1 or options["chunk_size"] < 1:
            raise CommandError("--workers and --chunk-size must be at least 1.")
        bars = ProgressBars(enabled=not options["no_progress"])
        started = time.perf_counter()
        try:
            report = render_invoices.render_period(
                period=period,
                as_of=timezone.now(),
                workers=options["workers"],
                chunk_size=options["chunk_size"],
                on_progress=bars.update,
            )
        finally:
            bars.close()
        seconds = time.perf_counter() - started
        w = self.stdout.write
        w(
            f"Invoices of {report.period}: {report.rendered} rendered, "
            f"{len(report.failures)} failed, of {report.to_render} without a PDF."
        )
        if report.rendered:
            w(
                f"  {seconds * 1000 / report.rendered:.1f} ms and "
                f"{report.bytes_written / report.rendered / 1024:.1f} KB per invoice"
            )
        for number, reason in report.failures[:FAILURES_SHOWN]:
            w(f"  failed: {reason}" if str(number) in reason else f"  {number}: {reason}")
        if len(report.failures) > FAILURES_SHOWN:
            w(f"  ... and {len(report.failures) - FAILURES_SHOWN} more")
        if report.failures:
            raise CommandError(
                f"{len(report.failures)} invoice(s) could not be rendered; fix them and run "
                "the same command again (what is rendered stays)."
            )


def _period(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
