"""Legacy migration benchmark: ``vool legacy make-extract`` + ``load`` + ``reconcile`` at
scale, then loading the same extract again (nothing changes) and a delta (1 % of accounts).

Quick: 2,000 customers. Full: 10,000 and 50,000 customers, and the time extrapolated to
500,000 customers linearly from the 50,000 run (per-customer time; the 10,000 → 50,000 ratio
of each stage shows whether linear holds). The extract has 13 months of register readings
for manual points and 13 monthly interval totals for remote points, one month (the last
billed, the shadow month) of 15-minute interval data for the remote points with that month's
day-ahead prices (stored through metering's and tariffs' own imports), the old price list,
and 13 bills with their lines per account.
The load runs its chunks on ``legacy_load.WORKERS`` processes on PostgreSQL (as ``vool legacy
load`` does; one process on SQLite). Wall and CPU time are both given: the CPU of this process
and of the workers it forked, and on PostgreSQL the CPU of the database server's processes on
this machine (read from /proc: the live ones and, through the postmaster, those that ended;
the work of other databases on the server is counted too, so measure on a quiet server),
so on a shared machine the wall time mostly measures the other users while client CPU +
server CPU is what the work itself costs.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

AS_OF = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)
DELTA_AS_OF = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)
TARGET = 500_000


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (a pool's workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _server_cpu() -> float:
    """CPU seconds of the local PostgreSQL server: its live processes, and the ones that
    ended (counted in the postmaster's children's time); 0 on SQLite or off this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if not name.endswith("(postgres"):
            continue
        values = fields.split()
        ticks += int(values[11]) + int(values[12])  # utime, stime
        if values[1] == "1" or Path(f"/proc/{values[1]}/comm").read_text().strip() != "postgres":
            ticks += int(values[13]) + int(values[14])  # the postmaster: cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _timed(what: Callable[[], Any]) -> tuple[Any, float, float, float]:
    wall, cpu, db = time.perf_counter(), _cpu(), _server_cpu()
    result = what()
    return result, time.perf_counter() - wall, _cpu() - cpu, _server_cpu() - db


def _one(customers: int, work: Path) -> dict[str, list[float]]:
    from django.core.management import call_command

    from vool.domain.legacy import operations, reconcile
    from vool.usecases import legacy_extract, legacy_load
    from vool.usecases.demo import seed

    call_command("flush", interactive=False, verbosity=0)
    seed.ensure_reference_data()
    full, delta = work / f"full-{customers}", work / f"delta-{customers}"
    times: dict[str, list[float]] = {}

    def show(stage: str) -> None:  # as it happens: a long run's figures survive a failure
        wall, cpu, db = times[stage]
        print(
            f"   [{customers:,}] {stage}: {wall:.1f} s wall, {cpu:.1f} s CPU, {db:.1f} s db CPU",
            flush=True,
        )

    def load(directory: Path, as_of: dt.datetime) -> operations.LoadResult:
        return legacy_load.load_extract(
            workers=legacy_load.WORKERS,
            directory=directory,
            as_of=as_of,
            now=as_of,
            user=None,
            reason="benchmark",
        )

    _, *times["make-extract"] = _timed(
        lambda: legacy_extract.make_extract(directory=full, customers=customers, seed=1)
    )
    show("make-extract")
    _, *times["load"] = _timed(lambda: load(full, AS_OF))
    show("load")
    report, *times["reconcile"] = _timed(lambda: reconcile.reconcile(directories=[full]))
    show("reconcile")
    assert report.ok, (report.unexplained[:3], [c for c in report.counts if not c.explained])
    again, *times["load again"] = _timed(lambda: load(full, AS_OF))
    show("load again")
    assert all(c["new"] == 0 and c["changed"] == 0 for c in again.counts.values())
    _, *times["make delta"] = _timed(lambda: legacy_extract.make_delta(directory=delta, base=full))
    show("make delta")
    _, *times["load delta"] = _timed(lambda: load(delta, DELTA_AS_OF))
    show("load delta")
    report, *times["reconcile with delta"] = _timed(
        lambda: reconcile.reconcile(directories=[full, delta])
    )
    show("reconcile with delta")
    assert report.ok, (report.unexplained[:3], [c for c in report.counts if not c.explained])
    return times


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    sizes = [10_000, 50_000] if full else [2_000]
    if os.environ.get("LEGACY_BENCH_SIZES"):  # e.g. "10000" on a busy machine
        sizes = [int(n) for n in os.environ["LEGACY_BENCH_SIZES"].split(",")]
    lines = [f"database: {connection.vendor} ({os.environ.get('DATABASE_URL', 'sqlite')})"]
    work = Path(tempfile.mkdtemp(prefix="vool-legacy-bench-"))
    results = {}
    try:
        for size in sizes:
            results[size] = _one(size, work)
            for stage, (wall, cpu, db) in results[size].items():
                lines.append(
                    f"{size:>7,} customers  {stage:22} {wall:8.1f} s wall {cpu:8.1f} s CPU "
                    f"{db:8.1f} s database CPU"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    largest = max(sizes)
    main = ("make-extract", "load", "reconcile")
    scale = TARGET / largest
    for basis, measure in (("wall", lambda t: t[0]), ("CPU + database CPU", lambda t: t[1] + t[2])):
        total = sum(measure(results[largest][s]) for s in ("load", "reconcile"))
        lines.append(
            f"extrapolated to {TARGET:,} customers, linear from {largest:,}, by {basis}: "
            f"load + reconcile {total * scale / 60:.1f} min"
        )
    if len(sizes) > 1:
        small = min(sizes)
        for stage in main:
            ratio = results[largest][stage][0] / results[small][stage][0]
            lines.append(f"{stage}: {largest // small}x customers took {ratio:.1f}x the time")
    return lines
