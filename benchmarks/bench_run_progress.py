"""One poll of a bill run's progress at 500,000 accounts (100 chunks of 5,000, half done):
the id lists read and counted (before issue 10) against ``billing.queries.run_progress``
(one grouped count over the stored counts). Writes a throw-away run and deletes it.

    DATABASE_URL=postgres://... .venv/bin/vool shell -c \
        "exec(open('benchmarks/bench_run_progress.py').read())"
"""

import datetime as dt
import time

from django.db import transaction

from vool.domain.billing import queries
from vool.domain.billing.models import BillRun, BillRunChunk

ACCOUNTS, SIZE, POLLS = 500_000, 5_000, 20
START = dt.datetime(1999, 2, 4, tzinfo=dt.UTC)

with transaction.atomic():
    run = BillRun.objects.create(
        period="1999-01",
        status="RUNNING",
        issue_date=dt.date(1999, 2, 5),
        due_date=dt.date(1999, 2, 19),
        as_of=START,
        created_at=START,
        account_count=ACCOUNTS,
        chunk_size=SIZE,
    )
    ids = list(range(10_000_000, 10_000_000 + ACCOUNTS))
    BillRunChunk.objects.bulk_create(
        BillRunChunk(
            run=run,
            index=n,
            account_ids=ids[i : i + SIZE],
            account_count=SIZE,
            first_account_id=ids[i],
            last_account_id=ids[i + SIZE - 1],
            state="DONE" if n % 2 else "PENDING",
        )
        for n, i in enumerate(range(0, ACCOUNTS, SIZE))
    )


def parse_id_lists() -> tuple[int, int]:
    chunks = list(BillRunChunk.objects.filter(run_id=run.pk).values_list("state", "account_ids"))
    return sum(len(i) for _, i in chunks), sum(len(i) for s, i in chunks if s == "DONE")


def stored_counts() -> tuple[int, int]:
    progress = queries.run_progress(run_id=run.pk)
    return progress.accounts, progress.accounts_done


try:
    for name, poll in (("id lists", parse_id_lists), ("stored counts", stored_counts)):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(POLLS):
            result = poll()
        print(
            f"{name:14} wall {(time.perf_counter() - wall) / POLLS * 1000:7.2f} ms  "
            f"cpu {(time.process_time() - cpu) / POLLS * 1000:6.2f} ms  {result}"
        )
finally:
    BillRunChunk.objects.filter(run=run).delete()
    run.delete()
