"""Installing the integrity guards and the one maintenance switch that lifts them.

:func:`install_guards` runs after every ``migrate`` and ``flush`` (``post_migrate``) and writes
the triggers of :mod:`vool.domain.integrity.rules` for the tables as they are, idempotently;
guards whose tables do not exist yet are skipped. On SQLite, :func:`remove_guards` runs before
``migrate`` (``pre_migrate``), because SQLite's ``ALTER TABLE`` cannot drop or rebuild a column
a trigger names.

:func:`maintenance` is the only way past the guards from Vool's code: ``flush`` (test teardown,
benchmark resets) runs inside it, and so must any data migration that has to rewrite guarded
rows. It is scoped to one transaction on both databases, so a crash never leaves it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from vool.domain.integrity import sql
from vool.domain.integrity.rules import (
    GUARDS,
    INVOICE_TABLE,
    SUPERSEDED_FUNCTIONS,
    SUPERSEDED_TRIGGERS,
    Guard,
    guarded_tables,
)


class GuardsOutOfDate(Exception):
    """A guard names a column its table no longer has: the rules need updating."""


def _installed(cursor: Any, vendor: str) -> list[tuple[str, str]]:
    """(table, trigger) of every integrity trigger in the database."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE 'vool\\_integrity\\_%' "
            "AND pg_table_is_visible(c.oid)"
        )
    else:
        cursor.execute(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'vool\\_integrity\\_%' ESCAPE '\\'"
        )
    return sorted((table, name) for table, name in cursor.fetchall())


def installed_triggers(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The names of the integrity triggers in the database, sorted."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return sorted(name for _, name in _installed(cursor, connection.vendor))


def _drop(cursor: Any, vendor: str, table: str, trigger: str) -> None:
    if vendor == "postgresql":
        cursor.execute(f"DROP TRIGGER IF EXISTS {sql.quote(trigger)} ON {sql.quote(table)}")
    else:
        cursor.execute(f"DROP TRIGGER IF EXISTS {sql.quote(trigger)}")


def _column_names(cursor: Any, vendor: str, table: str) -> list[str]:
    """The table's columns in order. On SQLite from ``PRAGMA table_info``: Django's SQLite
    introspection parses the CREATE TABLE text and fails on some check constraints."""
    if vendor == "sqlite":
        cursor.execute(f"PRAGMA table_info({sql.quote(table)})")
        # PRAGMA table_info rows: (cid, name, type, notnull, dflt_value, pk)
        return [str(name) for _cid, name, *_rest in cursor.fetchall()]
    connection = cursor.db
    return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def _applicable(tables: set[str]) -> list[Guard]:
    """The guards whose table, and the tables they read, exist."""
    return [g for g in GUARDS if g.table in tables and tables.issuperset(g.reads)]


def _truncate_guarded(tables: set[str]) -> list[str]:
    return [table for table in guarded_tables() if table in tables]


def missing_triggers(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The integrity triggers the database should have, given its tables, and does not (the
    guards are off on SQLite while ``migrate`` runs, and after one that failed)."""
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        expected = {g.trigger for g in _applicable(tables)}
        if connection.vendor == "postgresql":
            expected |= {sql.truncate_trigger_name(t) for t in _truncate_guarded(tables)}
        present = {name for _, name in _installed(cursor, connection.vendor)}
    return sorted(expected - present)


def install_guards(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Write every guard whose tables exist (replacing what was there) and drop integrity
    triggers no rule asks for any more; returns the trigger names now installed."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        wanted: set[str] = set()
        if vendor == "sqlite":
            cursor.execute(sql.sqlite_maintenance_table())
        for guard in _applicable(tables):
            columns = _column_names(cursor, vendor, guard.table)
            missing = [c for c in guard.columns if c not in columns]
            if missing:
                raise GuardsOutOfDate(
                    f"The integrity guard {guard.name!r} names column(s) {', '.join(missing)} "
                    f"that {guard.table} does not have: update vool/domain/integrity/rules.py."
                )
            install = sql.postgresql_install if vendor == "postgresql" else sql.sqlite_install
            for statement in install(guard, columns=columns):
                cursor.execute(statement)
            wanted.add(guard.trigger)
        if vendor == "postgresql":
            cursor.execute(sql.postgresql_truncate_function())
            for table in _truncate_guarded(tables):
                cursor.execute(sql.postgresql_truncate_trigger(table))
                wanted.add(sql.truncate_trigger_name(table))
            for table, trigger in SUPERSEDED_TRIGGERS:
                if table in tables:
                    _drop(cursor, vendor, table, trigger)
            for function in SUPERSEDED_FUNCTIONS:
                cursor.execute(f"DROP FUNCTION IF EXISTS {sql.quote(function)}()")
        for table, trigger in _installed(cursor, vendor):
            if trigger not in wanted:
                _drop(cursor, vendor, table, trigger)
        if INVOICE_TABLE in tables:
            cursor.execute(sql.support_index(INVOICE_TABLE))
    return sorted(wanted)


def remove_guards(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop every integrity trigger and the guards' index (SQLite, before ``migrate``)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for table, trigger in _installed(cursor, connection.vendor):
            _drop(cursor, connection.vendor, table, trigger)
        cursor.execute(f"DROP INDEX IF EXISTS {sql.quote(sql.SUPPORT_INDEX)}")


@contextmanager
def maintenance(*, reason: str, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Lift the guards for the statements inside, in one transaction (it ends with it).

    For resets of whole databases (``flush``) and data migrations only: never for business
    operations, which go through the documented paths (credit notes, new versions)."""
    if not reason.strip():
        raise ValueError("Say why the integrity guards are lifted.")
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [sql.MAINTENANCE_SETTING])
            elif connection.vendor == "sqlite":
                cursor.execute(sql.sqlite_maintenance_table())
                insert = f"INSERT INTO {sql.MAINTENANCE_TABLE} (reason) VALUES (%s)"  # noqa: S608
                cursor.execute(insert, [reason])
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [sql.MAINTENANCE_SETTING])
            elif connection.vendor == "sqlite":
                cursor.execute(f"DELETE FROM {sql.MAINTENANCE_TABLE}")  # noqa: S608


def guards_lifted(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the maintenance switch is on for this connection's current transaction."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting(%s, true)", [sql.MAINTENANCE_SETTING])
            return bool(cursor.fetchone()[0] == "on")
        if connection.vendor == "sqlite":
            if sql.MAINTENANCE_TABLE not in connection.introspection.table_names(cursor):
                return False
            cursor.execute(f"SELECT COUNT(*) FROM {sql.MAINTENANCE_TABLE}")  # noqa: S608
            return bool(cursor.fetchone()[0])
    return False
