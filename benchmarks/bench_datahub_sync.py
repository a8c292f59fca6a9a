"""The data hub sync of METERING_DATA pages, each entry one after the other (as main does) or
overlapped (issue 15, h49: a page's entries through ``import_intervals.import_interval_pages``,
the next entry parsed in a forked process while this one is stored), against the local
stand-in hub (``tests/datahub_server.py``, a thread of this process).

Quick: 2 pages of 20 entries, each entry a day of quarter hours (IN, OUT, net) of 100
points (40 entries, 4,000 points, 384,000 quarter hours); full: 5 pages of 20 entries of 250
points. The two ways alternate (A B A B ...), each on a cleared day; wall time, this process's
CPU (the hub's thread included) and the forked workers' CPU (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

from bench_datahub_v2 import DAY, _page
from bench_intervals import _create_database, _ensure_points

PER_PAGE = 20
SINCE = dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.UTC)


def _clear() -> None:
    from vool.domain.hub.models import HubCursor, HubEntry
    from vool.domain.integrity import operations as integrity
    from vool.domain.metering.models import IntervalCorrection, IntervalDay, MeteringImport

    with integrity.maintenance(reason="benchmark reset of its own interval day"):
        IntervalCorrection.objects.filter(day=DAY).delete()
        IntervalDay.objects.filter(day=DAY).delete()
        MeteringImport.objects.filter(file_name__startswith="hub entry").delete()
    HubEntry.objects.all().delete()
    HubCursor.objects.all().delete()


def run(full: bool) -> list[str]:
    import django

    _create_database()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub
    from vool.integrations.datahub.client import HttpHub, HubConfig
    from vool.usecases import datahub

    pages, points = (5, 250) if full else (2, 100)
    entries = pages * PER_PAGE
    call_command("migrate", interactive=False, verbosity=0)
    eics = _ensure_points(entries * points)
    _clear()
    lines = [
        f"{pages} pages x {PER_PAGE} entries x {points} points x 96 quarter hours "
        f"= {entries * points * 96:,} quarter hours"
    ]
    with LocalHub() as local:
        for i in range(entries):
            content = json.loads(_page(eics[i * points : (i + 1) * points], i * points))
            local.state.publish("METERING_DATA", SINCE + dt.timedelta(seconds=i), content)
        config = HubConfig(
            base_url=local.url,
            token_url=f"{local.url}/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_version="v2",
            page_size=PER_PAGE,
        )
        for overlap in (False, True, False, True, False, True):
            settings.VOOL_DATAHUB_OVERLAP = overlap
            _clear()
            own, children = (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
            started = time.perf_counter()
            with HttpHub(config) as api:
                report = datahub.sync(
                    hub=api,
                    now=SINCE + dt.timedelta(hours=1, minutes=5),
                    since=SINCE,
                    resource_types=["METERING_DATA"],
                )
            wall = time.perf_counter() - started
            own2, children2 = (
                resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN),
            )
            cpu = own2.ru_utime + own2.ru_stime - own.ru_utime - own.ru_stime
            worker = children2.ru_utime + children2.ru_stime - children.ru_utime - children.ru_stime
            assert report.done == entries, report
            lines.append(
                f"{'overlapped' if overlap else 'one by one'}: wall {wall:.2f} s "
                f"({entries * points * 96 / wall:,.0f} qh/s), CPU here {cpu:.2f} s, "
                f"workers {worker:.2f} s"
            )
    _clear()
    return lines
