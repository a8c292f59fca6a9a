"""The killed-load test starts ``vool legacy load`` as another process that must see the test
database: on SQLite the test database is therefore a file (one per test session). PostgreSQL
needs nothing. Set here, at collection, before pytest-django creates the test database."""

from __future__ import annotations

from worker_processes import use_file_test_database

use_file_test_database()
