"""The readings written set-based from staging (``legacy.history_sql``, PostgreSQL) are the
same, row for row, as the rows built in Python (the path SQLite takes, PostgreSQL's fallback):
a digest of the loaded tables (``legacy_digest``: every surrogate key replaced by the old key
it maps to) is equal for both, on the generated extract with its dirt, after a delta too; a
value SQL cannot read falls back to Python for its entity and still loads the same."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from legacy_digest import digest
from vool.domain.legacy import history_sql, operations
from vool.domain.legacy.models import HistoricBillLine, KeyMap, LoadRun, StagedRow
from vool.domain.metering.models import Reading

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the set-based path is PostgreSQL's"
    ),
]

CUSTOMERS = 120
SEED = 7
AS_OF = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)
DELTA_AS_OF = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)


def load(directory: Path, as_of: dt.datetime = AS_OF) -> operations.LoadResult:
    return operations.load_extract(
        directory=directory, as_of=as_of, now=as_of, user=None, reason="digest"
    )


def _in_python(
    monkeypatch: pytest.MonkeyPatch, *loads: tuple[Path, dt.datetime]
) -> tuple[str, int]:
    """The digest of ``loads`` with the history built in Python, rolled back after."""
    with monkeypatch.context() as patched, transaction.atomic():
        patched.setattr(history_sql, "available", lambda: False)
        for directory, as_of in loads:
            load(directory, as_of)
        found = digest()
        transaction.set_rollback(True)
    assert not LoadRun.objects.exists() and not Reading.objects.exists()
    return found


WRITERS = ("write_readings",)


def _record_writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Each set-based write from now on and whether it wrote (False: fell back to Python)."""
    written: list[tuple[str, bool]] = []
    for name in WRITERS:
        write = getattr(history_sql, name)

        def recorded(*, _write: Any = write, _name: str = name, **kwargs: Any) -> bool:
            ok = bool(_write(**kwargs))
            written.append((_name, ok))
            return ok

        monkeypatch.setattr(history_sql, name, recorded)
    return written


def _both_ways(monkeypatch: pytest.MonkeyPatch, *loads: tuple[Path, dt.datetime]) -> None:
    in_python = _in_python(monkeypatch, *loads)
    written = _record_writes(monkeypatch)
    for directory, as_of in loads:
        load(directory, as_of)
    assert {name for name, ok in written if ok} == set(WRITERS)
    assert StagedRow.objects.exists() and HistoricBillLine.objects.exists()
    assert digest() == in_python


def test_the_same_rows_as_built_in_python(
    extract: Path, reference_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _both_ways(monkeypatch, (extract, AS_OF))


def test_the_same_rows_after_a_delta_and_a_second_load(
    extract: Path, delta: Path, reference_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _both_ways(monkeypatch, (extract, AS_OF), (extract, AS_OF), (delta, DELTA_AS_OF))


def _arabic_digits(row: list[str]) -> list[str]:
    """A reading's whole kWh in Arabic-Indic digits: Python's Decimal reads them, PostgreSQL's
    numeric does not."""
    return [*row[:-1], "".join(chr(0x660 + int(d)) for d in row[-1])]


def _no_break_space(row: list[str]) -> list[str]:
    """A reading's value ending in a no-break space: Python strips it, SQL's btrim of spaces
    would not (the row is left out, the count differs)."""
    return [*row[:-1], row[-1] + "\u00a0"]


@pytest.mark.parametrize(
    ("file_name", "entity", "change", "writer"),
    [
        ("NAIDUD.csv", "readings", _arabic_digits, "write_readings"),
        ("NAIDUD.csv", "readings", _no_break_space, "write_readings"),
    ],
)
def test_a_value_sql_would_read_otherwise_falls_back_to_python(
    extract: Path,
    tmp_path: Path,
    reference_data: None,
    monkeypatch: pytest.MonkeyPatch,
    file_name: str,
    entity: str,
    change: Callable[[list[str]], list[str]],
    writer: str,
) -> None:
    """A loaded row changed so that SQL would not read it as Python does: its entity is
    written from Python instead, the same rows."""
    with transaction.atomic():
        load(extract)
        loaded = set(KeyMap.objects.filter(entity=entity).values_list("old_key", flat=True))
        transaction.set_rollback(True)
    for path in extract.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    text = (tmp_path / file_name).read_bytes().decode("utf-8-sig").splitlines()
    at = next(
        i
        for i, row in enumerate(text[1:], start=1)
        if row.split(";")[0].strip() in loaded and row.split(";")[-1].replace(",", "").isdigit()
    )
    text[at] = ";".join(change(text[at].split(";")))
    (tmp_path / file_name).write_bytes(("\r\n".join(text) + "\r\n").encode("utf-8-sig"))
    in_python = _in_python(monkeypatch, (tmp_path, AS_OF))
    written = _record_writes(monkeypatch)
    load(tmp_path)
    assert [ok for name, ok in written if name == writer] == [False]
    assert {name for name, ok in written if ok} == set(WRITERS) - {writer}
    assert digest() == in_python
