"""The monthly bill run: start (or resume) a run, run its chunks, issue the invoices.

Chunks run in this process (``workers=1``), in a local process pool (``workers>1``), or on
Celery workers when a task broker is configured (``VOOL_TASK_BROKER``, e.g.
``redis://127.0.0.1:6379/0``). Each chunk is an idempotent unit of work, and the final step
numbers and issues every draft in one transaction, so a run killed at any point is finished by
resuming it: no duplicate, no gap in the invoice numbers, the same totals as an uninterrupted
run.

On Celery no task waits for other tasks (with one worker slot that would wait forever): the
back-office and scheduled runs are *dispatched* (:func:`dispatch_run` estimates, sends one task
a chunk and returns), and the chunk task that finds every chunk done issues the run
(:func:`run_chunk_and_finish`; idempotent, so two last chunks finishing together issue it
once). Only the command line (``vool billing run`` with a broker) waits, by polling the
database, and it is not a task.

The demo and the scheduler call :func:`run_billing`; ``vool billing run`` is a thin CLI over it.

Time: ``today`` is the issue date, ``as_of`` the data cut-off the run prices (kept by a
resume), and the audit times (run created, started, finished; chunks; invoices issued) are
the real times, read here from the clock and handed to the domain.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vool.common.localtime import Month, local_midnight
from vool.domain.billing import guard, operations, queries
from vool.domain.customers import queries as customer_queries
from vool.usecases import estimate_readings, forked
from vool.usecases.submit_reading import reading_policy

if TYPE_CHECKING:  # types only: runs and invoices are read through billing.queries
    from vool.domain.billing.models import BillRun, Invoice

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int, int], None]
Clock = Callable[[], dt.datetime]
CHUNK_TASK = "vool.billing.run_chunk"
DEFAULT_QUEUE = "vool"
CELERY_WAIT_SECONDS = 3600.0

__all__ = [
    "CHUNK_TASK",
    "NotAllowedToForce",
    "RunAlreadyStarted",
    "UnableToFinishRun",
    "credit_invoice",
    "dispatch_previous_month",
    "dispatch_run",
    "guard_limits",
    "rebill_account",
    "run_billing",
    "run_chunk",
    "run_chunk_and_finish",
    "task_broker",
]


class UnableToFinishRun(Exception):
    """Some chunks failed or never finished; the run can be resumed (the message says how)."""


def task_broker() -> str | None:
    """The Celery broker URL when one is configured (settings or environment), else None."""
    return getattr(settings, "VOOL_TASK_BROKER", None) or os.environ.get("VOOL_TASK_BROKER")


def _due_days() -> int:
    return int(getattr(settings, "VOOL_INVOICE_DUE_DAYS", 14))


def guard_limits() -> guard.GuardLimits:
    """The bill guard's limits as configured (``VOOL_BILL_GUARD_*`` settings, else the
    defaults of :class:`~vool.domain.billing.guard.GuardLimits`); the domain takes them as an
    argument and never reads the settings."""
    default = guard.GuardLimits()

    def setting(name: str, value: Decimal) -> Decimal:
        return Decimal(str(getattr(settings, f"VOOL_BILL_GUARD_{name}", value)))

    return guard.GuardLimits(
        max_line_kwh=setting("MAX_LINE_KWH", default.max_line_kwh),
        max_line_amount=setting("MAX_LINE_AMOUNT", default.max_line_amount),
        history_factor=setting("HISTORY_FACTOR", default.history_factor),
        history_floor_amount=setting("HISTORY_FLOOR_AMOUNT", default.history_floor_amount),
    )


def run_chunk(*, chunk_id: int, clock: Clock = timezone.now) -> str:
    """One chunk (the unit the process pool and the Celery task run), priced as of its run's
    data cut-off; ``clock`` stamps when it started and finished. Returns its state."""
    window = reading_policy().window
    return operations.run_chunk(
        chunk_id=chunk_id, clock=clock, window=window, limits=guard_limits()
    ).state


def run_chunk_and_finish(*, chunk_id: int, clock: Clock = timezone.now) -> str:
    """What the Celery chunk task does: run the chunk, then, when it was the run's last one
    (every chunk done), issue the run. Issuing is idempotent and locked, so a message
    delivered twice or two last chunks finishing together issue the run once."""
    window = reading_policy().window
    chunk = operations.run_chunk(
        chunk_id=chunk_id, clock=clock, window=window, limits=guard_limits()
    )
    if chunk.state == chunk.State.DONE:
        operations.issue_run_if_complete(run_id=chunk.run_id, now=clock())
    return chunk.state


def _chunk_in_child(chunk_id: int, pause_seconds: float) -> str:
    try:
        state = run_chunk(chunk_id=chunk_id)
    except Exception as exc:  # recorded on the chunk (FAILED); the run goes on
        logger.exception("Bill run chunk %s failed", chunk_id)
        return f"FAILED: {exc}"
    finally:
        connections.close_all()
    if pause_seconds:
        time.sleep(pause_seconds)
    return state


def _report(run_id: int, on_progress: ProgressCallback) -> None:
    progress = queries.run_progress(run_id=run_id)
    on_progress("billing accounts", progress.accounts_done, max(progress.accounts, 1))


def _run_inline(
    chunk_ids: Sequence[int],
    run_id: int,
    clock: Clock,
    on_progress: ProgressCallback,
    pause_seconds: float,
) -> None:
    for chunk_id in chunk_ids:
        try:
            run_chunk(chunk_id=chunk_id, clock=clock)
        except Exception:
            logger.exception("Bill run chunk %s failed", chunk_id)
        _report(run_id, on_progress)
        if pause_seconds:
            time.sleep(pause_seconds)


def _run_pool(
    chunk_ids: Sequence[int],
    run_id: int,
    workers: int,
    on_progress: ProgressCallback,
    pause_seconds: float,
) -> None:
    # children are forked: each sets aside the connection it inherits and opens its own, and
    # dies with this process (a killed run leaves no worker billing on; resume finishes it)
    connections.close_all()
    with forked.forked_pool(workers) as pool:
        futures = [pool.submit(_chunk_in_child, cid, pause_seconds) for cid in chunk_ids]
        for future in futures:
            future.result()
            _report(run_id, on_progress)


def _run_celery(
    chunk_ids: Sequence[int],
    run_id: int,
    broker: str,
    on_progress: ProgressCallback,
    wait_seconds: float,
) -> None:
    for chunk_id in chunk_ids:
        send_task(broker, CHUNK_TASK, chunk_id=chunk_id)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        progress = queries.run_progress(run_id=run_id)
        on_progress("billing accounts", progress.accounts_done, max(progress.accounts, 1))
        if progress.chunks_done + progress.chunks_failed >= progress.chunks:
            return
        time.sleep(0.2)


def send_task(broker: str, name: str, **kwargs: Any) -> None:
    """Send task ``name`` to the workers' queue (``VOOL_TASK_QUEUE``, default ``vool``) from a
    process that is not a worker (the command line, the back office)."""
    from celery import Celery  # only needed when a broker is configured

    queue = os.environ.get("VOOL_TASK_QUEUE", DEFAULT_QUEUE)
    with Celery("vool-billing-client", broker=broker) as client:
        client.send_task(name, kwargs=kwargs, queue=queue)


def _estimate_missing_readings(
    *, run_id: int, period: Month, as_of: dt.datetime, on_progress: ProgressCallback
) -> None:
    """Estimate the month's missing readings; each register on its own. What was estimated
    and which registers failed (with the reason) are kept on the run's report; the accounts
    of failed registers become run exceptions that give that reason."""
    on_progress("estimating readings", 0, 1)
    try:
        estimated = estimate_readings.estimate_period(month=period, as_of=as_of)
    except estimate_readings.UnableToSubmitReading:
        pass  # the reading window is still open: manual points wait for a run after it
    except Exception as exc:
        # the step as a whole failed: kept on the run; the manual points it did not reach
        # become run exceptions that say so, and the run goes on
        logger.exception("Estimating the %s readings failed; billing without them", period)
        error = f"{type(exc).__name__}: {exc}"[:500]
        operations.record_estimation(run_id=run_id, summary={"period": str(period), "error": error})
    else:
        operations.record_estimation(run_id=run_id, summary=estimated.summary())
    on_progress("estimating readings", 1, 1)


def run_billing(
    *,
    period: Month,
    today: dt.date,
    workers: int = 1,
    as_of: dt.datetime | None = None,
    resume_run_id: int | None = None,
    forced_by: str = "",
    forced_reason: str = "",
    chunk_size: int = operations.DEFAULT_CHUNK_SIZE,
    broker: str | None = None,
    on_progress: ProgressCallback | None = None,
    pause_seconds: float = 0.0,
    celery_wait_seconds: float = CELERY_WAIT_SECONDS,
    estimate: bool = True,
    started_by: str = "",
    clock: Clock = timezone.now,
) -> BillRun:
    """Bill ``period`` (or resume run ``resume_run_id``) and return the finished run.

    ``today`` is the issue date and decides the billing window (days 1-9 of the next month;
    ``forced_by`` and ``forced_reason`` force a run outside it). ``as_of`` (default: midnight
    starting ``today``, Tallinn) is the data cut-off: the run bills the data known then, and a
    resume keeps the run's own. ``clock`` gives the audit times. ``broker`` (default:
    ``VOOL_TASK_BROKER``) sends the chunks to Celery workers; otherwise ``workers`` processes
    run them. ``pause_seconds`` waits after each chunk (for demonstrations and tests).
    """
    progress = on_progress or (lambda step, done, total: None)
    started = time.perf_counter()
    as_of = as_of or local_midnight(today)
    broker = broker if broker is not None else task_broker()
    if resume_run_id is not None:
        run = queries.get_run(run_id=resume_run_id)
        if run.period != str(period):
            raise UnableToFinishRun(f"Run {run.pk} bills {run.period}, not {period}.")
        if run.status == run.Status.DONE:
            return run
        if run.status == run.Status.ABANDONED:
            raise UnableToFinishRun(f"Run {run.pk} was abandoned; start a new run.")
    else:
        run = _create_run(
            period=period,
            today=today,
            as_of=as_of,
            now=clock(),
            due_days=_due_days(),
            chunk_size=chunk_size,
            workers=workers,
            forced_by=forced_by,
            started_by=started_by,
            forced_reason=forced_reason,
        )
    operations.mark_running(run_id=run.pk, now=clock())
    chunk_ids = queries.unfinished_chunk_ids(run_id=run.pk)
    if estimate and chunk_ids:
        _estimate_missing_readings(
            run_id=run.pk, period=period, as_of=run.as_of, on_progress=progress
        )
    _report(run.pk, progress)
    if chunk_ids:
        if broker:
            _run_celery(chunk_ids, run.pk, broker, progress, celery_wait_seconds)
        elif workers > 1 and len(chunk_ids) > 1:
            _run_pool(chunk_ids, run.pk, workers, progress, pause_seconds)
        else:
            _run_inline(chunk_ids, run.pk, clock, progress, pause_seconds)
    state = queries.run_progress(run_id=run.pk)
    if state.chunks_done < state.chunks:
        raise UnableToFinishRun(
            f"{state.chunks - state.chunks_done} of {state.chunks} chunks of run {run.pk} did not "
            f"finish ({state.chunks_failed} failed; see the chunks in the back office). Fix the "
            f"cause and resume: `vool billing run --period {period} --resume {run.pk}`."
        )
    progress("issuing invoices", 0, 1)
    # on Celery the last chunk's task may have issued the run already: then this returns it
    run = operations.issue_run_if_complete(
        run_id=run.pk, now=clock(), seconds=time.perf_counter() - started
    )
    progress("issuing invoices", 1, 1)
    return run


def dispatch_run(
    *,
    run_id: int,
    send_chunk: Callable[[int], None],
    estimate: bool = True,
    clock: Clock = timezone.now,
) -> BillRun:
    """Hand the rest of run ``run_id`` to the task workers and return without waiting: mark
    it running, estimate the month's missing readings, and ``send_chunk`` each unfinished
    chunk (the chunk task that completes the run issues it, :func:`run_chunk_and_finish`).
    A run with nothing left to run is issued here. Idempotent: dispatching again resends the
    unfinished chunks, and a chunk already done is not run again."""
    run = queries.get_run(run_id=run_id)
    if run.status in (run.Status.DONE, run.Status.ABANDONED):
        return run
    operations.mark_running(run_id=run_id, now=clock())
    chunk_ids = queries.unfinished_chunk_ids(run_id=run_id)
    if not chunk_ids:
        return operations.issue_run_if_complete(run_id=run_id, now=clock())
    if estimate:
        _estimate_missing_readings(
            run_id=run_id,
            period=Month.parse(run.period),
            as_of=run.as_of,
            on_progress=lambda step, done, total: None,
        )
    for chunk_id in chunk_ids:
        send_chunk(chunk_id)
    return queries.get_run(run_id=run_id)


def credit_invoice(
    *, number: int, reason: str, today: dt.date, user: str = "", clock: Clock = timezone.now
) -> Invoice:
    """Credit invoice ``number`` with a note dated ``today`` (issued now)."""
    return operations.credit_invoice(
        number=number, reason=reason, today=today, now=clock(), created_by=user
    )


def rebill_account(
    *,
    reference_or_id: str,
    period: Month,
    today: dt.date,
    as_of: dt.datetime | None = None,
    reason: str = "Rebill",
    user: str = "",
    clock: Clock = timezone.now,
) -> Invoice:
    """Rebill one account, found by its reference number (or its id), on the data known at
    ``as_of`` (default: midnight starting ``today``), dated ``today``, issued now."""
    account = customer_queries.find_billing_account(reference_number=reference_or_id)
    if account is None and reference_or_id.isdigit():
        account = customer_queries.get_billing_account(billing_account_id=int(reference_or_id))
    if account is None:
        raise operations.UnableToRebill(f"No billing account with reference {reference_or_id}.")
    return operations.rebill_account(
        billing_account_id=account.pk,
        period=period,
        today=today,
        as_of=as_of or local_midnight(today),
        now=clock(),
        due_days=_due_days(),
        reason=reason,
        created_by=user,
        window=reading_policy().window,
        limits=guard_limits(),
    )


FINISH_TASK = "vool.billing.finish_run"


class RunAlreadyStarted(operations.UnableToStartRun):
    """A run of the month is already going: started earlier, or by another start at the same
    instant that won the race (the database lets only one active run a month exist).
    ``run`` is that run."""

    def __init__(self, run: BillRun) -> None:
        self.run = run
        super().__init__(
            _(
                "Run %(id)s of %(period)s, started by %(who)s, is already in progress; no "
                "second run was started. If it stopped, resume it: "
                "`vool billing run --period %(period)s --resume %(id)s`."
            )
            % {
                "id": run.pk,
                "period": run.period,
                "who": run.started_by or run.forced_by or _("the command line"),
            }
        )


class NotAllowedToForce(operations.UnableToStartRun):
    """The person named to force a run is not a user, or may not force runs."""


def may_force_runs(user: Any) -> bool:
    """Who may force a bill run outside the billing window: an active superuser."""
    return bool(user is not None and user.is_active and user.is_superuser)


def user_who_may_force(*, username: str) -> Any:
    """The user named to force a run (``vool billing run --force --user NAME``), who must
    exist and may force runs (:func:`may_force_runs`)."""
    users = get_user_model()
    try:
        user = users.objects.get_by_natural_key(username.strip())
    except users.DoesNotExist as exc:
        raise NotAllowedToForce(
            _("There is no user %(name)s: name the user who forces the run.")
            % {"name": repr(username)}
        ) from exc
    if not may_force_runs(user):
        raise NotAllowedToForce(
            _("%(name)s may not force a bill run: only an active superuser may.")
            % {"name": user.get_username()}
        )
    return user


def _create_run(*, period: Month, **kwargs: Any) -> BillRun:
    """``operations.create_run``; when another run of ``period`` is active (also one that
    committed between our check and our insert, which the unique constraint refuses), say so
    with :class:`RunAlreadyStarted` instead of a database error."""
    forced_by = kwargs.get("forced_by") or ""
    if forced_by or kwargs.get("forced_reason"):
        # who may force is decided here, for every interface (CLI, back office, jobs)
        kwargs["forced_by"] = user_who_may_force(username=forced_by).get_username()
    try:
        return operations.create_run(period=period, **kwargs)
    except (IntegrityError, operations.UnableToStartRun) as exc:
        winner = queries.active_run(period=period)
        if winner is None:
            raise
        raise RunAlreadyStarted(winner) from exc


def start_run(
    *,
    period: Month,
    today: dt.date,
    started_by: str,
    force_reason: str = "",
    workers: int = 1,
) -> BillRun:
    """Start a run from the back office: the run and its chunks are created now (so a refusal,
    e.g. outside the billing window, is answered at once) and finished in the background,
    on Celery when a broker is configured, else by a ``vool billing run --resume`` process.
    Forcing records ``started_by`` as the one who forced it, with the reason. A second start
    of the same month (a double submit) raises :class:`RunAlreadyStarted` naming the run."""
    run = _create_run(
        period=period,
        today=today,
        as_of=local_midnight(today),
        now=timezone.now(),
        due_days=_due_days(),
        workers=workers,
        forced_by=started_by if force_reason else "",
        forced_reason=force_reason,
        started_by=started_by,
    )
    transaction.on_commit(lambda: launch_in_background(run_id=run.pk))
    return run


def launch_in_background(*, run_id: int) -> None:
    """Finish run ``run_id`` outside this process (idempotent: it resumes): on Celery the
    finish task dispatches its chunks (:func:`dispatch_run`), else a ``vool billing run
    --resume`` process runs it to the end."""
    run = queries.get_run(run_id=run_id)
    broker = task_broker()
    if broker:
        send_task(broker, FINISH_TASK, run_id=run_id)
        return
    log_dir = settings.VAR_DIR / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"bill-run-{run_id}.log", "ab") as log:
        subprocess.Popen(  # noqa: S603 - our own command, arguments from the database
            [
                sys.executable,
                "-m",
                "vool",
                "billing",
                "run",
                "--period",
                run.period,
                "--today",
                run.issue_date.isoformat(),
                "--resume",
                str(run_id),
                "--workers",
                str(run.workers),
                "--no-progress",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def finish_run(*, run_id: int) -> BillRun:
    """Run the rest of a started run (what the background process or task does)."""
    run = queries.get_run(run_id=run_id)
    return run_billing(
        period=Month.parse(run.period),
        today=run.issue_date,
        resume_run_id=run_id,
        workers=run.workers,
    )


def bill_previous_month(*, today: dt.date, started_by: str = "scheduler") -> BillRun:
    """The monthly run in this process: bill the month before ``today``."""
    return run_billing(period=Month.of(today).previous(), today=today, started_by=started_by)


def dispatch_previous_month(
    *, today: dt.date, send_chunk: Callable[[int], None], started_by: str = "scheduler"
) -> BillRun:
    """The scheduler's monthly run on the task workers: create the run of the month before
    ``today`` and dispatch it (:func:`dispatch_run`; returns without waiting)."""
    run = _create_run(
        period=Month.of(today).previous(),
        today=today,
        as_of=local_midnight(today),
        now=timezone.now(),
        due_days=_due_days(),
        started_by=started_by,
    )
    return dispatch_run(run_id=run.pk, send_chunk=send_chunk)
