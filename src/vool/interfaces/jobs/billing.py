"""Celery tasks of billing: one bill-run chunk per task."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from vool.usecases import bill_run


@shared_task(name=bill_run.CHUNK_TASK, acks_late=True)
def run_bill_run_chunk(*, chunk_id: int, as_of: str) -> str:
    """Price and draft one chunk (idempotent; its state is in the database)."""
    return bill_run.run_chunk(chunk_id=chunk_id, as_of=dt.datetime.fromisoformat(as_of))
