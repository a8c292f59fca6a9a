"""Two identical interval imports at the same moment on PostgreSQL: one stores the days, the
other is refused in words (issue 9 §3), never a raw UniqueViolation; nothing is doubled."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from factories import MeteringPointFactory
from vool.domain.metering import interval_operations
from vool.domain.metering.models import IntervalDay, MeteringImport

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers: SQLite serialises them with a database lock",
    ),
]

SMART = "38ZEE-00625607-9"
HEADER = "Meter EIC;Period Start;Resolution;Quantity KWH OUT;Reading Type OUT"


def _run_import(path: str, outcomes: list[tuple[str, str]]) -> None:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "intervals", "import", path, "--as-of", "2026-11-27T12:00+02:00", stdout=out, stderr=err
        )
        outcomes.append(("imported", out.getvalue()))
    except CommandError as exc:
        outcomes.append(("refused", f"{exc}\n{err.getvalue()}"))
    except Exception as exc:  # the test reports any other failure
        outcomes.append(("crashed", repr(exc)))
    finally:
        connection.close()


def test_the_loser_of_two_identical_imports_gets_a_clear_message(monkeypatch, tmp_path):
    MeteringPointFactory(eic=SMART)
    rows = [f"{SMART};01.11.2026 {h:02d}:00+02:00;15 MINUTES;0,250;METERED" for h in range(24)]
    path = tmp_path / "day.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    # both imports have read the current days (none) before either writes: the race
    together = threading.Barrier(2, timeout=60)
    insert: Callable[[list[tuple[Any, ...]]], None] = interval_operations._insert_days

    def insert_together(new_rows: list[tuple[Any, ...]]) -> None:
        together.wait()
        insert(new_rows)

    monkeypatch.setattr(interval_operations, "_insert_days", insert_together)
    outcomes: list[tuple[str, str]] = []
    threads = [threading.Thread(target=_run_import, args=(str(path), outcomes)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(kind for kind, _ in outcomes) == ["imported", "refused"], outcomes
    refusal = next(text for kind, text in outcomes if kind == "refused")
    assert refusal.startswith("Rejected: 1 problem(s) listed above; nothing was imported.")
    assert (
        "day.csv: file, days: another import wrote the same days at the same moment; nothing "
        "was imported from this one." in refusal
    )
    assert "UniqueViolation" not in refusal
    assert IntervalDay.objects.count() == 1
    assert MeteringImport.objects.count() == 1
