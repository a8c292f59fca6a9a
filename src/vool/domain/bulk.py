"""Set-based writes: many rows in one statement stream, never one ORM save per row.

On PostgreSQL, :func:`copy_rows` streams rows with ``COPY ... FROM STDIN`` (psycopg 3);
elsewhere it runs batched ``INSERT``s with each value adapted by its model field. Rows are
tuples in ``fields`` order and carry every value the table needs (``auto_now_add`` is not
applied).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from django.db import connections, models

BATCH_SIZE = 2000
#: values in one ``IN`` list: below SQLite's oldest limit of parameters in one statement (999)
IN_LIST = 900
T = TypeVar("T")


def in_batches(items: Iterable[T], size: int = IN_LIST) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, taken as they come (a stream of any length
    in bounded memory): the values of one bounded ``IN`` list, the rows of one statement."""
    if size < 1:
        raise ValueError(f"a batch holds at least one item, not {size}")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a concrete field")
    return field


def copy_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    using: str = "default",
) -> int:
    """Insert ``rows`` into ``model``'s table; returns the number of rows written."""
    connection = connections[using]
    model_fields = [_concrete_field(model, name) for name in fields]
    columns = [str(f.column) for f in model_fields]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
        # psycopg adapts dates, decimals and bytes itself; JSON needs the field's adapter.
        json_fields = [
            (i, f) for i, f in enumerate(model_fields) if isinstance(f, models.JSONField)
        ]
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    if json_fields:
                        row = list(row)
                        for i, f in json_fields:
                            row[i] = f.get_db_prep_save(row[i], connection)
                    copy.write_row(row)
                    count += 1
        return count
    # Elsewhere (SQLite): a plain multi-row INSERT with each value adapted by its field.
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(c) for c in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    # Table and column names come from the model's metadata, quoted; values are parameters.
    sql = f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})"  # noqa: S608
    # Values repeated row after row (the day, a timestamp) are adapted once.
    last_in: list[Any] = [object()] * len(columns)
    last_out: list[Any] = [None] * len(columns)

    def adapt(row: Sequence[Any]) -> list[Any]:
        out = []
        for i, (f, v) in enumerate(zip(model_fields, row, strict=True)):
            if v is not last_in[i]:
                last_in[i], last_out[i] = v, f.get_db_prep_save(v, connection)
            out.append(last_out[i])
        return out

    count = 0
    with connection.cursor() as cursor:
        for batch in in_batches(rows, BATCH_SIZE):
            cursor.executemany(sql, [adapt(row) for row in batch])
            count += len(batch)
    return count


def reserve_ids(
    model: type[models.Model], count: int, *, using: str = "default"
) -> list[int] | None:
    """On PostgreSQL, ``count`` new primary keys drawn from ``model``'s sequence in one query
    (so rows can be streamed with COPY and referenced at once); elsewhere None (the database
    assigns keys on INSERT)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        # the sequence's OID as a constant: looked up once, not once per key (7.5 µs a key
        # against 0.9 µs, benchmarks/RESULTS.md)
        cursor.execute(
            "SELECT nextval(%s::oid::regclass) FROM generate_series(1, %s)",
            [sequence_oid(model, using=using), count],
        )
        return [value for (value,) in cursor.fetchall()]


def sequence_oid(model: type[models.Model], *, using: str = "default") -> int:
    """The OID of the sequence of ``model``'s primary key, on PostgreSQL: for a statement
    drawing many keys, given to it as ``nextval(<oid>::regclass)``."""
    pk = model._meta.pk
    assert pk is not None
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)::regclass::oid",
            [model._meta.db_table, pk.column],
        )
        return int(cursor.fetchone()[0])


def insert_instances(
    model: type[models.Model], instances: Sequence[models.Model], *, using: str = "default"
) -> None:
    """Insert new model instances set-based and set their primary keys.

    On PostgreSQL the keys are drawn from the table's sequence in one query and the rows
    streamed with COPY; elsewhere ``bulk_create`` (which sets the keys itself).
    """
    if not instances:
        return
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._default_manager.using(using).bulk_create(list(instances), batch_size=BATCH_SIZE)
        return
    keys = reserve_ids(model, len(instances), using=using)
    assert keys is not None
    for instance, key in zip(instances, keys, strict=True):
        instance.pk = key
    fields = [f for f in model._meta.concrete_fields]
    copy_rows(
        model,
        [f.name for f in fields],
        ([f.pre_save(instance, add=True) for f in fields] for instance in instances),
        using=using,
    )
    for instance in instances:
        instance._state.adding = False
        instance._state.db = using


def refresh_statistics(*models_: type[models.Model], using: str = "default") -> None:
    """Bring the planner's statistics of these tables up to date after a bulk write, on
    PostgreSQL (``ANALYZE`` samples the table; a fraction of a second even at millions of
    rows). A statement over rows written moments ago in the same job otherwise runs on stale
    estimates: a fresh database's first bill run planned its ledger postings as a nested loop
    over invoices x transactions (4.6 s for 1,000 invoices, growing with the square)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
