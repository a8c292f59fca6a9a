"""A run's progress is counted from the chunks' stored account counts, not their id lists
(it is polled while a run goes: at 500,000 accounts the lists are about 3.5 MB a poll)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing_factories import add_intervals, fixed_product, remote_account
from vool.common.localtime import Month, local_midnight
from vool.domain.billing import operations, queries
from vool.domain.billing.models import BillRunChunk

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
BILL_DAY = dt.date(2026, 11, 5)


def test_progress_counts_chunks_and_accounts_without_reading_the_ids() -> None:
    product = fixed_product()
    for _ in range(5):
        add_intervals(remote_account(product=product).metering_point, OCTOBER)
    run = operations.create_run(
        period=OCTOBER,
        today=BILL_DAY,
        as_of=local_midnight(BILL_DAY),
        now=dt.datetime(2026, 11, 5, 8, tzinfo=dt.UTC),
        chunk_size=2,
    )
    assert list(run.chunks.values_list("account_count", flat=True)) == [2, 2, 1]
    chunks = list(run.chunks.order_by("index"))
    BillRunChunk.objects.filter(pk=chunks[0].pk).update(state=BillRunChunk.State.DONE)
    BillRunChunk.objects.filter(pk=chunks[2].pk).update(state=BillRunChunk.State.FAILED)

    with CaptureQueriesContext(connection) as captured:
        progress = queries.run_progress(run_id=run.pk)

    assert progress == queries.RunProgress(
        chunks=3, chunks_done=1, chunks_failed=1, accounts=5, accounts_done=2
    )
    assert len(captured) == 1
    assert "account_ids" not in captured[0]["sql"]


def test_a_run_without_chunks_has_no_progress() -> None:
    assert queries.run_progress(run_id=999) == queries.RunProgress(0, 0, 0, 0, 0)
