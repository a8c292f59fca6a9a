"""Bill runs across processes: a local process pool, a run killed with SIGKILL and resumed,
and chunks on a real Celery worker against the local Redis."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from billing_factories import add_intervals, fixed_product, remote_account
from vool.common.localtime import Month, local_midnight
from vool.domain.billing import operations, pricing
from vool.domain.billing.models import BillRun, BillRunChunk, Invoice
from vool.domain.billing.totals import invoice_totals
from vool.domain.ledger import queries as ledger_queries
from vool.domain.metering.window import DEFAULT_WINDOW
from vool.interfaces.jobs import billing as billing_jobs
from vool.usecases import bill_run
from worker_processes import database_url, redis_is_up

pytestmark = pytest.mark.django_db(transaction=True)

OCTOBER = Month(2026, 10)
BILL_DAY = dt.date(2026, 11, 5)
VOOL = Path(sys.executable).with_name("vool")


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VOOL_TASK_BROKER"}
    env.update(DATABASE_URL=database_url(), **extra)
    return env


def seed(accounts: int) -> list[int]:
    product = fixed_product()
    ids = []
    for n in range(accounts):
        contract = remote_account(product=product)
        add_intervals(contract.metering_point, OCTOBER, wh=10 * (n + 1))
        ids.append(contract.billing_account_id)
    return ids


def expected_gross(ids: list[int]) -> dict[int, Decimal]:
    """What an uninterrupted run bills: the pricing seam's lines, totalled."""
    priced = pricing.price_accounts(
        billing_account_ids=ids,
        period=OCTOBER,
        as_of=dt.datetime(2026, 11, 4, 22, tzinfo=dt.UTC),
        window=DEFAULT_WINDOW,
        limits=bill_run.guard_limits(),
    )
    return {a: invoice_totals(d.line for d in lines).gross for a, lines in priced.lines.items()}


def assert_billed_once_without_gaps(ids: list[int]) -> None:
    invoices = list(Invoice.objects.values_list("billing_account_id", "number", "gross_amount"))
    assert sorted(a for a, _, _ in invoices) == sorted(ids)  # every account once
    assert sorted(n for _, n, _ in invoices) == list(range(1, len(ids) + 1))  # no gap
    assert {a: g for a, _, g in invoices} == expected_gross(ids)
    assert ledger_queries.unbalanced_transactions() == []
    for account_id, _, gross in invoices:
        assert ledger_queries.receivable_balance(billing_account_id=account_id) == gross


def test_a_process_pool_bills_every_account_once() -> None:
    ids = seed(12)
    run = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, workers=2, chunk_size=3)
    assert run.status == "DONE" and run.invoice_count == 12
    assert run.chunks.filter(state="DONE").count() == 4
    assert_billed_once_without_gaps(ids)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_killed_mid_way_is_finished_by_resume(workers: int) -> None:
    """Killed with SIGKILL, a run's pool workers die with it (nothing is billed after it);
    resumed, it bills every account once."""
    ids = seed(10)
    process = subprocess.Popen(
        [
            str(VOOL),
            "billing",
            "run",
            "--period",
            str(OCTOBER),
            "--today",
            str(BILL_DAY),
            "--chunk-size",
            "1",
            "--pause",
            "0.4",
            "--workers",
            str(workers),
            "--no-progress",
        ],
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if BillRunChunk.objects.filter(state="DONE").count() >= 3:
                break
            assert process.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the run did not get going")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    time.sleep(0.3)  # a chunk a worker was committing as its parent died
    run = BillRun.objects.get()
    done = run.chunks.filter(state="DONE").count()
    time.sleep(1.5)  # a worker left alive would finish a chunk every 0.4 s
    assert run.chunks.filter(state="DONE").count() == done
    assert run.status == "RUNNING" and 3 <= done < 10
    assert not Invoice.objects.filter(number__isnull=False).exists()  # nothing issued yet
    with pytest.raises(Exception, match="resume"):
        bill_run.run_billing(period=OCTOBER, today=BILL_DAY)

    resumed = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, resume_run_id=run.pk)
    assert resumed.status == "DONE" and resumed.invoice_count == 10
    # only the chunks it was killed in (one a worker)
    assert resumed.chunks.filter(attempts__gt=1).count() <= workers
    assert_billed_once_without_gaps(ids)


