"""The killed-sync test runs ``vool datahub sync`` in another process, which must see the test
database: on SQLite the test database is therefore a file (one per test session), as in the
billing tests. PostgreSQL needs nothing. Set at collection, before the database is made."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db import connections

_db = connections["default"].settings_dict
if _db["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get("VOOL_SQLITE_TEST_NAME"):
    _name = Path(settings.VAR_DIR) / f"test-hub-{os.getpid()}.sqlite3"
    _db.setdefault("TEST", {})["NAME"] = str(_name)
