"""``vool legacy load`` on both cores: the extract's bills partitioned in a process beside the
rest (:func:`forked.call_beside`), and the chunks of a load (:mod:`vool.domain.legacy.partition`)
run in a pool of forked processes, each chunk in a transaction of its own.

The chunks are independent by construction (each holds whole groups of accounts, and a
chunk's new reference numbers are drawn in a short transaction of their own), so two
processes load two chunks at once. The pool is forked after the extract is partitioned: each
worker inherits the partition (the chunks' spill files, the repeated keys) and reads only its
chunk. The parent adds up the chunks' outcomes in the chunks' order, so the result is the
same as one process's. On SQLite (one writer at a time) and for a dry run (one transaction,
rolled back) the chunks run in this process.

A worker dies with the parent: a load killed with its command leaves nothing writing behind
it, and is finished, as ever, by running it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

from django.db import connection, connections

from vool.domain.legacy import operations, partition
from vool.usecases import forked

#: processes ``vool legacy load`` loads chunks on: this machine's two cores (the database
#: server shares them; benchmarks/RESULTS.md)
WORKERS = 2

#: the load each worker runs chunks of (set before the pool forks; the workers inherit it)
_PLAN: list[operations.LoadPlan] = []


def load_extract(*, workers: int = 1, **load: Any) -> operations.LoadResult:
    """:func:`operations.load_extract` with its chunks on ``workers`` processes (PostgreSQL;
    elsewhere, or with one worker, in this process) and, with more than one worker, the
    extract's bills partitioned in a process beside the rest (any database: the partition
    reads files only)."""
    pooled = workers > 1 and connection.vendor == "postgresql"
    runner = _pool_runner(workers) if pooled else None
    beside = forked.call_beside if workers > 1 else partition.run_here
    return operations.load_extract(**load, run_chunks=runner, beside=beside)


def _pool_runner(workers: int) -> operations.ChunkRunner:
    def run_chunks(plan: operations.LoadPlan) -> Iterator[operations.ChunkOutcome]:
        if plan.parts.chunks < 2:
            yield from operations.load_chunks_inline(plan)
            return
        _PLAN[:] = [plan]
        connections.close_all()  # the workers open their own
        pool = forked.forked_pool(min(workers, plan.parts.chunks))
        futures: list[Future[operations.ChunkOutcome]] = [
            pool.submit(_chunk_in_worker, chunk) for chunk in range(plan.parts.chunks)
        ]
        try:
            for future in futures:
                yield future.result()
        finally:  # a chunk failed (or the caller stopped): the chunks not started never start
            pool.shutdown(wait=True, cancel_futures=True)
            _PLAN.clear()

    return run_chunks


def _chunk_in_worker(chunk: int) -> operations.ChunkOutcome:
    try:
        return operations.load_chunk(_PLAN[0], chunk)
    finally:
        connections.close_all()
