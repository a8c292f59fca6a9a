"""Two imports of the same new prices at the same moment on PostgreSQL: one stores them, the
other is refused in words, never a raw IntegrityError; no price is stored twice."""

from __future__ import annotations

import datetime as dt
import io
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from vool.domain.tariffs.models import MarketPrice

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers: SQLite serialises them with a database lock",
    ),
]


def _run_import(path: str, outcomes: list[tuple[str, str]]) -> None:
    out = io.StringIO()
    try:
        call_command("prices", "import", path, stdout=out, stderr=io.StringIO())
        outcomes.append(("imported", out.getvalue()))
    except CommandError as exc:
        outcomes.append(("refused", str(exc)))
    except Exception as exc:  # the test reports any other failure
        outcomes.append(("crashed", repr(exc)))
    finally:
        connection.close()


def test_the_loser_of_two_price_imports_gets_a_clear_message(monkeypatch, tmp_path):
    t0 = int(dt.datetime(2025, 9, 1, tzinfo=dt.UTC).timestamp())
    rows = ",".join(f'{{"timestamp": {t0 + 3600 * h}, "price": {40 + h}}}' for h in range(24))
    path = tmp_path / "prices.json"
    path.write_text(f'{{"success": true, "data": {{"ee": [{rows}]}}}}')
    # both imports have read the current prices (none) before either writes: the race
    together = threading.Barrier(2, timeout=60)
    manager = MarketPrice.objects
    create = manager.bulk_create

    def create_together(*args: Any, **kwargs: Any) -> Any:
        together.wait()
        return create(*args, **kwargs)

    monkeypatch.setattr(manager, "bulk_create", create_together)
    outcomes: list[tuple[str, str]] = []
    threads = [threading.Thread(target=_run_import, args=(str(path), outcomes)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(kind for kind, _ in outcomes) == ["imported", "refused"], outcomes
    refusal = next(text for kind, text in outcomes if kind == "refused")
    assert refusal.startswith("Another import wrote the same prices at the same moment")
    assert MarketPrice.objects.count() == 24
