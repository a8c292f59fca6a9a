"""Bank statement benchmark: a camt.053 of N entries parsed, matched and posted (must >= 2k
entries/s, aim >= 20k entries/s, on PostgreSQL).

Not timed: the database is emptied and seeded with N demo customers (master data only, one
day of interval data) and one issued October invoice per billing account (written directly);
the statement is generated with ``integrations.bank.camt_writer``: one credit per account,
90 % with the structured reference number (the invoice amount, some overpaying), 5 % in the
``/RFB/<ref>/TXT/<text>`` form, 5 % with no reference (to suspense).
Timed: :func:`vool.usecases.import_bank_statement.import_bank_file`: reading the file, lxml
parse and XSD validation, storing the payments, matching by reference number, allocating to
the open invoices and posting the ledger, in one transaction. Parse-only is timed apart.

Quick: 10,000 entries. Full: 100,000.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import os
import pstats
import tempfile
import time
from decimal import Decimal
from pathlib import Path

AS_OF = dt.date(2026, 11, 1)
BOOKED = dt.date(2026, 11, 18)
OURS = "EE382200221020145685"


def _invoices(accounts: list[tuple[int, str]]) -> dict[int, Decimal]:
    from vool.domain.billing.models import Invoice
    from vool.domain.bulk import copy_rows

    amounts = {pk: Decimal(20 + pk % 80) + Decimal(pk % 100).scaleb(-2) for pk, _ in accounts}
    created = dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    copy_rows(
        Invoice,
        (
            "billing_account",
            "period",
            "kind",
            "status",
            "number",
            "issue_date",
            "due_date",
            "net_amount",
            "vat_amount",
            "gross_amount",
            "credit_applied_amount",
            "amount_due",
            "vat_summary",
            "reason",
            "created_by",
            "created_at",
            "issued_at",
        ),
        (
            (
                pk,
                "2026-10",
                "INVOICE",
                "ISSUED",
                n,
                dt.date(2026, 11, 5),
                dt.date(2026, 11, 19),
                amounts[pk],
                Decimal("0.00"),
                amounts[pk],
                Decimal("0.00"),
                amounts[pk],
                [],
                "",
                "",
                created,
                created,
            )
            for n, (pk, _) in enumerate(accounts, start=1)
        ),
    )
    return amounts


def _statement(accounts: list[tuple[int, str]], amounts: dict[int, Decimal]) -> bytes:
    from vool.integrations.bank import camt_writer

    lines = []
    for i, (pk, reference) in enumerate(accounts):
        amount = amounts[pk] + (Decimal("5.00") if i % 10 == 3 else 0)
        form = i % 20
        lines.append(
            camt_writer.StatementLine(
                servicer_reference=f"B{i:09d}",
                amount=amount,
                is_credit=True,
                booking_date=BOOKED,
                name=f"Maksja {i}",
                reference="" if form == 0 else reference,
                text="Arve oktoober" if form in (0, 1) else "",
                end_to_end_id=f"E2E{i}",
            )
        )
    return camt_writer.write(
        account_iban=OURS,
        statement_id="BENCH",
        created_at=dt.datetime(2026, 11, 18, 22, tzinfo=dt.UTC),
        lines=lines,
    )


def backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL server process (same machine), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from vool.common.localtime import local_midnight
    from vool.domain.customers.models import BillingAccount
    from vool.domain.ledger.models import Posting
    from vool.domain.receivables import operations, queries
    from vool.domain.receivables.models import Payment
    from vool.integrations.bank import camt
    from vool.usecases import import_bank_statement
    from vool.usecases.demo import seed

    sizes = [100_000] if full else [10_000]
    if os.environ.get("VOOL_BENCH_SIZES"):
        sizes = [int(n) for n in os.environ["VOOL_BENCH_SIZES"].split(",")]
    lines = [f"database: {connection.vendor}"]
    for n in sizes:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        seed.seed_demo(customers=n, seed=1, as_of=AS_OF, history_months=1, interval_history_days=1)
        operations.add_bank_account(iban=OURS, name="bench")
        accounts = list(BillingAccount.objects.order_by("pk").values_list("pk", "reference_number"))
        amounts = _invoices(accounts)
        data = _statement(accounts, amounts)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench-camt053.xml"
            path.write_bytes(data)
            started = time.perf_counter()
            parsed = camt.parse(data, schemas_dir=settings.VOOL_SCHEMAS_DIR)
            parse_s = time.perf_counter() - started
            postings_before = Posting.objects.count()
            profiler = cProfile.Profile() if os.environ.get("VOOL_BENCH_PROFILE") else None
            server_started = backend_cpu_seconds()
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            imported = import_bank_statement.import_bank_file(
                path=path, as_of=local_midnight(BOOKED + dt.timedelta(days=1))
            )
            if profiler is not None:
                profiler.disable()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            server_ended = backend_cpu_seconds()
            server = (
                server_ended - server_started
                if server_started is not None and server_ended is not None
                else float("nan")
            )
            if profiler is not None:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
                lines.append(out.getvalue())
        r = imported.result
        totals = queries.payment_totals()
        entries = len(parsed.transactions)
        lines.append(
            f"N={entries:,} entries ({len(data) / 1e6:.1f} MB): parse + XSD {parse_s:.2f} s "
            f"= {entries / parse_s:,.0f}/s; parse + match + post {seconds:.2f} s = "
            f"{entries / seconds:,.0f} entries/s; CPU: this process {cpu:.2f} s + PostgreSQL "
            f"server process {server:.2f} s = {entries / (cpu + server):,.0f} entries/s per "
            f"CPU second; {r.allocated:,} allocated, "
            f"{r.suspense:,} in suspense, {Posting.objects.count() - postings_before:,} postings; "
            f"payments {Payment.objects.count():,}, totals balance: {totals.balanced}"
        )
    return lines
