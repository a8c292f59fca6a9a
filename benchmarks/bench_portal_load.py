"""Portal load benchmark (issue 13): signed-in customers loading the overview and consumption
pages from gunicorn on this machine, at a fixed arrival rate: must p95 < 500 ms at 50 req/s,
aim p95 < 150 ms at 200 req/s.

Not timed: the data. On a database that already holds >= 100,000 customers, or with
``VOOL_BENCH_REUSE_SEED=1``, nothing is emptied or seeded: it is measured as it is (e.g. one
seeded with ``seed_demo(customers=500_000, ..., interval_history_days=31)``: master data, 13
months of register readings for the manual points, one month of 15/60-minute data for the
remote ones). Otherwise the database is emptied and seeded with ``VOOL_BENCH_SIZES`` (first
value, default 3,000) demo customers. Tables with stale statistics are analyzed first.

Set up (not timed): ``VOOL_BENCH_USERS`` (default 2,000; quick: 500) customers with a current
contract, picked at random over the whole id range, get a portal user (made once, named
``bench-portal-<customer id>``) and a signed-in session (``Client.force_login``: a real
session row and cookie, as after the sign-in form, without hashing a password per user).

Timed: gunicorn (``VOOL_BENCH_WORKERS`` gthread workers, default 4, of ``VOOL_BENCH_THREADS``
threads, default 4; ``VOOL_DEBUG=0``,
persistent database connections ``VOOL_CONN_MAX_AGE=60``; ``VOOL_CACHE_URL`` passed on, e.g.
``redis://127.0.0.1:6379/1`` for sessions read from Redis) on 127.0.0.1, and an open-loop
asyncio client in this process (``VOOL_BENCH_CLIENT``: ``raw``, the default, HTTP/1.1 over
asyncio streams with keep-alive, 64 connections at most; or ``httpx``, the client before, to
compare) that starts a request every 1/rate seconds whatever the earlier ones are doing, for
``VOOL_BENCH_SECONDS`` (default 30; full: 60) seconds per rate in ``VOOL_BENCH_RATES``
(default ``50,200``). Each request is a random user's overview (``/portal/``) or consumption
page (``/portal/consumption/<point>/``: 12 months by month; one in four by day of the latest
month), half and half. A latency is counted from the moment the
request was due to start to the last byte (so a queue in the client counts, no coordinated
omission); an error is any status other than 200, a time-out (10 s) or a refused connection.
The load average (1 min) is read before and after each rate: the machine is shared. The CPU
time a request of gunicorn (master and workers), of the database's server processes
(PostgreSQL) and of the client is reported with each part's share of the cores.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LARGE = 100_000
PORT = int(os.environ.get("VOOL_BENCH_PORT", "8765"))
TIMEOUT_S = 10.0
CONNECTIONS = 64  # the client's connections at most


@dataclass
class Target:
    cookie: str
    overview: str
    consumption: str


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    why: dict[str, int] = field(default_factory=dict)  # status code or exception: count

    def add(self, page: str, seconds: float, problem: str) -> None:
        if not problem:
            self.latencies.setdefault(page, []).append(seconds)
        else:
            self.errors[page] = self.errors.get(page, 0) + 1
            self.why[problem] = self.why.get(problem, 0) + 1


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def _line(label: str, values: list[float], errors: int) -> str:
    if not values:
        return f"{label:<22} n=0 errors={errors}"
    ms = 1000
    return (
        f"{label:<22} n={len(values):<6} p50 {_percentile(values, 0.50) * ms:7.1f} ms"
        f"  p95 {_percentile(values, 0.95) * ms:7.1f} ms"
        f"  p99 {_percentile(values, 0.99) * ms:7.1f} ms"
        f"  max {max(values) * ms:7.1f} ms  errors {errors}"
    )


def _ensure_data() -> str:
    import datetime as dt

    from bench_backoffice import _fresh_statistics
    from django.core.management import call_command

    from vool.domain.customers.models import Customer
    from vool.usecases.demo import seed

    call_command("migrate", interactive=False, verbosity=0)
    present = Customer.objects.count()
    if present >= LARGE or os.environ.get("VOOL_BENCH_REUSE_SEED") == "1":
        return f"measured on the data already there: {present:,} customers; " + _fresh_statistics()
    n = int(os.environ.get("VOOL_BENCH_SIZES", "3000").split(",")[0])
    call_command("flush", interactive=False, verbosity=0)
    seed.seed_demo(customers=n, seed=1, as_of=dt.date(2026, 11, 1), interval_history_days=31)
    return f"seeded {n:,} demo customers; " + _fresh_statistics()


def _targets(n: int, rng: random.Random) -> list[Target]:
    """``n`` signed-in customers with a current contract: their session cookie and pages."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db.models import Max, Min
    from django.test import Client

    from vool.domain.contracts.models import SupplyContract
    from vool.domain.customers.models import Customer

    bounds = SupplyContract.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    picked = rng.sample(range(bounds["lo"], bounds["hi"] + 1), min(n * 2, bounds["hi"]))
    point_of: dict[int, int] = {}
    for customer_id, point_id in SupplyContract.objects.filter(
        pk__in=picked, valid_to__isnull=True
    ).values_list("customer_id", "metering_point_id"):
        point_of.setdefault(customer_id, point_id)
    chosen = sorted(point_of)[:n]
    users = get_user_model()
    names = {f"bench-portal-{c}": c for c in chosen}
    existing = set(users.objects.filter(username__in=names).values_list("username", flat=True))
    users.objects.bulk_create(
        [users(username=name, password="!") for name in names if name not in existing]
    )
    by_customer = {names[u.username]: u for u in users.objects.filter(username__in=names)}
    for customer_id, user in by_customer.items():
        Customer.objects.filter(pk=customer_id).update(user=user)
    targets = []
    for customer_id in chosen:
        client = Client()
        client.force_login(by_customer[customer_id])
        targets.append(
            Target(
                cookie=f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
                overview="/portal/",
                consumption=f"/portal/consumption/{point_of[customer_id]}/",
            )
        )
    return targets


