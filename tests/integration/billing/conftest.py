"""The distributed bill-run tests start other processes (a process pool, a killed CLI run, a
Celery worker) that must see the test database: on SQLite the test database is therefore a
file (one per test session), not pytest-django's in-memory default. PostgreSQL needs nothing.

Set here, at collection, before pytest-django creates the test database."""

from __future__ import annotations

import pytest

from billing_factories import load_test_tariffs
from worker_processes import use_file_test_database

use_file_test_database()


@pytest.fixture(autouse=True)
def billing_tariffs(request: pytest.FixtureRequest) -> None:
    """Every billing test prices with the tariff data of ``billing_factories``."""
    if request.node.get_closest_marker("django_db") is not None:
        load_test_tariffs()
