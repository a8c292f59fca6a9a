"""Data hub V2 metering data with net quantities: one day of 15-minute data for N prosumer
metering points, each quarter hour with IN, OUT, net IN and net OUT (issue 15).

Full: N = 100,000 (9.6 M quarter hours = 19.2 M gross values (IN and OUT) + 9.6 M net
values); quick: N = 10,000. The V2 JSON (a bare array of points, periods with ``pS`` and the
quantities directly, kWh with 3 decimals) comes in pages of ``PAGE`` points, as the hub's
data-distribution pages do, each imported in its own transaction. Parse (bytes to columns) and
store (checks, versions, COPY) are timed apart, wall and CPU (this process; PostgreSQL's own
CPU is not in it). Storage bytes per quarter hour: the payload of the rows (values, quality,
net) and the table on disk (table + TOAST + indexes). The interval rows of the day are
deleted afterwards, so a run can be repeated.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from bench_intervals import _create_database, _ensure_points, _table_bytes

DAY = dt.date(2026, 11, 2)  # an ordinary day: 96 quarter hours
PAGE = 2_000


def _page(eics: list[str], offset: int) -> bytes:
    """V2 points: OUT 0.100..0.999 kWh; IN a daytime solar bell; net = what netting leaves."""
    from vool.common.localtime import interval_starts, local_midnight

    starts = interval_starts(
        local_midnight(DAY), local_midnight(DAY + dt.timedelta(days=1)), minutes=15
    )
    stamps = [s.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat() for s in starts]
    points = []
    for i, eic in enumerate(eics):
        n = offset + i
        periods = []
        for q, stamp in enumerate(stamps):
            out_wh = (n + q) % 900 + 100
            in_wh = max(0, 1200 - abs(q - 48) * 40) * ((n % 3) + 1) // 3
            net = out_wh - in_wh
            periods.append(
                f'{{"pS":"{stamp}","rTime":"2026-11-03T07:00:00+02:00",'
                f'"inQty":{{"rType":"M","kwh":{in_wh / 1000:.3f}}},'
                f'"outQty":{{"rType":"M","kwh":{out_wh / 1000:.3f}}},'
                f'"netQtyIn":{max(-net, 0) / 1000:.3f},"netQtyOut":{max(net, 0) / 1000:.3f}}}'
            )
        points.append(f'{{"meteringPointEic":{json.dumps(eic)},"periods":[{",".join(periods)}]}}')
    return ("[" + ",\n".join(points) + "]").encode()


def _payload_bytes() -> tuple[int, int]:
    from django.db.models import Sum
    from django.db.models.functions import Length

    from vool.domain.metering.models import IntervalDay

    rows = IntervalDay.objects.filter(day=DAY).aggregate(
        v=Sum(Length("values_wh")), q=Sum(Length("quality")), n=Sum(Length("net_wh"))
    )
    return int(rows["v"] or 0) + int(rows["q"] or 0), int(rows["n"] or 0)


def _clear() -> None:
    """Remove the benchmark's day (interval versions are guarded: lifted for this reset)."""
    from vool.domain.integrity import operations as integrity
    from vool.domain.metering.models import IntervalCorrection, IntervalDay, MeteringImport

    with integrity.maintenance(reason="benchmark reset of its own interval day"):
        IntervalCorrection.objects.filter(day=DAY).delete()
        IntervalDay.objects.filter(day=DAY).delete()
        MeteringImport.objects.filter(file_name__startswith="bench-v2").delete()


