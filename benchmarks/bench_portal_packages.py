"""Package comparison on the portal (issue 13: must p95 < 300 ms, aim < 100 ms), reading the
customer's year of data included.

Seeded (not timed): ``seed_demo`` with 13 months of history up to the first of this month:
month-end register readings for manual points and full 15/60-minute interval data for the
remote ones (quick: 600 customers; full: 3,000), the default tariffs, the demo packages and
synthetic market prices. Timed: ``GET /portal/contracts/<id>/packages/`` through Django's
test client (sessions, middleware, the calculator over the point's 12 months of data from the
database, every package priced, the template rendered) for a sample of signed-in customers,
one request each after one warm-up request. Reported: wall-time p50/p95/max per request and
the CPU time of this process (the database server's CPU is not in it).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from vool.domain.contracts.models import SupplyContract
    from vool.domain.metering.models import IntervalDay
    from vool.usecases.demo import seed

    customers = 3_000 if full else 600
    sample = 200 if full else 100
    today = timezone.localdate()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    result = seed.seed_demo(customers=customers, seed=1, as_of=today.replace(day=1))
    seeded = time.perf_counter() - started

    setup_test_environment()  # the test client's host and e-mail settings
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    contracts = list(
        SupplyContract.objects.filter(valid_to__isnull=True)
        .select_related("customer", "metering_point")
        .order_by("pk")
    )
    chosen = random.Random(7).sample(contracts, min(sample, len(contracts)))
    users = get_user_model()
    timings: list[float] = []
    cpu_total = 0.0
    remote = 0
    for number, contract in enumerate(chosen):
        customer = contract.customer
        if customer.user_id is None:
            customer.user = users.objects.create_user(f"bench{number}", password=None)
            customer.save(update_fields=["user"])
        client = Client()
        client.force_login(customer.user)
        url = f"/portal/contracts/{contract.pk}/packages/"
        if number == 0:
            assert client.get(url).status_code == 200  # warm-up: imports, template cache
        cpu = time.process_time()
        t0 = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - t0)
        cpu_total += time.process_time() - cpu
        assert response.status_code == 200, (url, response.status_code)
        remote += contract.metering_point.metering_method == "REMOTE_INTERVAL"
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    ms = 1000
    return [
        f"database: {connection.vendor} ({os.environ.get('DATABASE_URL', 'sqlite default')})",
        f"seeded {result.customers:,} customers, {result.contracts:,} contracts, "
        f"{result.readings:,} readings, {IntervalDay.objects.count():,} interval days "
        f"(13 months) in {seeded:.0f} s (not timed)",
        f"{len(timings)} comparisons ({remote} remote-read points with 12 months of 15/60-min "
        f"data, {len(timings) - remote} manual), one signed-in request each",
        f"wall: p50 {statistics.median(timings) * ms:.0f} ms, p95 {p95 * ms:.0f} ms, "
        f"max {timings[-1] * ms:.0f} ms (must p95 < 300 ms, aim < 100 ms)",
        f"CPU of the web process: {cpu_total / len(timings) * ms:.0f} ms a request on average "
        f"(the machine is shared by other work)",
        f"measured on {dt.date.today().isoformat()}",
    ]
