"""For tests that start other processes (Celery workers, servers) on the test database: a
file test database on SQLite, the database as a URL for the child, and whether the local
Redis is up."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections


def use_file_test_database() -> None:
    """Make the SQLite test database a file (one per test session), so that a child process
    sees it; PostgreSQL needs nothing. Call it at collection (a conftest's module level),
    before the database is made. ``VOOL_SQLITE_TEST_NAME`` names the file instead."""
    db = connections["default"].settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get("VOOL_SQLITE_TEST_NAME"):
        name = Path(settings.VAR_DIR) / f"test-{os.getpid()}.sqlite3"
        db.setdefault("TEST", {})["NAME"] = str(name)


def database_url() -> str:
    """The test database as a URL for another process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(s["NAME"])
        if "memory" in name:
            pytest.skip("the SQLite test database is in memory; set VOOL_SQLITE_TEST_NAME")
        return f"sqlite:///{name}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{port}/{s['NAME']}"


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def child_processes() -> list[int]:
    """This process's child processes, zombies (ended, not waited for) included (Linux)."""
    tasks = Path(f"/proc/{os.getpid()}/task")
    return [int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()]
