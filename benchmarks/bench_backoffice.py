"""Back-office benchmark: the search box and the 360° customer page (issue 14: with 500,000
customers in PostgreSQL, search p95 must < 300 ms, aim < 50 ms; the 360° page p95 must
< 500 ms, aim < 150 ms).

Not timed: the data. On a database that already holds >= 100,000 customers, or with
``VOOL_BENCH_REUSE_SEED=1``, nothing is emptied or seeded: it is measured as it is (e.g. the
500,000-customer ``vool_bench500``). Otherwise the database is emptied and seeded with a few
thousand demo customers (:func:`vool.usecases.demo.seed.seed_demo`).
Timed: each request through Django's test Client, signed in as a superuser staff user
(``bench-backoffice``, created if missing): wall time (perf_counter), this process's CPU
(process_time) and the number of SQL queries. Search: for each kind of identifier (a name
fragment without and with Estonian letters, personal code, reference number, EIC, invoice
number, payer IBAN, phone, e-mail) values sampled from the database; the 360° page of random
customers.

Quick: 40 requests per kind. Full: 200.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ESTONIAN = "õäöüšžÕÄÖÜŠŽ"
LARGE = 100_000


@dataclass
class Timings:
    wall: list[float]
    cpu: list[float]
    queries: list[int]

    def line(self, label: str) -> str:
        wall = sorted(self.wall)
        p95 = wall[max(0, round(0.95 * len(wall)) - 1)]
        return (
            f"{label:<22} n={len(wall):<4} wall p50 {statistics.median(wall) * 1000:7.1f} ms"
            f"  p95 {p95 * 1000:7.1f} ms  max {wall[-1] * 1000:7.1f} ms"
            f"  cpu/req {statistics.mean(self.cpu) * 1000:6.1f} ms"
            f"  queries/req {statistics.mean(self.queries):5.1f} (max {max(self.queries)})"
        )

    def p95(self) -> float:
        wall = sorted(self.wall)
        return wall[max(0, round(0.95 * len(wall)) - 1)]


def _measure(client: Any, urls: list[str]) -> Timings:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    timings = Timings([], [], [])
    for url in urls:
        reset_queries()  # the query log keeps 9,000: counting past it would give 0
        with CaptureQueriesContext(connection) as captured:
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.wall.append(time.perf_counter() - started)
            timings.cpu.append(time.process_time() - cpu)
        assert response.status_code in (200, 302), (url, response.status_code)
        timings.queries.append(len(captured.captured_queries))
    return timings


def _ensure_data() -> str:
    from django.core.management import call_command

    from vool.domain.customers.models import Customer
    from vool.usecases.demo import seed

    call_command("migrate", interactive=False, verbosity=0)
    present = Customer.objects.count()
    if present >= LARGE or os.environ.get("VOOL_BENCH_REUSE_SEED") == "1":
        return f"measured on the data already there: {present} customers; " + _fresh_statistics()
    n = int(os.environ.get("VOOL_BENCH_SIZES", "3000").split(",")[0])
    call_command("flush", interactive=False, verbosity=0)
    seed.seed_demo(customers=n, seed=1, as_of=dt.date(2026, 10, 1), history_months=2)
    return f"seeded {n} demo customers"


def _fresh_statistics() -> str:
    """ANALYZE the tables changed by more than a tenth since their last analysis, as
    autovacuum would (it is off on some servers, e.g. the development one: the bill run's
    issuing left stale statistics and the 360° page's invoice query a 1 s plan)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables"
            " WHERE n_mod_since_analyze > 0.1 * greatest(n_live_tup, 1000)"
        )
        stale = [name for (name,) in cursor.fetchall()]
        for name in stale:
            cursor.execute(f'ANALYZE "{name}"')
    return f"analyzed {len(stale)} tables with stale statistics"


