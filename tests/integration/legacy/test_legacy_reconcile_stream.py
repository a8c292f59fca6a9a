"""``vool legacy reconcile`` in bounded memory: the big files are streamed (``iter_rows``), no
row of them held, never read whole (``read_file``); a key twice in a big file counts once with
its last row (as the layers always did), a row of an unknown bill or register is held back —
checked by hand against the extract's own rows."""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import operations, reconcile, reconcile_stream
from vool.domain.legacy.models import HistoricBillLine
from vool.usecases.demo import seed

pytestmark = pytest.mark.django_db

CUSTOMERS = 40
SEED = 11
AS_OF = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)
Rows = list[list[str]]


def load(directory: Path) -> operations.LoadResult:
    seed.ensure_reference_data()
    return operations.load_extract(
        directory=directory, as_of=AS_OF, now=AS_OF, user=None, reason="rehearsal"
    )


def rows_of(directory: Path, entity: str) -> Rows:
    manifest = fmt.read_manifest(directory)
    return [list(r.values) for r in fmt.iter_rows(directory, fmt.SPECS[entity], manifest)]


def number(text: str) -> Decimal:
    try:
        return fmt.parse_decimal(text)
    except ValueError:  # a bad number adds nothing to the control total
        return Decimal(0)


def rewrite(source: Path, target: Path, change: dict[str, Callable[[Rows], Rows]]) -> None:
    """A copy of the extract with some files' rows changed, its manifest made to match."""
    manifest = fmt.read_manifest(source)
    counts, totals = {}, {}
    for spec in fmt.FILES + fmt.SHADOW_FILES:
        if spec.file_name not in manifest.rows:
            continue
        rows = change.get(spec.entity, lambda r: r)(rows_of(source, spec.entity))
        counts[spec.entity] = fmt.write_file(target, spec, rows)
        if spec.control_column:
            at = spec.columns.index(spec.control_column)
            totals[spec.entity] = sum((number(r[at]) for r in rows), Decimal(0))
    fmt.write_manifest(target, meta=manifest.meta, counts=counts, totals=totals)


def test_the_big_files_are_streamed_never_held(
    extract: Path, delta: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(extract)
    expected = reconcile.reconcile(directories=[extract, delta])
    streamed = fmt.iter_rows
    alive: dict[tuple[str, str], int] = {}

    def spy(directory: Path, spec: fmt.FileSpec, manifest: fmt.Manifest) -> Iterator[fmt.Row]:
        seen: list[weakref.ref[fmt.Row]] = []
        for row in streamed(directory, spec, manifest):
            seen.append(weakref.ref(row))
            yield row
        alive[(directory.name, spec.entity)] = sum(1 for r in seen if r() is not None)

    def whole(*args: object) -> None:
        raise AssertionError("an extract file read whole")

    monkeypatch.setattr(fmt, "iter_rows", spy)
    monkeypatch.setattr(fmt, "read_file", whole)
    report = reconcile.reconcile(directories=[extract, delta])
    assert report == expected
    for entity in reconcile_stream.BIG:
        # the first extract's big file read to its end with at most the last row still held
        assert alive[(extract.name, entity)] <= 1, entity
        assert (delta.name, entity) in alive


def test_a_key_twice_in_a_big_file_counts_once_with_its_last_row(
    extract: Path, tmp_path: Path
) -> None:
    bills = rows_of(extract, "bills")
    twice = [*bills[0][:8], fmt.format_decimal(fmt.parse_decimal(bills[0][8]) + 100)]
    account = bills[0][1]
    line = rows_of(extract, "bill_lines")[0]
    reading = rows_of(extract, "readings")[0]
    odd = bills[-1][0]  # its first line's RIDA written 01: loaded as line 1, and so counted

    def lines(rows: Rows) -> Rows:
        written = [[r[0], "01", *r[2:]] if r[:2] == [odd, "1"] else r for r in rows]
        return [*written, line, ["B0", "1", *line[2:]]]

    rewrite(
        extract,
        tmp_path,
        {
            "bills": lambda rows: [*rows, twice, ["B0", "K0", "10.2025", *rows[0][3:]]],
            "bill_lines": lines,
            "readings": lambda rows: [reading, *rows, [reading[0] + "9", "R0", *reading[2:]]],
        },
    )
    result = load(tmp_path)
    assert account in result.held_accounts  # DUPLICATE_KEY holds back the bill's account
    assert HistoricBillLine.objects.filter(bill__number=odd, position=1).exists()
    report = reconcile.reconcile(directories=[tmp_path])
    counts = {c.entity: c for c in report.counts}
    # each key once; the bill of an unknown account (held back by the load), its line, and
    # the reading of an unknown register (a row of no account) are held back
    assert counts["bills"].legacy == len(bills) + 1
    assert counts["bill_lines"].legacy == len(rows_of(extract, "bill_lines")) + 1
    assert counts["readings"].legacy == len(rows_of(extract, "readings")) + 1
    assert all(c.explained for c in report.counts), report.counts
    assert report.ok, report.unexplained[:5]
    mine = [b for b in bills if b[1] == account]
    by_measure = {d.measure: d for d in report.differences if d.account_key == account}
    assert by_measure["bills"].legacy == len(mine)
    assert by_measure["bills_amount"].legacy == sum(
        (fmt.parse_decimal(b[8]) for b in mine), Decimal(100)
    )
    assert "DUPLICATE_KEY (ARVED.csv:" in by_measure["bills"].cause