def _start_gunicorn(workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VOOL_DEBUG": "0",
        "VOOL_CONN_MAX_AGE": "60",
        "PYTHONPATH": str(ROOT / "src"),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "vool.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",  # keeps the client's connections alive; sync workers close each one
        "--threads",
        os.environ.get("VOOL_BENCH_THREADS", "4"),
        "--backlog",
        "2048",
        "--preload",  # Django imported once, then the workers forked
        "--log-level",
        "warning",
    ]
    log = (ROOT / "var" / "bench_portal_gunicorn.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300  # a loaded machine imports slowly
    import httpx

    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{PORT}/portal/login/", timeout=2)
            return server
        except httpx.HTTPError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited; see var/bench_portal_gunicorn.log") from None
            time.sleep(0.5)
    _stop(server)
    raise RuntimeError("gunicorn did not answer within 300 s")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """gunicorn stopped: its graceful stop, killed when that takes over 60 s (an overloaded
    machine still serving the client's abandoned requests)."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


Request = tuple[str, str, str]  # (page label, path, cookie)


def _request_plan(targets: list[Target], count: int, rng: random.Random) -> list[Request]:
    """``count`` requests: (page label, path, cookie)."""
    plan = []
    for _ in range(count):
        target = rng.choice(targets)
        if rng.random() < 0.5:
            plan.append(("overview", target.overview, target.cookie))
        elif rng.random() < 0.25:
            plan.append(("consumption by day", f"{target.consumption}?step=day", target.cookie))
        else:
            plan.append(("consumption by month", target.consumption, target.cookie))
    return plan


async def _one(client: Any, due: float, page: str, path: str, cookie: str, out: Outcome) -> None:
    import httpx

    try:
        response = await client.get(path, headers={"Cookie": cookie})
        problem = "" if response.status_code == 200 else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        problem = type(exc).__name__
    out.add(page, time.perf_counter() - due, problem)


class RawClient:
    """HTTP/1.1 GETs over asyncio streams with keep-alive: a pool of at most ``size``
    connections to the server, a connection taken per request and given back after its last
    byte (the response needs a Content-Length, which Django's CommonMiddleware sets). A
    fraction of httpx's CPU a request: the client shares the server's 2 cores."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(size)

    async def get(self, path: str, cookie: str) -> int:
        """The status code of GET ``path`` (its body read and dropped). A kept connection
        the server has closed meanwhile (gunicorn's keep-alive ends after 2 s idle) is
        replaced by another (or a new one) when nothing of the response came back on it."""
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nCookie: {cookie}\r\n\r\n"
        ).encode("latin-1")
        async with self.slots:
            while self.free:
                reader, writer = self.free.pop()
                if reader.at_eof():
                    writer.close()
                    continue
                try:
                    return await self._exchange(reader, writer, request)
                except (ConnectionResetError, BrokenPipeError):
                    continue  # closed by the server while kept: a new connection
                except asyncio.IncompleteReadError as exc:
                    if exc.partial:
                        raise
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            return await self._exchange(reader, writer, request)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> int:
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status, length, close = _head(head)
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self.free.append((reader, writer))
        return status

    def close(self) -> None:
        for _, writer in self.free:
            writer.close()


def _head(head: bytes) -> tuple[int, int, bool]:
    """(status, Content-Length, whether the server closes) of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    fields = {name.strip().lower(): value.strip() for name, value in headers.items()}
    if "content-length" not in fields:
        raise ValueError(f"response without Content-Length: {lines[0]}")
    close = fields.get("connection", "").lower() == "close"
    return status, int(fields["content-length"]), close


async def _one_raw(
    client: RawClient, due: float, page: str, path: str, cookie: str, out: Outcome
) -> None:
    try:
        status = await asyncio.wait_for(client.get(path, cookie), TIMEOUT_S)
        problem = "" if status == 200 else f"HTTP {status}"
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        problem = type(exc).__name__
    out.add(page, time.perf_counter() - due, problem)


async def _open_loop(plan: list[Request], rate: float) -> tuple[Outcome, float]:
    """Start ``plan``'s requests one every 1/``rate`` s (``VOOL_BENCH_CLIENT``: ``raw``,
    the default, or ``httpx``)."""
    if os.environ.get("VOOL_BENCH_CLIENT", "raw") == "httpx":
        return await _open_loop_httpx(plan, rate)
    out = Outcome()
    client = RawClient(PORT, CONNECTIONS)
    tasks = []
    start = time.perf_counter()
    for i, (page, path, cookie) in enumerate(plan):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one_raw(client, due, page, path, cookie, out)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    client.close()
    return out, elapsed


async def _open_loop_httpx(plan: list[Request], rate: float) -> tuple[Outcome, float]:
    import httpx

    out = Outcome()
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", limits=limits, timeout=TIMEOUT_S
    ) as client:
        tasks = []
        start = time.perf_counter()
        for i, (page, path, cookie) in enumerate(plan):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_one(client, due, page, path, cookie, out)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return out, elapsed


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of the processes ``pids`` still there (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (14, 15)
    return found


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings of :func:`_cpu_seconds`: of the processes there at
    the end (one started on the way counts from zero; one ended on the way is not counted)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _database_backends() -> list[int]:
    """The PostgreSQL server processes of this database's other connections (the workers')."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in found]


