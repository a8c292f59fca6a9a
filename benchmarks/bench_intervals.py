"""Interval data import: one day of 15-minute data for N metering points on the database.

Full: N = 100,000 (9.6 million intervals; must >= 300k intervals/s, aim >= 800k/s). Quick:
N = 10,000. Measured end to end from the file's bytes (the data hub's CSV template,
``;``-separated, decimal comma, zoned times) to committed rows, and split into parsing and
storing; then the same file again (nothing changes), and the storage bytes per interval
(table, TOAST and indexes). The metering points are created once (not timed); the interval
rows of the measured day are deleted afterwards, so a run can be repeated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time

DAY = dt.date(2026, 11, 2)  # an ordinary day: 96 quarter-hours


def _eics(n: int) -> list[str]:
    from vool.common.identifiers import make_eic

    eics: list[str] = []
    i = 0
    while len(eics) < n:
        # some numbers' check character would be '-': not a valid EIC, skipped
        with contextlib.suppress(ValueError):
            eics.append(make_eic(f"38ZBN-{i:09d}"))
        i += 1
    return eics


def _ensure_points(n: int) -> list[str]:
    from vool.domain.supply.models import GridOperator, MeteringPoint

    eics = _eics(n)
    have = set(MeteringPoint.objects.filter(eic__startswith="38ZBN-").values_list("eic", flat=True))
    missing = [e for e in eics if e not in have]
    if missing:
        operator, _ = GridOperator.objects.get_or_create(
            code="BENCH", defaults={"name": "Bench grid", "eic": "38ZEE-1000007L-E"}
        )
        MeteringPoint.objects.bulk_create(
            [
                MeteringPoint(
                    eic=e,
                    grid_operator=operator,
                    street_address="Bench 1",
                    city="Tallinn",
                    main_fuse_a=25,
                    network_package_code="V1",
                    metering_method=MeteringPoint.MeteringMethod.REMOTE_INTERVAL,
                    resolution=MeteringPoint.Resolution.PT15M,
                )
                for e in missing
            ],
            batch_size=5000,
        )
    return eics


def _csv(eics: list[str]) -> bytes:
    from vool.common.localtime import interval_starts, local_midnight

    starts = interval_starts(
        local_midnight(DAY), local_midnight(DAY + dt.timedelta(days=1)), minutes=15
    )
    stamps = [
        f"{s.astimezone(dt.timezone(dt.timedelta(hours=2))):%d.%m.%Y %H:%M}+02:00" for s in starts
    ]
    lines = ["Meter EIC;Period Start;Resolution;Quantity KWH OUT;Reading Type OUT"]
    for i, eic in enumerate(eics):
        for q, stamp in enumerate(stamps):
            lines.append(f"{eic};{stamp};15 MINUTES;0,{(i + q) % 900 + 100};METERED")
    return ("\n".join(lines) + "\n").encode()


def _table_bytes() -> int:
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('metering_intervalday')")
        return int(cursor.fetchone()[0])


def _create_database() -> None:
    """Create the PostgreSQL database named in DATABASE_URL if it does not exist yet."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def run(full: bool) -> list[str]:
    import django

    _create_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from vool.domain.integrity.operations import maintenance
    from vool.domain.metering.interval_operations import store_intervals
    from vool.domain.metering.models import IntervalDay, MeteringImport
    from vool.integrations.datahub import metering_data
    from vool.usecases import import_intervals

    def reset() -> None:
        """The measured day's rows are the benchmark's own: lifted guards remove them."""
        with maintenance(reason="interval benchmark: remove its own day"):
            IntervalDay.objects.filter(day=DAY).delete()
            MeteringImport.objects.filter(file_name="bench.csv").delete()

    n = 100_000 if full else 10_000
    call_command("migrate", interactive=False, verbosity=0)
    eics = _ensure_points(n)
    reset()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL metering_intervalday")
    content = _csv(eics)
    as_of = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
    size_before = _table_bytes()
    lines = [
        f"database: {connection.vendor} ({os.environ.get('DATABASE_URL', 'sqlite default')})",
        f"file: {len(content) / 1e6:,.0f} MB CSV, {n:,} metering points x 96 quarter-hours",
    ]

    started = time.perf_counter()
    result = import_intervals.import_interval_data(files=[("bench.csv", content)], as_of=as_of)
    total = time.perf_counter() - started
    count = result.intervals
    lines.append(
        f"import (parse + check + store, one transaction): {count:,} intervals in {total:.2f} s "
        f"= {count / total:,.0f} intervals/s ({result.days_created:,} days created)"
    )
    size_after = _table_bytes()
    if size_after:
        lines.append(
            f"storage: {(size_after - size_before) / count:.2f} bytes per interval "
            f"(table + TOAST + indexes, {(size_after - size_before) / 1e6:,.0f} MB)"
        )

    # the stages apart: parse, then store into an empty day (rolled back)
    started = time.perf_counter()
    parsed = metering_data.parse_csv(content)
    parse_s = time.perf_counter() - started
    batch = import_intervals._merge([("bench.csv", parsed)])
    started = time.perf_counter()
    again = store_intervals(batch=batch, as_of=as_of)
    reimport_s = time.perf_counter() - started
    lines.append(
        f"parse only: {parse_s:.2f} s = {count / parse_s:,.0f} intervals/s; "
        f"re-import of the same data (check + compare, {again.days_unchanged:,} unchanged): "
        f"{reimport_s:.2f} s = {count / reimport_s:,.0f} intervals/s"
    )
    reset()
    started = time.perf_counter()
    with transaction.atomic():
        store_intervals(batch=batch, as_of=as_of)
    store_s = time.perf_counter() - started
    lines.append(f"store only (new day): {store_s:.2f} s = {count / store_s:,.0f} intervals/s")
    reset()
    return lines