def _sample(model: Any, field: str, n: int, rng: random.Random) -> list[Any]:
    """Up to ``n`` non-empty values of ``field`` from rows picked at random by id range."""
    from django.db.models import Max, Min

    bounds = model.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return []
    span = range(bounds["lo"], bounds["hi"] + 1)
    pks = rng.sample(span, min(len(span), n * 4))
    values = [
        v
        for v in model.objects.filter(pk__in=pks).values_list(field, flat=True)
        if v not in (None, "")
    ]
    rng.shuffle(values)
    return values[:n]


def _fragment(name: str, rng: random.Random, must: Callable[[str], bool]) -> str:
    """A 4-6 character piece of one word of ``name`` for which ``must`` holds."""
    words = [w for w in name.split() if len(w) >= 4 and must(w)]
    word = rng.choice(words)
    size = min(len(word), rng.randint(4, 6))
    starts = [i for i in range(len(word) - size + 1) if must(word[i : i + size])]
    start = rng.choice(starts)
    return word[start : start + size]


def _queries(n: int, rng: random.Random) -> dict[str, list[str]]:
    from vool.domain.billing.models import Invoice
    from vool.domain.customers.models import BillingAccount, Customer
    from vool.domain.receivables.models import Payment
    from vool.domain.supply.models import MeteringPoint

    names = _sample(Customer, "name", n * 20, rng)
    plain = [x for x in names if any(len(w) >= 4 for w in x.split())]
    has_et = lambda s: any(c in ESTONIAN for c in s)  # noqa: E731
    estonian = [x for x in names if any(len(w) >= 4 and has_et(w) for w in x.split())]
    ibans = _sample(Payment, "payer_iban", n, rng) or [
        # no payments in the database: well-formed IBANs that match nothing (an index miss)
        f"EE{rng.randint(10, 99)}22{rng.randint(10**13, 10**14 - 1)}"
        for _ in range(n)
    ]
    return {
        "name": [_fragment(x, rng, lambda s: True) for x in plain[:n]],
        "name (õäöüšž)": [_fragment(x, rng, has_et) for x in estonian[:n]],
        "personal code": _sample(Customer, "personal_code", n, rng),
        "reference number": _sample(BillingAccount, "reference_number", n, rng),
        "EIC": _sample(MeteringPoint, "eic", n, rng),
        "invoice number": [str(x) for x in _sample(Invoice, "number", n, rng)],
        "payer IBAN": ibans,
        "phone": _sample(Customer, "phone", n, rng),
        "e-mail": _sample(Customer, "email", n, rng),
    }


def _client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, created = get_user_model().objects.get_or_create(
        username="bench-backoffice", defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        user.set_unusable_password()
        user.save()
    client = Client()
    client.force_login(user)
    return client


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from urllib.parse import urlencode

    from django.db import connection
    from django.urls import reverse

    from vool.domain.customers.models import Customer

    n = 200 if full else 40
    rng = random.Random(14)
    lines = [f"database: {connection.vendor}", _ensure_data()]
    client = _client()
    search_url = reverse("backoffice:search")
    every: Timings = Timings([], [], [])
    for kind, values in _queries(n, rng).items():
        if not values:
            lines.append(f"search {kind}: none in the database, not measured")
            continue
        urls = [f"{search_url}?{urlencode({'q': v})}" for v in values]
        _measure(client, urls[:3])  # warm the connection, templates and translations
        timings = _measure(client, urls)
        lines.append(timings.line(f"search {kind}"))
        every.wall += timings.wall
        every.cpu += timings.cpu
        every.queries += timings.queries
    lines.append(every.line("search, every kind"))
    customers = _sample(Customer, "pk", n, rng)
    urls = [reverse("backoffice:customer", args=[pk]) for pk in customers]
    _measure(client, urls[:3])
    page = _measure(client, urls)
    lines.append(page.line("360° customer page"))
    lines.append(
        f"search p95 {every.p95() * 1000:.1f} ms (must < 300, aim < 50); "
        f"360° p95 {page.p95() * 1000:.1f} ms (must < 500, aim < 150)"
    )
    return lines
