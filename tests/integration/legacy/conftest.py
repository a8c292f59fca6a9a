"""What the legacy tests share: each module's generated extract (of its ``CUSTOMERS`` and
``SEED``) and the delta taken after its freeze, made once per module, and the reference data.

The killed-load test starts ``vool legacy load`` as another process that must see the test
database: on SQLite the test database is therefore a file (one per test session). PostgreSQL
needs nothing. Set here, at collection, before pytest-django creates the test database."""

from __future__ import annotations

from pathlib import Path

import pytest

from vool.usecases import legacy_extract
from vool.usecases.demo import seed
from worker_processes import use_file_test_database

use_file_test_database()


@pytest.fixture(scope="module")
def extract(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's full extract: ``CUSTOMERS`` customers of seed ``SEED``."""
    directory = tmp_path_factory.mktemp("extract")
    legacy_extract.make_extract(
        directory=directory, customers=request.module.CUSTOMERS, seed=request.module.SEED
    )
    return directory


@pytest.fixture(scope="module")
def delta(tmp_path_factory: pytest.TempPathFactory, extract: Path) -> Path:
    """The delta extract taken after the freeze of the module's extract."""
    directory = tmp_path_factory.mktemp("delta")
    legacy_extract.make_delta(directory=directory, base=extract)
    return directory


@pytest.fixture
def reference_data() -> None:
    seed.ensure_reference_data()
