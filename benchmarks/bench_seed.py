"""Seeding benchmark: ``vool demo seed`` at scale on the configured database.

Full: 100,000 customers (target: under 5 minutes on PostgreSQL, aim under 1) with all master
data, 13 months of register readings for manual points and ``INTERVAL_DAYS`` days of 15/60-min
interval data for the remote points (13 months of interval data for 80,000 points would be
about 3 billion values; see DESIGN.md). Quick: 5,000 customers.
"""

from __future__ import annotations

import datetime as dt
import os
import time

INTERVAL_DAYS = 1


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from vool.usecases.demo import seed

    customers = 100_000 if full else 5_000
    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    result = seed.seed_demo(
        customers=customers,
        seed=1,
        as_of=dt.date(2026, 11, 1),
        interval_history_days=INTERVAL_DAYS,
    )
    seconds = time.perf_counter() - started
    return [
        f"database: {connection.vendor} ({os.environ.get('DATABASE_URL', 'sqlite default')})",
        f"seeded {result.customers:,} customers, {result.billing_accounts:,} accounts, "
        f"{result.metering_points:,} metering points, {result.meters:,} meters, "
        f"{result.contracts:,} contracts, {result.readings:,} readings (13 months), "
        f"{result.interval_days:,} interval days ({INTERVAL_DAYS} day of 15/60-min data)",
        f"time: {seconds:.1f} s = {result.customers / seconds:,.0f} customers/s",
    ]
