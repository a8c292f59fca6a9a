"""The load's register readings written set-based from staging on PostgreSQL: one
``INSERT … SELECT`` reads the staged rows of this run (``legacy_stagedrow.fields``, the file's
fields joined by U+001F), parses them in SQL as the validation did in Python and writes the key
map's rows in the same statement. The client sends only which lines are new (the validation and
the plan still decide that, with every rule), per line its register's Vool id, account key and
fingerprint, and per reading day its time and month-end period (Python's window rule, once a
day). The register's id comes from the client, which holds every register's (the loader's
``ids``): looked up in the key map instead, each reading cost a probe of an index of millions of
keys, and the statement grew slower with every chunk loaded (benchmarks/RESULTS.md, "where the
database's time goes at 500,000").

Only the readings: measured at 5,000 and 20,000 customers (benchmarks/RESULTS.md, h51), the
interval totals, bills and bill lines written this way cost more database CPU than the client
CPU they saved (``INSERT … SELECT`` inserts row by row where COPY batches; at 20,000 customers
the bill lines' statement took 10.4 s against COPY's 6.3 s), while a reading built in Python
(two timestamps, a JSON value, a reason) costs more on the client than parsed in SQL.

What the SQL cannot read exactly as Python did (a number in other digits than ASCII, white
space other than the space) makes the statement's count differ or raises a database error:
it runs in a savepoint and the caller falls back to the rows built in Python
(:func:`write_readings` returns ``False``). The rows are the same either way
(``tests/integration/legacy/test_legacy_history_sql.py`` compares a digest of both).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from vool.domain.bulk import sequence_oid
from vool.domain.legacy.models import (
    KeyMap,
    StagedRow,
)
from vool.domain.metering.models import Reading

# The white space Python's ``str.strip()`` strips besides the space (every Unicode one; U+001F
# cannot be in a field). A staged row holding any of them anywhere is left out of the
# statement, whose count then differs from the plan's, and the entity is written from Python:
# a field is then stripped in SQL of spaces only, as Python would strip it (a btrim over the
# whole set cost more than the rest of the parsing).
_OTHER_SPACE = (
    "[\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def available() -> bool:
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class Plan:
    """What the statement of one entity needs from the client: the staged lines of the new
    rows, in the order their keys are drawn, and per line the Vool id of the row it belongs to
    (a reading's register), its key map's account key and fingerprint (as the plan computed
    them: PostgreSQL has no SHA-1 without pgcrypto)."""

    lines: Sequence[int]
    parents: Sequence[int]
    account_keys: Sequence[str]
    fingerprints: Sequence[str]


@dataclass(frozen=True)
class ReadingDays:
    """Per day of the new readings: when it counts, the month whose month-end reading it
    is ("" for an interim one) and from when it is known (Python's window rule, once a day)."""

    days: Sequence[dt.date]
    read_at: Sequence[dt.datetime]
    periods: Sequence[str]
    known_at: Sequence[dt.datetime]


def _t(at: int) -> str:
    """The staged row's field ``at`` (1-based), stripped as Python strips it."""
    return f"btrim(f[{at}])"


def _number(at: int) -> str:
    return f"replace({_t(at)}, ',', '.')::numeric"


def _date(at: int) -> str:
    parts = ", ".join(f"split_part({_t(at)}, '.', {n})::int" for n in (3, 2, 1))
    return f"make_date({parts})"


def _table(model: type[Model]) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _staged(entity: str) -> str:
    """The new staged rows of ``entity`` with their parent's id, account key and fingerprint,
    as ``s`` (``f`` the fields; ``OFFSET 0`` keeps the subquery whole, so each row is split
    once, not once per field read)."""
    # Table names from the models' metadata, the entity a constant; values are parameters.
    return f"""
        SELECT p.parent, p.account_key, p.fp, string_to_array(r.fields, E'\\x1f') AS f
        FROM unnest(%(lines)s::int[], %(parents)s::bigint[], %(accounts)s::text[],
                    %(prints)s::text[])
             AS p(line, parent, account_key, fp)
        JOIN {_table(StagedRow)} r
          ON r.run_id = %(run)s AND r.entity = '{entity}' AND r.line = p.line
        WHERE r.fields !~ %(space)s
        OFFSET 0
    """  # noqa: S608


def _statement(
    model: type[Model], entity: str, columns: str, select: str, joins: str, key: str
) -> str:
    """Draw the keys, insert the rows and their key map in one statement."""
    table, sequence = _table(model), f"{sequence_oid(model)}::regclass"  # a constant
    return f"""
        WITH src AS MATERIALIZED (
            SELECT nextval({sequence}) AS id, s.account_key, s.fp, {key} AS old_key, {select}
            FROM ({_staged(entity)}) s {joins}
        ), written AS (
            INSERT INTO {table} (id, {columns}) SELECT id, {columns} FROM src
        )
        INSERT INTO {_table(KeyMap)} (entity, old_key, new_id, account_key, fingerprint, run_id)
        SELECT '{entity}', old_key, id, account_key, fp, %(run)s FROM src
    """  # noqa: S608


def _run(sql: str, params: dict[str, Any], expected: int) -> bool:
    """``sql`` in a savepoint; False (and nothing written) if the database refused a value
    or wrote another number of rows than planned."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount != expected:
                raise _Mismatch
    except (DatabaseError, _Mismatch):
        return False
    return True


class _Mismatch(Exception):
    pass


def _params(run_id: int, plan: Plan) -> dict[str, Any]:
    return {
        "run": run_id,
        "space": _OTHER_SPACE,
        "lines": list(plan.lines),
        "parents": list(plan.parents),
        "accounts": list(plan.account_keys),
        "prints": list(plan.fingerprints),
    }


def write_readings(*, run_id: int, plan: Plan, days: ReadingDays, now: dt.datetime) -> bool:
    columns = "register_id, read_at, value_kwh, source, status, period, known_at, reason, "
    columns += "details, created_at"
    select = f"""
        s.parent AS register_id, d.read_at, {_number(4)} AS value_kwh,
        'MIGRATION' AS source, 'ACCEPTED' AS status, d.period, d.known_at,
        'legacy reading ' || {_t(1)} AS reason, '{{}}'::jsonb AS details,
        %(now)s::timestamptz AS created_at
    """
    joins = f"""
        JOIN unnest(%(days)s::date[], %(read_at)s::timestamptz[], %(periods)s::text[],
                    %(known_at)s::timestamptz[]) AS d(day, read_at, period, known_at)
          ON d.day = {_date(3)}
    """
    params = _params(run_id, plan) | {
        "now": now,
        "days": list(days.days),
        "read_at": list(days.read_at),
        "periods": list(days.periods),
        "known_at": list(days.known_at),
    }
    sql = _statement(Reading, "readings", columns, select, joins, _t(1))
    return _run(sql, params, len(plan.lines))
