"""Celery tasks of documents: one chunk of the month's invoice render."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from celery import shared_task

from vool.usecases import render_invoices


@shared_task(name=render_invoices.RENDER_TASK, acks_late=True, ignore_result=False)
def render_invoice_chunk(*, invoice_ids: list[int], as_of: str) -> dict[str, Any]:
    """Render the invoices of one chunk that have no PDF yet (idempotent: an invoice already
    rendered is skipped); returns the chunk's outcome (rendered, failures, bytes) to the
    caller, which waits for it outside any task."""
    result = render_invoices.render_chunk(
        invoice_ids=invoice_ids, as_of=dt.datetime.fromisoformat(as_of)
    )
    return dataclasses.asdict(result)
