"""The load in chunks of accounts (``legacy.partition``) is the load in one piece: the same
rows written, the same issues, the same accounts held back, on the generated extract with
its dirt (and its delta), also when an old key of a reading or a bill is repeated in rows
that go to different chunks, and when the chunks load on two processes at once
(PostgreSQL); and a load killed between chunks (a real process, a real SIGKILL) leaves no
worker behind and is finished by running it again, without a duplicate or a gap."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from legacy_digest import digest
from vool.domain.audit.models import AuditEntry
from vool.domain.bulk import copy_rows
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import operations, partition, queries, reconcile
from vool.domain.legacy.models import HistoricBillLine, KeyMap, LoadRun, StagedRow
from vool.domain.metering.models import Reading
from vool.usecases import forked, legacy_load
from vool.usecases.demo import seed
from worker_processes import child_processes, database_url

CUSTOMERS = 150
SEED = 11
AS_OF = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)
DELTA_AS_OF = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)
VOOL = Path(sys.executable).with_name("vool")


@pytest.fixture(scope="module")
def repeated_keys(tmp_path_factory: pytest.TempPathFactory, extract: Path) -> Path:
    """The extract with the first customer's first reading id and bill number given again to
    the last customer's (another chunk): the count and control totals are unchanged."""
    directory = tmp_path_factory.mktemp("repeated")
    for path in extract.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    _repeat_first_key(directory / "NAIDUD.csv")
    _repeat_first_key(directory / "ARVED.csv")
    return directory


def _repeat_first_key(path: Path) -> None:
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    first_key = lines[1].split(";")[0]
    last = lines[-2].split(";")
    lines[-2] = ";".join([first_key, *last[1:]])
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))


def _load(
    directory: Path, as_of: dt.datetime, chunk: int, workers: int = 1
) -> operations.LoadResult:
    return legacy_load.load_extract(
        workers=workers,
        directory=directory,
        as_of=as_of,
        now=as_of,
        user=None,
        reason="chunks",
        accounts_per_chunk=chunk,
    )


def _outcome(loads: list[tuple[Path, dt.datetime]], chunk: int) -> tuple[object, ...]:
    """What loading ``loads`` in chunks of ``chunk`` accounts wrote and reported; rolled back."""
    with transaction.atomic():
        results = [_load(directory, as_of, chunk) for directory, as_of in loads]
        found = digest()
        transaction.set_rollback(True)
    return _compared(found, results)


