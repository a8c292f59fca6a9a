"""Fuzz every importer through its real command against the database: valid files and their
mutations (issue 9 §2). Every example must end either imported or refused with the command's
own error (a ``CommandError``, a message in words), never another exception (a traceback),
and a refusal must leave every table it writes as it was (no partial writes).

Bounded for ``make test`` (``VOOL_FUZZ_EXAMPLES``, default 15 per importer); ``make fuzz``
runs many more. The counts are printed at the end of the run.
"""

from __future__ import annotations

import io
import os
import traceback
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from fuzz.importers import COUNTS, IMPORTERS, Counts, Importer
from fuzz.mutations import mutated

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fuzz_points")]

EXAMPLES = int(os.environ.get("VOOL_FUZZ_EXAMPLES", "15"))
MAX_LINE = 600  # no echoed value makes a line of the report longer than this


def run_once(importer: Importer, path: Path, content: bytes, counts: Counts) -> None:
    """Run one example in a savepoint that is rolled back afterwards: every example starts
    from the same database."""
    with transaction.atomic():
        _run(importer, path, content, counts)
        transaction.set_rollback(True)


def _run(importer: Importer, path: Path, content: bytes, counts: Counts) -> None:
    path.write_bytes(content)
    before = [model.objects.count() for model in importer.tables]
    out, err = io.StringIO(), io.StringIO()
    counts.examples += 1
    try:
        call_command(*importer.argv(path, content), stdout=out, stderr=err)
    except CommandError as exc:
        counts.refused += 1
        after = [model.objects.count() for model in importer.tables]
        if after != before:
            counts.partial_writes += 1
            counts.failures.append(f"partial write {before} -> {after} for {content[:200]!r}")
        for line in [*str(exc).splitlines(), *err.getvalue().splitlines()]:
            assert len(line) <= MAX_LINE, f"an echoed value is not cut: {line[:200]!r}..."
        return
    except Exception:
        counts.tracebacks += 1
        counts.failures.append(traceback.format_exc())
        raise
    counts.imported += 1


@pytest.mark.parametrize("importer", IMPORTERS, ids=[i.name for i in IMPORTERS])
def test_every_importer_answers_in_words_and_writes_all_or_nothing(
    importer: Importer, tmp_path: Path
) -> None:
    counts = COUNTS.setdefault(importer.name, Counts())
    path = tmp_path / importer.file_name

    @settings(
        max_examples=EXAMPLES,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        deadline=None,
        database=None,
    )
    @given(content=mutated(importer.valid, text_only=importer.text_mutations_only))
    def check(content: bytes) -> None:
        run_once(importer, path, content, counts)

    check()
    assert counts.tracebacks == 0, counts.failures[:1]
    assert counts.partial_writes == 0, counts.failures[:3]


@pytest.mark.parametrize("importer", IMPORTERS, ids=[i.name for i in IMPORTERS])
def test_the_valid_files_import(importer: Importer, tmp_path: Path) -> None:
    """The strategies draw files the importers accept: the mutations start from valid input."""

    path = tmp_path / importer.file_name

    @settings(max_examples=5, deadline=None, database=None)
    @given(content=importer.valid)
    def check(content: bytes) -> None:
        counts = Counts()
        run_once(importer, path, content, counts)
        assert counts.imported == 1, f"refused: {content[:300]!r}"

    check()


def test_the_strategies_are_registered() -> None:
    assert {i.name for i in IMPORTERS} >= {
        "intervals-json",
        "intervals-csv",
        "prices-json",
        "prices-csv",
        "readings-csv",
        "readings-submit",
    }
