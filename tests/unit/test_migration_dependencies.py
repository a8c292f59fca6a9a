"""Migrations depend on named migrations only: a ``__latest__`` dependency is resolved anew on
every release, so a database that applied it before a later migration of that app can no longer
be migrated (Django refuses the history as inconsistent)."""

from __future__ import annotations

from django.db.migrations.loader import MigrationLoader


def test_no_migration_depends_on_the_latest_of_another_app() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True, load=False)
    loader.load_disk()
    floating = [
        f"{key[0]}.{key[1]} -> {parent[0]}.__latest__"
        for key, migration in loader.disk_migrations.items()
        if key[0] not in {"admin", "auth", "contenttypes", "sessions"}
        for parent in migration.dependencies
        if parent[1] == "__latest__"
    ]
    assert floating == []