def _compared(found: object, results: list[operations.LoadResult]) -> tuple[object, ...]:
    return (
        found,
        [sorted(r.issues, key=repr) for r in results],
        [r.counts for r in results],
        [r.held_accounts for r in results],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("with_delta", [False, True], ids=["full", "full-and-delta"])
def test_a_load_in_chunks_is_the_load_in_one_piece(
    extract: Path, delta: Path, with_delta: bool
) -> None:
    seed.ensure_reference_data()
    loads = [(extract, AS_OF)] + ([(delta, DELTA_AS_OF)] if with_delta else [])
    whole = _outcome(loads, chunk=10**6)
    chunked = _outcome(loads, chunk=7)
    assert chunked == whole
    assert whole[0][1] > 10_000  # rows compared
    assert whole[2][0]["intervals"]["new"] > 100  # the shadow month's, stored by the chunks
    assert any(i.rule == "DUPLICATE_PERSONAL_CODE" for i in whole[1][0])


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite loads in one process")
def test_chunks_loaded_on_two_processes_are_the_load_in_one_piece(
    extract: Path, delta: Path
) -> None:
    """The pool's workers commit what they load (this test's database is not one rolled-back
    transaction): the load in one piece is made first and rolled back, then the pooled one."""
    seed.ensure_reference_data()
    loads = [(extract, AS_OF), (delta, DELTA_AS_OF)]
    whole = _outcome(loads, chunk=10**6)
    results = [_load(directory, as_of, chunk=7, workers=2) for directory, as_of in loads]
    assert _compared(digest(), results) == whole
    assert LoadRun.objects.filter(counts={}).count() == 0  # both finished


@pytest.mark.django_db
def test_a_key_repeated_in_another_chunk_is_the_same_error(
    extract: Path, repeated_keys: Path, tmp_path: Path
) -> None:
    seed.ensure_reference_data()
    manifest = fmt.read_manifest(repeated_keys)
    parts = partition.partition(
        directory=repeated_keys,
        manifest=manifest,
        into=tmp_path,
        accounts_per_chunk=7,
        progress=lambda step, done, total: None,
    )
    assert parts.chunks > 10
    whole = _outcome([(repeated_keys, AS_OF)], chunk=10**6)
    chunked = _outcome([(repeated_keys, AS_OF)], chunk=7)
    assert chunked == whole
    duplicates = {(i.file_name, i.line) for i in whole[1][0] if i.rule == "DUPLICATE_KEY"}
    assert duplicates == {("NAIDUD.csv", 2), ("ARVED.csv", 2)}
    for entity, file_name in (("readings", "NAIDUD.csv"), ("bills", "ARVED.csv")):
        lines = next(iter(parts.repeated[entity].values()))
        assert lines[0] == 2 and lines[1] == manifest.rows[file_name] + 1


def _partition(
    directory: Path,
    into: Path,
    beside: partition.Beside,
    progress: partition.Progress | None = None,
) -> partition.Partition:
    into.mkdir()
    return partition.partition(
        directory=directory,
        manifest=fmt.read_manifest(directory),
        into=into,
        accounts_per_chunk=7,
        progress=progress or (lambda step, done, total: None),
        beside=beside,
    )


def test_the_bills_partitioned_beside_are_the_partition_in_one_process(
    repeated_keys: Path, tmp_path: Path
) -> None:
    """The bills and their lines streamed by a forked process (with a bill number given
    again in another chunk) spill the same rows to the same chunks, in the same order, as
    one process; the progress reaches every row of the extract."""
    here = _partition(repeated_keys, tmp_path / "here", partition.run_here)
    told: list[tuple[int, int]] = []
    progress = lambda step, done, total: told.append((done, total))  # noqa: E731
    beside = _partition(repeated_keys, tmp_path / "beside", forked.call_beside, progress)
    assert beside.chunks == here.chunks > 10
    assert beside.repeated == here.repeated
    assert set(beside.repeated) == {"readings", "bills"} and all(beside.repeated.values())
    assert beside.rows_per_chunk == here.rows_per_chunk
    for chunk in range(here.chunks):
        assert beside.rows(chunk) == here.rows(chunk)
    assert any(beside.rows(c)["bill_lines"] for c in range(here.chunks))
    rows = fmt.read_manifest(repeated_keys).rows
    total = sum(rows[spec.file_name] for spec in [*fmt.FILES, fmt.SPECS["intervals"]])
    assert told[-1] == (total, total)
    assert [done for done, _ in told] == sorted(done for done, _ in told)


def _cut_last_row(directory: Path, file_name: str) -> None:
    """The file's last row left out (its manifest still counts it)."""
    path = directory / file_name
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\r\n").rindex(b"\n") + 1])


@pytest.mark.parametrize("file_name", ["ARVE_READ.csv", "NAIDUD.csv"], ids=["beside", "here"])
def test_a_file_cut_short_stops_the_partition_on_either_process(
    extract: Path, tmp_path: Path, file_name: str
) -> None:
    """A file that does not hold the rows its manifest counts stops the partition with the
    error naming it, whether the process beside read it (the bill lines: its error comes
    back to this one) or this one did (the readings: the process beside is stopped): no
    process is left behind either way."""
    copy = tmp_path / "extract"
    shutil.copytree(extract, copy)
    _cut_last_row(copy, file_name)
    before = set(child_processes())  # the test session's own
    with pytest.raises(fmt.UnreadableExtract, match=f"{file_name}: .* rows, the manifest says"):
        _partition(copy, tmp_path / "spill", forked.call_beside)
    assert set(child_processes()) <= before


@pytest.mark.django_db(transaction=True)
def test_a_load_killed_between_chunks_is_finished_by_running_it_again(extract: Path) -> None:
    seed.ensure_reference_data()
    env = dict(os.environ, DATABASE_URL=database_url())
    command = [str(VOOL), "legacy", "load", str(extract), "--no-progress", "--chunk-accounts"]
    command += ["3", "--as-of", AS_OF.isoformat(), "--report", os.devnull]
    load_began = _database_clock()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if KeyMap.objects.filter(entity="accounts").count() >= 6:
                break
            assert process.poll() is None, "the load ended before it could be killed"
            time.sleep(0.02)
        else:
            pytest.fail("the load did not get going")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    _no_worker_left(since=load_began)
    loaded_before = KeyMap.objects.filter(entity="accounts").count()
    assert 6 <= loaded_before < CUSTOMERS
    assert LoadRun.objects.get().counts == {}  # not finished: reconcile does not take it
    started = AuditEntry.objects.get(action="legacy.load.start")
    assert started.reason == "go-live migration from the legacy CIS"
    assert not AuditEntry.objects.filter(action="legacy.load").exists()
    result = _load(extract, AS_OF, chunk=3)
    accounts = result.counts["accounts"]
    assert accounts["unchanged"] == loaded_before and accounts["changed"] == 0
    assert reconcile.reconcile(directories=[extract]).ok
    again = _load(extract, AS_OF, chunk=50)
    assert all(c["new"] == c["changed"] == 0 for c in again.counts.values())


def _database_clock() -> dt.datetime | None:
    """The database server's clock (PostgreSQL; None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _no_worker_left(*, since: dt.datetime | None) -> None:
    """The killed load's workers (PostgreSQL: two) die with it: soon none of the sessions
    opened on this database since the load started is left, so nothing commits behind the
    re-run's back (sessions of earlier tests are not the load's)."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_start >= %s",
                [since],
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.05)
    pytest.fail("the killed load's workers are still connected")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics")
