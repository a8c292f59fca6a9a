"""The distributed bill-run tests start other processes (a process pool, a killed CLI run, a
Celery worker) that must see the test database: on SQLite the test database is therefore a
file (one per test session), not pytest-django's in-memory default. PostgreSQL needs nothing.

Set here, at collection, before pytest-django creates the test database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from billing_factories import load_test_tariffs

_db = connections["default"].settings_dict
if _db["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get("VOOL_SQLITE_TEST_NAME"):
    _name = Path(settings.VAR_DIR) / f"test-{os.getpid()}.sqlite3"
    _db.setdefault("TEST", {})["NAME"] = str(_name)


@pytest.fixture(autouse=True)
def billing_tariffs(request: pytest.FixtureRequest) -> None:
    """Every billing test prices with the tariff data of ``billing_factories``."""
    if request.node.get_closest_marker("django_db") is not None:
        load_test_tariffs()