def run(full: bool) -> list[str]:
    import django

    _create_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from vool.domain.metering.interval_operations import store_intervals
    from vool.integrations.datahub import metering_data
    from vool.usecases import import_intervals

    n = 100_000 if full else 10_000
    call_command("migrate", interactive=False, verbosity=0)
    eics = _ensure_points(n)
    _clear()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL metering_intervalday")
    as_of = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)
    size_before = _table_bytes()
    parse = [0.0, 0.0]  # wall, CPU
    store = [0.0, 0.0]
    file_bytes = quarters = gross = net = 0
    pages_dir = Path(tempfile.mkdtemp(prefix="bench-v2-"))
    for offset in range(0, n, PAGE):
        content = _page(eics[offset : offset + PAGE], offset)
        (pages_dir / f"bench-v2-{offset:07d}.json").write_bytes(content)
        file_bytes += len(content)
        wall, cpu = time.perf_counter(), time.process_time()
        parsed = metering_data.parse_json(content)
        batch = import_intervals._merge([("bench.json", parsed)])
        parse[0] += time.perf_counter() - wall
        parse[1] += time.process_time() - cpu
        wall, cpu = time.perf_counter(), time.process_time()
        with transaction.atomic():
            store_intervals(batch=batch, as_of=as_of, file_name="bench-v2.json")
        store[0] += time.perf_counter() - wall
        store[1] += time.process_time() - cpu
        quarters += len(parsed.start_s) // 2
        gross += len(parsed)
        net += len(batch.net) if batch.net is not None else 0
    size_after = _table_bytes()
    payload, net_payload = _payload_bytes()
    total = parse[0] + store[0]
    _clear()
    overlapped = _overlapped(pages_dir, as_of, quarters)
    lines = [
        f"database: {connection.vendor} ({os.environ.get('DATABASE_URL', 'sqlite default')})",
        f"V2 JSON: {file_bytes / 1e6:,.0f} MB in pages of {PAGE:,} points; {n:,} prosumer points "
        f"x 96 quarter hours = {quarters:,} quarter hours ({gross:,} gross IN/OUT values, "
        f"{net:,} net values)",
        f"parse: {parse[0]:.2f} s wall, {parse[1]:.2f} s CPU = "
        f"{quarters / parse[0]:,.0f} quarter hours/s ({gross / parse[0]:,.0f} gross values/s)",
        f"store: {store[0]:.2f} s wall, {store[1]:.2f} s CPU = "
        f"{quarters / store[0]:,.0f} quarter hours/s ({gross / store[0]:,.0f} gross values/s)",
        f"parse + store: {total:.2f} s wall = {quarters / total:,.0f} quarter hours/s "
        f"({gross / total:,.0f} gross values/s)",
        f"storage per quarter hour of a prosumer point: payload "
        f"{(payload + net_payload) / quarters:.2f} bytes (IN and OUT values + quality "
        f"{payload / quarters:.2f}, net {net_payload / quarters:.2f})"
        + (
            f"; on disk {(size_after - size_before) / quarters:.2f} bytes "
            f"(table + TOAST + indexes, {(size_after - size_before) / 1e6:,.0f} MB)"
            if size_after
            else ""
        ),
        overlapped,
    ]
    _clear()
    return lines


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _overlapped(pages_dir: Path, as_of: dt.datetime, quarters: int) -> str:
    """The same pages again (the day cleared first) through ``import_interval_pages``: the
    next page parsed in a spawned process while this one is stored. Pages are read from the
    files written above, as ``vool intervals import --each`` would."""
    from vool.usecases import import_intervals

    paths = sorted(pages_dir.iterdir())
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    done = list(
        import_intervals.import_interval_pages(
            pages=((path.name, path.read_bytes()) for path in paths), as_of=as_of
        )
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    worker = _children_cpu() - children
    for path in paths:
        path.unlink()
    pages_dir.rmdir()
    if any(page.rejected for page in done):
        raise RuntimeError(f"a page was refused: {[p.rejected for p in done if p.rejected]}")
    return (
        f"overlapped (parse the next page in a second process): {wall:.2f} s wall = "
        f"{quarters / wall:,.0f} quarter hours/s; CPU {cpu:.2f} s here + {worker:.2f} s "
        f"in the parsing process"
    )