def test_the_loaded_tables_are_analysed(extract: Path) -> None:
    """The next statements (reconcile, the first bill run) are planned on the loaded rows."""
    seed.ensure_reference_data()
    _load(extract, AS_OF, chunk=50)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
            [["legacy_keymap", "legacy_historicbillline", "metering_reading"]],
        )
        estimated = dict(cursor.fetchall())
    assert estimated["legacy_keymap"] >= KeyMap.objects.count() / 2
    assert estimated["legacy_historicbillline"] >= HistoricBillLine.objects.count() / 2
    assert estimated["metering_reading"] >= Reading.objects.count() / 2


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="reads PostgreSQL's query plan: the partial index and the seq scan it avoids are "
    "PostgreSQL's (SQLite's planner is not the one that missed it)",
)
def test_the_earlier_customers_are_looked_up_on_the_index() -> None:
    """Every chunk looks its customers' codes up among the staged rows of all loads: on the
    partial index of ``lookup`` (without ``lookup <> ''`` in the query PostgreSQL read every
    staged row: 2.4 s a query at 500,000 customers)."""
    run = LoadRun.objects.create(directory="x", kind="full", as_of=AS_OF, reason="plan")
    rows = [
        (run.pk, entity, line, "fields", f"3800101{line:04d}" if entity == "customers" else "")
        for line in range(1, 10_001)
        for entity in ("customers", "readings", "bills")
    ]
    copy_rows(StagedRow, ("run", "entity", "line", "fields", "lookup"), rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE legacy_stagedrow")
    plan = queries.staged_customers(codes=[f"3800101{n:04d}" for n in range(900)]).explain()
    assert "legacy_staged_lookup" in plan, plan


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite compares bytes already")
def test_the_key_map_compares_its_keys_bytewise() -> None:
    """The key map's keys are compared byte by byte (collation "C", legacy 0005): not through
    the language's collation, one ``strcoll`` per comparison in the unique index. A later
    change of the fields that forgets ``COLLATE`` would silently undo it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, collation_name FROM information_schema.columns "
            "WHERE table_name = 'legacy_keymap' AND column_name IN ('entity', 'old_key')"
        )
        assert dict(cursor.fetchall()) == {"entity": "C", "old_key": "C"}
