"""The guards of :mod:`vool.domain.integrity.rules` as SQL for SQLite and PostgreSQL.

Both databases get one row trigger per guard that refuses the row unless the guard's
condition holds, or the maintenance switch is on:

* PostgreSQL: the session setting ``vool.maintenance = 'on'`` (``SET LOCAL``, so it ends with
  the transaction); the condition lives in the trigger's plpgsql function, not in a ``WHEN``
  clause, so no column of a guarded table depends on a trigger and migrations can alter it.
  Each guarded table also has a statement trigger that refuses ``TRUNCATE``.
* SQLite: a row in :data:`MAINTENANCE_TABLE` (written and removed inside one transaction).
  SQLite's ``ALTER TABLE`` refuses to drop or rebuild columns a trigger names, so these
  triggers are removed before ``migrate`` runs and installed again after it.

Pure Python: it builds text from the rules and the column names it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vool.domain.integrity.rules import Guard

PREFIX = "vool_integrity_"
MAINTENANCE_TABLE = "vool_integrity_maintenance"
MAINTENANCE_SETTING = "vool.maintenance"
TRUNCATE_FUNCTION = f"{PREFIX}refuse_truncate"
ERRCODE = "integrity_constraint_violation"


def quote(name: str) -> str:
    if '"' in name:
        raise ValueError(f"refusing to quote the identifier {name!r}")
    return f'"{name}"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def refusal(guard: Guard) -> str:
    """The message the database gives when ``guard`` refuses a row."""
    return f"{guard.event} on {guard.table} refused: {guard.message}."


@dataclass(frozen=True)
class Dialect:
    """:class:`vool.domain.integrity.rules.Sql` for one database and one table."""

    vendor: str
    columns: tuple[str, ...]

    def _equal(self, column: str) -> str:
        c = quote(column)
        if self.vendor == "postgresql":
            return f"OLD.{c} IS NOT DISTINCT FROM NEW.{c}"
        return f"OLD.{c} IS NEW.{c}"

    def same(self, *columns: str) -> str:
        return "(" + " AND ".join(self._equal(c) for c in columns) + ")" if columns else "TRUE"

    def unchanged(self, *, except_: Sequence[str] = ()) -> str:
        return self.same(*(c for c in self.columns if c not in except_))

    def in_tallinn_month(self, *, period: str, instant: str) -> str:
        if self.vendor == "postgresql":
            return f"{period} = to_char({instant} AT TIME ZONE 'Europe/Tallinn', 'YYYY-MM')"
        return (
            f"{period} IN (strftime('%Y-%m', {instant}, '+2 hours'), "
            f"strftime('%Y-%m', {instant}, '+3 hours'))"
        )


def condition(guard: Guard, *, vendor: str, columns: Sequence[str]) -> str:
    return guard.allowed(Dialect(vendor=vendor, columns=tuple(columns)))


# -- PostgreSQL -----------------------------------------------------------------------------


def postgresql_install(guard: Guard, *, columns: Sequence[str]) -> list[str]:
    row = "OLD" if guard.event == "DELETE" else "NEW"
    allowed = condition(guard, vendor="postgresql", columns=columns)
    function = f"""CREATE OR REPLACE FUNCTION {guard.trigger}() RETURNS trigger
LANGUAGE plpgsql AS $guard$
BEGIN
    IF current_setting({literal(MAINTENANCE_SETTING)}, true) = 'on'
       OR coalesce(({allowed}), false) THEN
        RETURN {row};
    END IF;
    RAISE EXCEPTION USING ERRCODE = {literal(ERRCODE)}, MESSAGE = {literal(refusal(guard))};
END $guard$"""
    trigger = (
        f"CREATE OR REPLACE TRIGGER {guard.trigger} BEFORE {guard.event} "
        f"ON {quote(guard.table)} FOR EACH ROW EXECUTE FUNCTION {guard.trigger}()"
    )
    return [function, trigger]


def postgresql_truncate_function() -> str:
    return f"""CREATE OR REPLACE FUNCTION {TRUNCATE_FUNCTION}() RETURNS trigger
LANGUAGE plpgsql AS $guard$
BEGIN
    IF current_setting({literal(MAINTENANCE_SETTING)}, true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING ERRCODE = {literal(ERRCODE)},
        MESSAGE = format('TRUNCATE of %s refused: it holds issued or append-only records.',
                         TG_TABLE_NAME);
END $guard$"""


def truncate_trigger_name(table: str) -> str:
    return f"{PREFIX}truncate_{table}"


def postgresql_truncate_trigger(table: str) -> str:
    return (
        f"CREATE OR REPLACE TRIGGER {truncate_trigger_name(table)} BEFORE TRUNCATE "
        f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {TRUNCATE_FUNCTION}()"
    )


# -- SQLite ---------------------------------------------------------------------------------


def sqlite_maintenance_table() -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {MAINTENANCE_TABLE} "
        "(reason TEXT NOT NULL, since TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )


def sqlite_install(guard: Guard, *, columns: Sequence[str]) -> list[str]:
    allowed = condition(guard, vendor="sqlite", columns=columns)
    return [
        f"DROP TRIGGER IF EXISTS {guard.trigger}",
        f"""CREATE TRIGGER {guard.trigger} BEFORE {guard.event} ON {quote(guard.table)}
FOR EACH ROW
WHEN NOT EXISTS (SELECT 1 FROM {MAINTENANCE_TABLE}) AND NOT coalesce(({allowed}), 0)
BEGIN
    SELECT RAISE(ABORT, {literal(refusal(guard))});
END""",  # noqa: S608
    ]


# -- both -----------------------------------------------------------------------------------

SUPPORT_INDEX = f"{PREFIX}invoice_numbered_period"


def support_index(invoice_table: str) -> str:
    """The index the price guards look issued months up by (partial: numbered invoices)."""
    return (
        f"CREATE INDEX IF NOT EXISTS {SUPPORT_INDEX} ON {quote(invoice_table)} (period) "
        "WHERE number IS NOT NULL"
    )