BROKER = "redis://127.0.0.1:6379/1"

# Skipped only off CI: .ci/run starts Redis, so there a missing Redis fails the test.
needs_redis = pytest.mark.skipif(
    not redis_is_up() and not os.environ.get("CI"),
    reason="needs the local Redis on 127.0.0.1:6379",
)


@contextlib.contextmanager
def one_slot_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker with ONE slot (solo pool) on a queue of its own, on the local
    Redis and the test database; this process sends to the same queue."""
    queue = f"vool-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("VOOL_TASK_QUEUE", queue)
    monkeypatch.setenv("VOOL_TASK_BROKER", BROKER)
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [
            str(celery),
            "-A",
            "vool.config.celery",
            "worker",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel",
            "WARNING",
        ],
        env=child_env(VOOL_TASK_BROKER=BROKER, VOOL_TASK_QUEUE=queue),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def wait_until_done(seconds: float, worker: subprocess.Popen[bytes] | None = None) -> BillRun:
    """The month's run once it is DONE; fails the test when it is not within ``seconds`` (a
    deadlocked orchestration never gets there)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = BillRun.objects.filter(period=str(OCTOBER)).first()
        if run is not None and run.status == "DONE":
            return run
        if worker is not None and worker.poll() is not None:
            pytest.fail(
                f"the worker died: {worker.stderr.read().decode() if worker.stderr else ''}"
            )
        time.sleep(0.2)
    run = BillRun.objects.filter(period=str(OCTOBER)).first()
    states = list(BillRunChunk.objects.values_list("index", "state")) if run else []
    pytest.fail(
        f"the run did not end within {seconds:.0f} s (deadlock?): "
        f"{run.status if run else 'no run'}, chunks {states}"
    )


@needs_redis
def test_chunks_run_on_a_celery_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """``vool billing run`` with a broker: the command line sends the chunks and waits."""
    ids = seed(6)
    with one_slot_worker(monkeypatch):
        run = bill_run.run_billing(
            period=OCTOBER, today=BILL_DAY, chunk_size=2, broker=BROKER, celery_wait_seconds=90
        )
    assert run.status == "DONE"
    assert run.chunks.filter(state="DONE").count() == 3
    assert_billed_once_without_gaps(ids)


@needs_redis
def test_a_back_office_run_ends_on_a_one_slot_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The back office's finish task runs on the worker's only slot and must not wait for the
    chunk tasks behind it on the same queue: it dispatches them, the last one issues the run."""
    ids = seed(6)
    started = operations.create_run(
        period=OCTOBER,
        today=BILL_DAY,
        as_of=local_midnight(BILL_DAY),
        now=dt.datetime.now(dt.UTC),
        chunk_size=2,
        started_by="kati",
    )
    with one_slot_worker(monkeypatch) as worker:
        bill_run.launch_in_background(run_id=started.pk)  # what start_run does on commit
        run = wait_until_done(120, worker)
    assert run.pk == started.pk and run.invoice_count == 6
    assert run.chunks.filter(state="DONE").count() == 3 and run.report["duration_seconds"] > 0
    assert_billed_once_without_gaps(ids)


@needs_redis
def test_the_scheduled_run_ends_on_a_one_slot_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The monthly task on the worker's only slot: it creates the run, dispatches its chunk
    and returns; the chunk task then issues the run."""
    ids = seed(6)
    with one_slot_worker(monkeypatch) as worker:
        bill_run.send_task(BROKER, billing_jobs.MONTHLY_TASK, today=BILL_DAY.isoformat())
        run = wait_until_done(120, worker)
    assert (run.started_by, run.invoice_count) == ("scheduler", 6)
    assert_billed_once_without_gaps(ids)


def test_the_back_office_launcher_runs_the_run_in_a_process_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``launch_in_background`` without a broker, for real: the ``vool billing run --resume``
    process it starts (it inherits this environment, here pointed at the test database)
    finishes the run."""
    ids = seed(4)
    monkeypatch.delenv("VOOL_TASK_BROKER", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url())
    started = bill_run.start_run(period=OCTOBER, today=BILL_DAY, started_by="kati")
    run = wait_until_done(120)
    assert run.pk == started.pk and run.invoice_count == 4
    assert_billed_once_without_gaps(ids)
