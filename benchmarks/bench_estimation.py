"""Estimation benchmark: the bill run's first step, ``estimate_period`` (metering's
set-based :func:`~vool.domain.metering.operations.estimate_month`), on the configured database.

For each N the database is emptied and seeded straight with N registers of manual metering
points (a fifth of them on day/night meters, some with a multiplier of 30) and 13 month-end
readings each (September 2025 to September 2026); 10 % already have October's reading, 5 %
have only one reading (the load profile) and 2 % have a gap in the last months. Then October
2026 is estimated, once (and a second time, which must write nothing).
Figures: wall time, this process's CPU time (the database's own CPU is not in it), the
queries sent through Django (the COPY stream of the write is one more) and the readings
written by method.

Quick: 2,000 registers. Full (PostgreSQL): 10,000 and 50,000. ``VOOL_BENCH_REGISTERS=...``
runs other sizes. ``VOOL_BENCH_REFERENCE=N`` also times the old per-register path (kept as the
tests' reference) on the first N registers of the first size, for comparison.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

MONTH = "2026-10"
AS_OF = dt.datetime(2026, 11, 5, tzinfo=dt.UTC)


def _seed(n: int, rng: random.Random) -> int:
    """N registers with their readings; returns the readings written."""
    from vool.common import identifiers
    from vool.common.localtime import TALLINN, Month
    from vool.domain import bulk
    from vool.domain.metering.models import Meter, Reading, Register
    from vool.domain.supply.models import GridOperator, MeteringPoint

    operator = GridOperator.objects.create(code="BENCH", name="Bench", eic="10X1001A1001A450")
    points: list[MeteringPoint] = []
    serial = 0
    kinds: list[list[str]] = []
    registers_left = n
    while registers_left > 0:
        serial += 1
        try:
            eic = identifiers.make_eic(f"38ZEE-{serial:08d}-")
        except ValueError:
            continue
        pair = registers_left >= 2 and rng.random() < 0.1
        kinds.append(["DAY", "NIGHT"] if pair else ["SINGLE"])
        registers_left -= len(kinds[-1])
        points.append(
            MeteringPoint(
                eic=eic,
                grid_operator=operator,
                street_address="Pikk 1",
                city="Tallinn",
                is_apartment=rng.random() < 0.5,
                main_fuse_a=rng.choice([16, 25, 63, 80]),
                network_package_code="V1",
                metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER,
            )
        )
    bulk.insert_instances(MeteringPoint, points)
    meters = [
        Meter(
            metering_point=p,
            serial_number=f"B{i:09d}",
            digits=6,
            multiplier=Decimal(30) if rng.random() < 0.05 else Decimal(1),
            installed_date=dt.date(2020, 1, 1),
        )
        for i, p in enumerate(points)
    ]
    bulk.insert_instances(Meter, meters)
    registers = [
        Register(meter=m, kind=kind) for m, ks in zip(meters, kinds, strict=True) for kind in ks
    ]
    bulk.insert_instances(Register, registers)
    months = list(Month.range(Month(2025, 9), Month(2026, 11)))  # to October 2026

    def rows() -> Iterator[tuple[Any, ...]]:
        created = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for register in registers:
            draw = rng.random()
            chosen = months[-14:-1]  # September 2025 .. September 2026
            if draw < 0.10:
                chosen = months  # October given already
            elif draw < 0.15:
                chosen = months[-2:-1]  # one reading: nothing to average
            elif draw < 0.17:
                chosen = months[:-4]  # a gap: nothing since June
            elif draw < 0.40:
                chosen = months[4:-1]  # since January: no October a year ago
            value = Decimal(rng.randrange(0, 500_000))
            for month in chosen:
                value += Decimal(rng.randrange(50_000, 600_000)) / 1000
                first = month.next().first_day
                read_at = dt.datetime(first.year, first.month, 1, 10, tzinfo=TALLINN)
                yield (
                    register.pk,
                    read_at,
                    value % 1_000_000,
                    "MIGRATION",
                    "ACCEPTED",
                    str(month),
                    None,
                    "",
                    {"wraps": int(value // 1_000_000)},
                    None,
                    created,
                )

    return bulk.copy_rows(
        Reading,
        [
            "register",
            "read_at",
            "value_kwh",
            "source",
            "status",
            "period",
            "supersedes",
            "reason",
            "details",
            "created_by",
            "created_at",
        ],
        rows(),
    )


@contextmanager
def _counting() -> Iterator[list[int]]:
    from django.db import connection

    count = [0]

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def _database_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend so far (when the server runs on
    this machine), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reference(limit: int) -> str:
    """The old per-register path on ``limit`` registers, in a rolled-back transaction."""
    from django.db import transaction

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from metering_estimate_reference import write_estimate
    from vool.common.localtime import Month
    from vool.domain.metering.models import Register
    from vool.usecases.estimate_readings import segment_of

    registers = list(Register.objects.select_related("meter__metering_point").order_by("id"))
    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic():
        for register in registers[:limit]:
            write_estimate(
                register=register,
                month=Month.parse(MONTH),
                segment=segment_of(register.meter.metering_point),
                as_of=AS_OF,
            )
        transaction.set_rollback(True)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return (
        f"   per-register reference path on {limit:,} registers: {wall:.1f} s "
        f"(cpu {cpu:.1f} s) = {limit / wall:,.0f} registers/s"
    )


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from vool.common.localtime import Month
    from vool.usecases import estimate_readings

    sizes = [10_000, 50_000] if full else [2_000]
    if os.environ.get("VOOL_BENCH_REGISTERS"):
        sizes = [int(n) for n in os.environ["VOOL_BENCH_REGISTERS"].split(",")]
    reference = int(os.environ.get("VOOL_BENCH_REFERENCE", "0"))
    lines = [f"database: {connection.vendor}"]
    for n in sizes:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        started = time.perf_counter()
        readings = _seed(n, random.Random(1))
        seed_s = time.perf_counter() - started
        with connection.cursor() as cursor:  # statistics, as a live database has them
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        if reference and n == sizes[0]:
            lines.append(_reference(min(reference, n)))
        figures = []
        for _attempt in ("first", "again"):
            db_cpu = _database_cpu()
            started, cpu = time.perf_counter(), time.process_time()
            with _counting() as queries:
                result = estimate_readings.estimate_period(month=Month.parse(MONTH), as_of=AS_OF)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            db_after = _database_cpu()
            db = f", database cpu {db_after - db_cpu:.2f} s" if db_cpu and db_after else ""
            figures.append((wall, cpu, db, queries[0], result))
        (wall, cpu, db, queries, result), (again_s, _, _, _, again) = figures
        sent = "queries + 1 COPY" if connection.vendor == "postgresql" else "queries"
        lines.append(
            f"N={n:,} registers ({readings:,} readings, seeded in {seed_s:.0f} s): "
            f"estimated {result.estimated:,} in {wall:.2f} s (cpu {cpu:.2f} s{db}, {queries} "
            f"{sent}) = {n / wall:,.0f} registers/s; by method "
            f"{dict(sorted(result.by_method.items()))}, {len(result.failures)} failures; "
            f"again: {again.estimated} written in {again_s:.2f} s"
        )
    return lines
