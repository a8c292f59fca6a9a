"""Dunning run benchmark: ``run_dunning`` over N billing accounts (must <= 5 min, aim <= 1 min
at 500,000 accounts).

Not timed: the database is emptied and seeded with N demo customers (master data only); each
billing account gets one issued invoice (written by COPY, with its ledger transaction:
receivable against energy revenue), due 40 days before the run's date; every tenth account has
paid it in full (settled by a payment allocation), every twentieth is under a vulnerable-customer
hold. The shipped dunning levels are replaced by a reminder at 10 days with a 1.50 fee (so
every open invoice qualifies for a letter and a fee).
Timed: one :func:`vool.domain.receivables.dunning.run_dunning` — the letters (one query and one
insert per level), the late-payment interest of every overdue invoice (accrued day by day,
stored as pending charges) and the fees (pending charges), in one transaction; wall time,
this process's CPU and the PostgreSQL server process's CPU.

Quick: 20,000 accounts. Full: 50,000 (500,000 is extrapolated from it: see RESULTS.md).
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import os
import pstats
import time
from decimal import Decimal

RUN_DATE = dt.date(2026, 11, 30)
DUE = RUN_DATE - dt.timedelta(days=40)
AS_OF = dt.datetime(2026, 11, 30, 6, tzinfo=dt.UTC)


def _invoices_on_the_ledger(accounts: list[int]) -> dict[int, int]:
    from vool.domain.billing.models import Invoice
    from vool.domain.bulk import copy_rows, reserve_ids
    from vool.domain.ledger.models import LedgerTransaction, Posting

    ids = reserve_ids(Invoice, len(accounts))
    tx_ids = reserve_ids(LedgerTransaction, len(accounts))
    assert ids is not None and tx_ids is not None, "PostgreSQL only"
    amount = {pk: Decimal(20 + pk % 80) + Decimal(pk % 100).scaleb(-2) for pk in accounts}
    issued = DUE - dt.timedelta(days=14)
    copy_rows(
        Invoice,
        (
            "id", "billing_account", "period", "kind", "status", "number", "issue_date",
            "due_date", "net_amount", "vat_amount", "gross_amount", "credit_applied_amount",
            "amount_due", "vat_summary", "reason", "created_by", "created_at", "issued_at",
        ),
        (
            (
                iid, pk, "2026-09", "INVOICE", "ISSUED", n, issued, DUE, amount[pk],
                Decimal("0.00"), amount[pk], Decimal("0.00"), amount[pk], [], "", "", AS_OF,
                AS_OF,
            )
            for n, (iid, pk) in enumerate(zip(ids, accounts, strict=True), start=1)
        ),
    )  # fmt: skip
    copy_rows(
        LedgerTransaction,
        ("id", "billing_account", "kind", "document_type", "document_id", "reference",
         "posted_date", "created_at"),
        (
            (tid, pk, "INVOICE", "billing.Invoice", iid, str(n), issued, AS_OF)
            for n, (tid, iid, pk) in enumerate(zip(tx_ids, ids, accounts, strict=True), start=1)
        ),
    )  # fmt: skip
    copy_rows(
        Posting,
        ("transaction", "billing_account", "account", "amount"),
        (
            row
            for tid, pk in zip(tx_ids, accounts, strict=True)
            for row in (
                (tid, pk, "RECEIVABLE", amount[pk]),
                (tid, pk, "REVENUE_ENERGY", -amount[pk]),
            )
        ),
    )
    return dict(zip(accounts, ids, strict=True))


def _pay_every_tenth(accounts: list[int]) -> None:
    """Every tenth account pays its invoice in full, through the real import path."""
    from vool.domain.billing.models import Invoice
    from vool.domain.customers.models import BillingAccount
    from vool.domain.receivables import operations

    paying = set(accounts[::10])
    refs = dict(BillingAccount.objects.filter(pk__in=paying).values_list("pk", "reference_number"))
    due = dict(
        Invoice.objects.filter(billing_account_id__in=paying).values_list(
            "billing_account_id", "amount_due"
        )
    )
    bank = operations.add_bank_account(iban="EE382200221020145685", name="bench")
    operations.import_statement(
        statement=operations.StatementData(
            account_iban=bank.iban,
            sha256="bench-dunning",
            file_name="bench",
            message="camt.053.001.02",
            message_id="bench",
            statement_id="bench",
            entry_count=len(paying),
            lines=[
                operations.BankLine(
                    key=f"P{pk}",
                    amount=due[pk],
                    is_credit=True,
                    booking_date=DUE - dt.timedelta(days=2),
                    value_date=DUE - dt.timedelta(days=2),
                    name="Maksja",
                    iban="",
                    reference=refs[pk],
                    reference_source="STRD",
                    text="",
                    end_to_end_id="",
                    is_reversal=False,
                    bank_code="PMNT/RCDT/ESCT",
                    return_reason="",
                )
                for pk in sorted(paying)
            ],
        ),
        as_of=AS_OF,
    )


def _holds(accounts: list[int]) -> None:
    from vool.domain.receivables.models import DunningHold

    DunningHold.objects.bulk_create(
        [
            DunningHold(
                kind="VULNERABLE",
                billing_account_id=pk,
                reason="medical equipment",
                valid_from=dt.date(2026, 1, 1),
                created_by="bench",
                created_at=AS_OF,
            )
            for pk in accounts[5::20]
        ],
        batch_size=5000,
    )


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from bench_bank import backend_cpu_seconds
    from django.core.management import call_command
    from django.db import connection

    from vool.domain.billing.models import PendingCharge
    from vool.domain.customers.models import BillingAccount
    from vool.domain.receivables import dunning
    from vool.domain.receivables.models import DunningLevel, StatutoryInterestRate
    from vool.usecases.demo import seed

    sizes = [50_000] if full else [20_000]
    if os.environ.get("VOOL_BENCH_SIZES"):
        sizes = [int(n) for n in os.environ["VOOL_BENCH_SIZES"].split(",")]
    lines = [f"database: {connection.vendor}"]
    for n in sizes:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        seed.seed_demo(
            customers=n, seed=1, as_of=dt.date(2026, 10, 1), history_months=1,
            interval_history_days=1,
        )  # fmt: skip
        accounts = list(BillingAccount.objects.order_by("pk").values_list("pk", flat=True))
        _invoices_on_the_ledger(accounts)
        _pay_every_tenth(accounts)
        _holds(accounts)
        DunningLevel.objects.all().delete()
        StatutoryInterestRate.objects.get_or_create(  # flush emptied the seeded rates
            valid_from=dt.date(2026, 7, 1),
            defaults={"ecb_rate_percent": Decimal("2.15"), "margin_percent": Decimal(8)},
        )
        DunningLevel.objects.create(
            level="REMINDER",
            days_after_due=10,
            fee_amount=Decimal("1.50"),
            minimum_amount=Decimal("5.00"),
            valid_from=dt.date(2026, 1, 1),
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a load
        server_started = backend_cpu_seconds()
        profiler = cProfile.Profile() if os.environ.get("VOOL_BENCH_PROFILE") else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        result = dunning.run_dunning(run_date=RUN_DATE, as_of=AS_OF, by="bench")
        if profiler is not None:
            profiler.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
            lines.append(out.getvalue())
        server_ended = backend_cpu_seconds()
        server = (
            server_ended - server_started
            if server_started is not None and server_ended is not None
            else float("nan")
        )
        charges = PendingCharge.objects.count()
        lines.append(
            f"N={len(accounts):,} accounts: run_dunning {seconds:.2f} s wall = "
            f"{len(accounts) / seconds:,.0f} accounts/s; CPU: this process {cpu:.2f} s + "
            f"PostgreSQL server process {server:.2f} s; letters {result.letters}, "
            f"{charges:,} pending charges (interest + fees)"
        )
    return lines
