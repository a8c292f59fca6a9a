"""The killed-sync test runs ``vool datahub sync`` in another process, which must see the test
database: on SQLite the test database is therefore a file (one per test session), as in the
billing tests. PostgreSQL needs nothing. Set at collection, before the database is made."""

from __future__ import annotations

from worker_processes import use_file_test_database

use_file_test_database()