def _measure(
    targets: list[Target], rate: float, seconds: int, rng: random.Random, server: int
) -> list[str]:
    plan = _request_plan(targets, int(rate * seconds), rng)
    load_before = os.getloadavg()[0]
    server_pids = [server, *_children(server)]
    server_cpu, client_cpu = _cpu_seconds(server_pids), time.process_time()
    database_cpu = _cpu_seconds(_database_backends())
    out, elapsed = asyncio.run(_open_loop(plan, rate))
    used = {
        "gunicorn": _cpu_used(server_cpu, _cpu_seconds(server_pids)),
        "PostgreSQL": _cpu_used(database_cpu, _cpu_seconds(_database_backends())),
        "client": time.process_time() - client_cpu,
    }
    load_after = os.getloadavg()[0]
    every = [x for values in out.latencies.values() for x in values]
    errors = sum(out.errors.values())
    lines = [
        f"-- {rate:g} req/s for {seconds} s: {len(plan)} requests in {elapsed:.1f} s, "
        f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after",
        _cpu_line(used, requests=len(plan), elapsed=elapsed),
    ]
    for page in sorted(set(out.latencies) | set(out.errors)):
        lines.append(_line(page, out.latencies.get(page, []), out.errors.get(page, 0)))
    lines.append(_line("every request", every, errors))
    if out.why:
        lines.append("errors: " + ", ".join(f"{k} x {v}" for k, v in sorted(out.why.items())))
    print("\n".join(lines), file=sys.stderr, flush=True)  # as it goes: the run is long
    return lines


def _cpu_line(cpu: dict[str, float], *, requests: int, elapsed: float) -> str:
    """CPU per request of each part, and its share of the machine's cores over the run."""
    cores = os.cpu_count() or 1
    client = os.environ.get("VOOL_BENCH_CLIENT", "raw")
    each = ", ".join(f"{name} {seconds / requests * 1000:.1f} ms" for name, seconds in cpu.items())
    share = ", ".join(f"{name} {seconds / elapsed / cores:.0%}" for name, seconds in cpu.items())
    return f"CPU a request ({client} client): {each}; share of the {cores} cores: {share}"


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    rng = random.Random(13)
    lines = [f"database: {connection.vendor}", _ensure_data()]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test Client's host
    users = int(os.environ.get("VOOL_BENCH_USERS", "2000" if full else "500"))
    started = time.perf_counter()
    targets = _targets(users, rng)
    made = time.perf_counter() - started
    lines.append(f"{len(targets):,} signed-in customers (sessions made in {made:.0f} s)")
    connection.close()  # the server's workers have the database to themselves
    workers = int(os.environ.get("VOOL_BENCH_WORKERS", "4"))
    seconds = int(os.environ.get("VOOL_BENCH_SECONDS", "60" if full else "30"))
    rates = [float(r) for r in os.environ.get("VOOL_BENCH_RATES", "50,200").split(",")]
    server = _start_gunicorn(workers)
    try:
        threads = os.environ.get("VOOL_BENCH_THREADS", "4")
        lines.append(f"gunicorn: {workers} gthread workers x {threads} threads on 127.0.0.1:{PORT}")
        # warm-up, not counted: each worker imports, opens its connection, loads templates
        asyncio.run(_open_loop(_request_plan(targets, 40, rng), 20))
        for rate in rates:
            lines += _measure(targets, rate, seconds, rng, server.pid)
    finally:
        _stop(server)
    return lines
