"""The killed-sync test runs ``vool datahub sync`` in another process, which must see the test
database: on SQLite the test database is therefore a file (one per test session), as in the
billing tests. PostgreSQL needs nothing. Set at collection, before the database is made.

Also the local stand-in of the hub (``local``) and a client of it (``api``, one retry, no
waiting), which a test module may define again with other settings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub
from vool.integrations.datahub.client import HttpHub, HubConfig
from worker_processes import use_file_test_database

use_file_test_database()


@pytest.fixture
def local() -> Iterator[LocalHub]:
    with LocalHub() as hub:
        yield hub


@pytest.fixture
def api(local: LocalHub) -> Iterator[HttpHub]:
    config = HubConfig(
        base_url=local.url,
        token_url=f"{local.url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_version="v2",
        max_retries=1,
        backoff_s=0.01,
        timeout_s=5,
    )
    with HttpHub(config, sleep=lambda s: None) as client:
        yield client
