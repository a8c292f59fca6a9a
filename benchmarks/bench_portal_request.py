"""Portal CPU per request (issue 13): what one signed-in customer's overview or consumption page
costs the web process, one request at a time, so the load benchmark (``bench_portal_load``)
can be explained: the server's throughput on 2 cores is about 2 / (CPU per request).

Not timed: the data. On a database that already holds customers, or with
``VOOL_BENCH_REUSE_SEED=1``, nothing is emptied or seeded; otherwise the database is emptied
and seeded with ``VOOL_BENCH_SIZES`` (first value, default 2,000) demo customers (one month of
interval data). ``VOOL_BENCH_USERS`` (default 50) customers with a current contract get a
portal user and a signed-in session (``Client.force_login``), as in ``bench_portal_load``.

Timed: each page through Django's test client (middleware, session, sign-in, the page's reads,
the template), ``VOOL_BENCH_ROUNDS`` (default 5) rounds over the users after one warm-up round,
with ``DEBUG`` off (the cached template loader, as under gunicorn). Reported per page: the
process CPU time per request (mean and median of the rounds; the database server's CPU is not
in it), wall time, and the SQL queries a request makes.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time


def _ensure_data() -> str:
    from django.core.management import call_command

    from vool.domain.customers.models import Customer
    from vool.usecases.demo import seed

    call_command("migrate", interactive=False, verbosity=0)
    present = Customer.objects.count()
    if present and os.environ.get("VOOL_BENCH_REUSE_SEED", "1") == "1":
        return f"measured on the data already there: {present:,} customers"
    n = int(os.environ.get("VOOL_BENCH_SIZES", "2000").split(",")[0])
    call_command("flush", interactive=False, verbosity=0)
    seed.seed_demo(customers=n, seed=1, as_of=dt.date(2026, 11, 1), interval_history_days=31)
    return f"seeded {n:,} demo customers"


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from bench_portal_load import _targets
    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    lines = [f"database: {connection.vendor}", _ensure_data()]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    users = int(os.environ.get("VOOL_BENCH_USERS", "50"))
    rounds = int(os.environ.get("VOOL_BENCH_ROUNDS", "5"))
    targets = _targets(users, random.Random(13))
    pages = {
        "overview": [t.overview for t in targets],
        "consumption by month": [t.consumption for t in targets],
        "consumption by day": [f"{t.consumption}?step=day" for t in targets],
    }
    clients = []
    for target in targets:
        client = Client()
        name, value = target.cookie.split("=", 1)
        client.cookies[name] = value
        clients.append(client)
    lines.append(f"{len(targets)} signed-in customers, {rounds} rounds after a warm-up")
    with override_settings(DEBUG=False):
        for page, paths in pages.items():
            cpu_per_round: list[float] = []
            wall_per_round: list[float] = []
            queries: list[int] = []
            for number in range(rounds + 1):
                cpu = time.process_time()
                wall = time.perf_counter()
                for client, path in zip(clients, paths, strict=True):
                    response = client.get(path)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path}: HTTP {response.status_code}")
                cpu = (time.process_time() - cpu) / len(paths)
                wall = (time.perf_counter() - wall) / len(paths)
                if number:  # the first round warms the caches
                    cpu_per_round.append(cpu)
                    wall_per_round.append(wall)
            connection.force_debug_cursor = True
            for client, path in zip(clients, paths, strict=True):
                reset_queries()
                client.get(path)
                queries.append(len(connection.queries))
            connection.force_debug_cursor = False
            lines.append(
                f"{page:<22} CPU {statistics.mean(cpu_per_round) * 1000:6.2f} ms/request "
                f"(median of rounds {statistics.median(cpu_per_round) * 1000:6.2f}), "
                f"wall {statistics.median(wall_per_round) * 1000:6.2f} ms, "
                f"queries {min(queries)}-{max(queries)}"
            )
    lines.append(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    return lines
