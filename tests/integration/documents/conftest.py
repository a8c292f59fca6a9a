"""Fixtures of the document tests: the billing test tariffs, a configured supplier, a
temporary documents directory, and helpers to bill a month and read the PDF's text.

The batch tests fork a process pool that must see the test database: on SQLite the test
database is therefore a file, as in the billing tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_factories import load_test_tariffs
from documents_factories import make_supplier
from mail_server import mailbox  # noqa: F401 (a fixture: a local SMTP server)
from vool.domain.documents.models import Supplier
from worker_processes import use_file_test_database

use_file_test_database()


@pytest.fixture(autouse=True)
def documents_setup(request: pytest.FixtureRequest, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"
    if request.node.get_closest_marker("django_db") is not None:
        load_test_tariffs()


@pytest.fixture
def supplier() -> Supplier:
    return make_supplier()
