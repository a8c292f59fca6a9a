"""Bill-run benchmark: ``vool billing run`` for one month on the configured database.

For each N the database is emptied and seeded with N demo customers (``seed_demo``, about 80 %
remote-read points with 15/60-minute data for the billed month only, 20 % manual points with
month-end readings). Then the missing October readings are estimated (metering's step, timed
on its own) and October 2026 is billed end to end: chunks priced by the rating kernel in a
process pool, DRAFT invoices and lines written with COPY (PostgreSQL), one transaction
numbering and issuing every invoice and posting it to the ledger (INSERT ... SELECT).
Figures: accounts/s over the whole bill run, and the invoices, lines, postings and exceptions
it wrote.

Quick: 1,000 and 4,000 customers. Full (PostgreSQL): 10,000, 50,000 and 200,000.
``VOOL_BENCH_SIZES=500000`` runs other sizes (the one-off full-scale run).
"""

from __future__ import annotations

import datetime as dt
import os
import time

PERIOD = "2026-10"
AS_OF = dt.date(2026, 11, 1)
BILL_DAY = dt.date(2026, 11, 5)
WORKERS = int(os.environ.get("VOOL_BENCH_WORKERS", "2"))
CHUNK = int(os.environ.get("VOOL_BENCH_CHUNK", "1000"))


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from vool.common.localtime import Month, local_midnight
    from vool.domain.billing.models import InvoiceLine
    from vool.domain.ledger.models import Posting
    from vool.usecases import bill_run, estimate_readings
    from vool.usecases.demo import seed

    sizes = [10_000, 50_000, 200_000] if full else [1_000, 4_000]
    if os.environ.get("VOOL_BENCH_SIZES"):  # e.g. the one-off 500,000 run
        sizes = [int(n) for n in os.environ["VOOL_BENCH_SIZES"].split(",")]
    lines = [
        f"database: {connection.vendor}; workers {WORKERS}, {CHUNK} accounts a chunk",
    ]
    for n in sizes:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        seeded = seed.seed_demo(customers=n, seed=1, as_of=AS_OF, interval_history_days=31)
        seed_s = time.perf_counter() - started
        period = Month.parse(PERIOD)
        started = time.perf_counter()
        try:  # the run's first step, metering's estimation, timed on its own
            estimate_readings.estimate_period(month=period, as_of=local_midnight(BILL_DAY))
            estimated = "ok"
        except Exception as exc:
            estimated = f"failed: {type(exc).__name__}"
        estimate_s = time.perf_counter() - started
        started = time.perf_counter()
        result = bill_run.run_billing(
            period=period, today=BILL_DAY, workers=WORKERS, chunk_size=CHUNK, estimate=False
        )
        seconds = time.perf_counter() - started
        issued_lines = InvoiceLine.objects.count()
        postings = Posting.objects.count()
        lines.append(
            f"N={n:,} accounts ({seeded.metering_points:,} points, seeded in {seed_s:.0f} s, "
            f"estimation {estimate_s:.0f} s {estimated}): "
            f"bill run {seconds:.1f} s = {result.account_count / seconds:,.0f} accounts/s; "
            f"{result.invoice_count:,} invoices, {issued_lines:,} lines, {postings:,} postings, "
            f"{result.exception_count:,} exceptions {result.report.get('exceptions_by_code')}"
        )
    return lines
