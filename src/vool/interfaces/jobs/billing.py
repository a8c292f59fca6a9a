"""Celery tasks of billing: bill-run chunks, finishing a run started in the back office,
and the scheduler's monthly run.

No task waits for another task (with one worker slot that would wait forever): the finish and
monthly tasks dispatch the run's chunks and return, and the chunk task that completes the run
issues it (see :mod:`vool.usecases.bill_run`)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from vool.usecases import bill_run

MONTHLY_TASK = "vool.billing.bill_previous_month"


@shared_task(name=bill_run.CHUNK_TASK, acks_late=True)
def run_bill_run_chunk(*, chunk_id: int, as_of: str = "") -> str:
    """Price and draft one chunk (idempotent; its state is in the database), and issue the run
    when it was the last chunk to finish. The chunk is priced as of its run's data cut-off;
    ``as_of`` is only accepted from older messages."""
    return bill_run.run_chunk_and_finish(chunk_id=chunk_id)


def _send_chunk(chunk_id: int) -> None:
    """Queue one chunk on this worker's app (its broker and default queue)."""
    run_bill_run_chunk.apply_async(kwargs={"chunk_id": chunk_id})


@shared_task(name=bill_run.FINISH_TASK, acks_late=True)
def finish_bill_run(*, run_id: int) -> str:
    """Finish a run started in the back office: dispatch its unfinished chunks and return
    (running it twice is harmless)."""
    return bill_run.dispatch_run(run_id=run_id, send_chunk=_send_chunk).status


@shared_task(name=MONTHLY_TASK)
def bill_previous_month(*, today: str | None = None) -> str:
    """The scheduler's monthly run (Celery beat, ``vool.config.celery.app.conf.beat_schedule``):
    starts the run of the month before today and dispatches its chunks. ``today`` (ISO date)
    is for tests and catching up."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return bill_run.dispatch_previous_month(today=day, send_chunk=_send_chunk).status
