"""Bill-run benchmark: ``vool billing run`` for one month on the configured database.

For each N the database is emptied and seeded with N demo customers (``seed_demo``, about 80 %
remote-read points with 15/60-minute data for the billed month only, 20 % manual points with
month-end readings). Then the missing October readings are estimated (metering's step, timed
on its own) and October 2026 is billed end to end: chunks priced by the rating kernel in a
process pool, DRAFT invoices and lines written with COPY (PostgreSQL), one transaction
numbering and issuing every invoice and posting it to the ledger (INSERT ... SELECT).
Figures: accounts/s over the whole bill run, and the invoices, lines, postings and exceptions
it wrote.

The headline is the job as run: ``run_billing`` with its own first step, estimation, on, as
``vool billing run --period`` runs it. On PostgreSQL the same data's floor is measured after
the run (``billing_floor``): reading the month's data and writing what the run wrote, by COPY;
the report gives the ratio run / floor.

Quick: 1,000 and 4,000 customers. Full (PostgreSQL): 10,000, 50,000 and 200,000.
``VOOL_BENCH_SIZES=500000`` runs other sizes (the one-off full-scale run);
``VOOL_BENCH_REUSE_SEED=1`` keeps a database this benchmark seeded and has not billed yet.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import billing_floor

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

    from vool.common.localtime import Month
    from vool.domain.billing.models import Invoice, InvoiceLine
    from vool.domain.customers.models import Customer
    from vool.domain.ledger.models import Posting
    from vool.domain.metering.models import Reading
    from vool.domain.supply.models import MeteringPoint
    from vool.usecases import bill_run
    from vool.usecases.demo import seed

    def _seeded_unbilled(n: int) -> bool:
        """``VOOL_BENCH_REUSE_SEED=1``: the database holds this benchmark's seed of N customers
        and nothing billed (seed once, e.g. the 500,000 one, run the job later)."""
        return Customer.objects.count() == n and not Invoice.objects.exists()

    sizes = [10_000, 50_000, 200_000] if full else [1_000, 4_000]
    if os.environ.get("VOOL_BENCH_SIZES"):  # e.g. the one-off 500,000 run
        sizes = [int(n) for n in os.environ["VOOL_BENCH_SIZES"].split(",")]
    lines = [
        f"database: {connection.vendor}; workers {WORKERS}, {CHUNK} accounts a chunk",
    ]
    for n in sizes:
        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        if os.environ.get("VOOL_BENCH_REUSE_SEED") and _seeded_unbilled(n):
            points = MeteringPoint.objects.count()  # seeded earlier by this benchmark
        else:
            call_command("flush", interactive=False, verbosity=0)
            seed_demo = seed.seed_demo
            points = seed_demo(
                customers=n, seed=1, as_of=AS_OF, interval_history_days=31
            ).metering_points
        seed_s = time.perf_counter() - started
        period = Month.parse(PERIOD)
        started = time.perf_counter()
        with CpuMeter(connection.settings_dict["NAME"]) as cpu:
            result = bill_run.run_billing(  # the job as run: estimation, then the bill run
                period=period, today=BILL_DAY, workers=WORKERS, chunk_size=CHUNK, estimate=True
            )
        seconds = time.perf_counter() - started
        issued_lines = InvoiceLine.objects.count()
        postings = Posting.objects.count()
        estimated = Reading.objects.filter(source=Reading.Source.ESTIMATED).count()
        lines.append(
            f"N={n:,} accounts ({points:,} points, seeded in {seed_s:.0f} s): "
            f"job (estimation + bill run) {seconds:.1f} s wall = "
            f"{result.account_count / seconds:,.0f} accounts/s, {cpu.seconds:.1f} s CPU "
            f"({cpu.own:.1f} s Python, {cpu.backends:.1f} s PostgreSQL); "
            f"{estimated:,} readings estimated; "
            f"{result.invoice_count:,} invoices, {issued_lines:,} lines, {postings:,} postings, "
            f"{result.exception_count:,} exceptions {result.report.get('exceptions_by_code')}"
        )
        if connection.vendor == "postgresql":
            floor = billing_floor.measure(first_day=period.first_day, last_day=period.last_day)
            lines.append(
                f"   floor: read {floor.read_bytes / 1e6:,.0f} MB in {floor.read_seconds:.2f} s, "
                f"write {floor.write_bytes / 1e6:,.0f} MB in {floor.write_seconds:.2f} s = "
                f"{floor.seconds:.2f} s; run / floor = {seconds / floor.seconds:.1f}"
            )
    return lines


class CpuMeter:
    """CPU time used during a job by this process, its children (the worker processes, counted
    when they have ended) and the PostgreSQL backends connected to the benchmark's database
    (sampled from /proc every 0.2 s, so a backend that ends is counted up to its last sample;
    Linux only, the database on the same machine)."""

    def __init__(self, database: str) -> None:
        import threading

        self._needle = f" postgres {database} ".encode()  # "postgres: 15/main: user db host"
        self._backends: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> CpuMeter:
        self._start_own = self._own()
        self._start_backends = dict(self._read_backends())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.backends = sum(
            cpu - self._start_backends.get(pid, 0.0) for pid, cpu in self._backends.items()
        )
        self.own = self._own() - self._start_own
        self.seconds = self.own + self.backends

    def _sample(self) -> None:
        while True:
            self._backends.update(self._read_backends())
            if self._stop.wait(0.2):
                self._backends.update(self._read_backends())
                return

    @staticmethod
    def _own() -> float:
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def _read_backends(self) -> list[tuple[int, float]]:
        ticks = os.sysconf("SC_CLK_TCK")
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if self._needle not in cmdline.read():
                        continue
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found.append((int(pid), (int(fields[11]) + int(fields[12])) / ticks))
        return found
