"""Celery tasks of billing: bill-run chunks, finishing a run started in the back office,
and the scheduler's monthly run."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from vool.usecases import bill_run

MONTHLY_TASK = "vool.billing.bill_previous_month"


@shared_task(name=bill_run.CHUNK_TASK, acks_late=True)
def run_bill_run_chunk(*, chunk_id: int, as_of: str = "") -> str:
    """Price and draft one chunk (idempotent; its state is in the database). The chunk is
    priced as of its run's data cut-off; ``as_of`` is only accepted from older messages."""
    return bill_run.run_chunk(chunk_id=chunk_id)


@shared_task(name=bill_run.FINISH_TASK, acks_late=True)
def finish_bill_run(*, run_id: int) -> str:
    """Finish a run started in the back office (resumes; running it twice is harmless)."""
    return bill_run.finish_run(run_id=run_id).status


@shared_task(name=MONTHLY_TASK)
def bill_previous_month(*, today: str | None = None) -> str:
    """The scheduler's monthly run (Celery beat, ``vool.config.celery.app.conf.beat_schedule``):
    bills the month before today. ``today`` (ISO date) is for tests and catching up."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return bill_run.bill_previous_month(today=day).status
