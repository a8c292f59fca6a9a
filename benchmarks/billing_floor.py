"""The floor of a bill run on PostgreSQL: the least a run of the same month could cost on the
same database and data — reading the month's interval data and register readings once
(``COPY ... TO STDOUT``) and writing what the run wrote (invoices, lines, what each invoice
billed of the interval data, ledger transactions and postings) with ``COPY ... FROM STDIN``
into empty copies of the tables, with their indexes. The run's time divided by this is the
"run / floor" ratio: how far the run is from the machine's own limit.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from dataclasses import dataclass
from typing import Any

# What a run reads: the billed month's interval days and the readings of its registers.
READ_QUERIES = (
    "SELECT * FROM metering_intervalday WHERE day BETWEEN %(first)s AND %(last)s",
    "SELECT * FROM metering_reading",
)
# What a run writes (table, filter that selects the rows of the run's invoices).
WRITTEN_TABLES = (
    "billing_invoice",
    "billing_invoiceline",
    "billing_invoiceintervaldays",
    "ledger_ledgertransaction",
    "ledger_posting",
)


@dataclass(frozen=True)
class Floor:
    read_seconds: float
    read_bytes: int
    write_seconds: float
    write_bytes: int

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.write_seconds


def measure(*, first_day: dt.date, last_day: dt.date) -> Floor:
    """Measure the floor on the current (PostgreSQL) database, after the run has written."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    read_s, read_bytes = 0.0, 0
    with raw.cursor() as cursor:
        for query in READ_QUERIES:
            sql = cursor.mogrify(query, {"first": first_day, "last": last_day})
            started = time.perf_counter()
            with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:
                for block in copy:
                    read_bytes += len(block)
            read_s += time.perf_counter() - started
    dumps = _dump_written(raw)
    write_s, write_bytes = 0.0, 0
    try:
        with raw.cursor() as cursor:
            for table in dumps:
                cursor.execute(
                    f"CREATE TABLE bench_floor_{table} (LIKE {table} INCLUDING DEFAULTS "
                    "INCLUDING INDEXES)"
                )
            raw.commit()
            started = time.perf_counter()
            for table, data in dumps.items():
                with cursor.copy(f"COPY bench_floor_{table} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)
                write_bytes += len(data)
            raw.commit()
            write_s = time.perf_counter() - started
    finally:
        with raw.cursor() as cursor:
            for table in dumps:
                cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{table}")
        raw.commit()
    return Floor(read_s, read_bytes, write_s, write_bytes)


def _dump_written(raw: Any) -> dict[str, bytes]:
    """The rows the run wrote, as COPY binary data (not timed)."""
    dumps: dict[str, bytes] = {}
    with raw.cursor() as cursor:
        for table in WRITTEN_TABLES:
            buffer = io.BytesIO()
            with cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                for block in copy:
                    buffer.write(block)
            dumps[table] = buffer.getvalue()
    return dumps
