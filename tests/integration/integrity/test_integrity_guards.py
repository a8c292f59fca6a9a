"""What the database refuses: every forbidden statement is tried as raw SQL, on SQLite and on
PostgreSQL (``DATABASE_URL``), and must end in an ``IntegrityError`` that says why; the
documented paths (issuing, credit notes, a new interval version, forward numbering) still work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from billing_factories import (
    add_intervals,
    add_market_prices,
    add_reading,
    exchange_product,
    fixed_product,
    load_test_tariffs,
    manual_account,
    remote_account,
)
from vool.common.localtime import Month
from vool.domain.billing import operations as billing_operations
from vool.domain.billing.models import Invoice, InvoiceIntervalDays, InvoiceLine
from vool.domain.customers import operations as customer_operations
from vool.domain.customers.models import NumberCounter
from vool.domain.integrity import checks, rules
from vool.domain.integrity import operations as integrity
from vool.domain.ledger.models import LedgerTransaction, Posting
from vool.domain.metering.models import IntervalDay, Reading
from vool.domain.tariffs.models import MarketPrice
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
DECEMBER = Month(2026, 12)
BILL_DAY = dt.date(2026, 11, 5)
AS_OF = dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC)
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="TRUNCATE triggers are PostgreSQL's"
)


@dataclass(frozen=True)
class Issued:
    """October billed: ``issued`` stands, ``cancelled`` was credited by ``credit_note``."""

    issued: Invoice
    cancelled: Invoice
    credit_note: Invoice
    reading: Reading


@pytest.fixture
def october() -> Issued:
    load_test_tariffs()
    fixed = remote_account(product=fixed_product())
    add_intervals(fixed.metering_point, OCTOBER, wh=120)
    spot = remote_account(product=exchange_product())
    add_intervals(spot.metering_point, OCTOBER, wh=80)
    add_market_prices(OCTOBER, ("38.590", "41.200"))
    add_market_prices(DECEMBER, ("50.000",))
    _, register = manual_account(product=fixed_product())
    add_reading(register, Month(2026, 9), "1000.000")
    reading = add_reading(register, OCTOBER, "1150.000")
    run = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, as_of=AS_OF)
    assert run.status == "DONE" and run.invoice_count == 3
    first, second, _ = Invoice.objects.filter(run=run).order_by("number")
    assert second.number is not None
    note = billing_operations.credit_invoice(
        number=second.number, reason="wrong meter", today=BILL_DAY, now=AS_OF
    )
    return Issued(
        issued=first,
        cancelled=Invoice.objects.get(pk=second.pk),
        credit_note=note,
        reading=reading,
    )


def refused(statement: str, params: list[Any], match: str) -> None:
    with (
        pytest.raises(IntegrityError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


def run(statement: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return int(cursor.rowcount)


def check_deferred_constraints() -> None:
    """PostgreSQL refuses TRUNCATE and ALTER TABLE while the test's transaction has deferred
    foreign-key checks pending: run them now."""
    if connection.vendor == "postgresql":
        run("SET CONSTRAINTS ALL IMMEDIATE")


ISSUED = "an issued invoice is never changed"


class TestIssuedInvoices:
    @pytest.mark.parametrize(
        "assignment",
        [
            "gross_amount = 0.01",
            "number = 999999",
            "status = 'DRAFT'",
            "issue_date = '2026-01-01'",
            "amount_due = 0",
            "status = 'CANCELLED', gross_amount = 0",
            "reason = 'edited'",
        ],
    )
    def test_an_issued_invoice_refuses_every_update(self, october: Issued, assignment: str) -> None:
        refused(
            f"UPDATE billing_invoice SET {assignment} WHERE id = %s",
            [october.issued.pk],
            f"UPDATE on billing_invoice refused: {ISSUED}",
        )
        issued = Invoice.objects.get(pk=october.issued.pk)
        assert (issued.status, issued.gross_amount, issued.number) == (
            "ISSUED",
            october.issued.gross_amount,
            october.issued.number,
        )

    @pytest.mark.parametrize("assignment", ["status = 'ISSUED'", "gross_amount = 0"])
    def test_a_cancelled_invoice_refuses_every_update(
        self, october: Issued, assignment: str
    ) -> None:
        refused(
            f"UPDATE billing_invoice SET {assignment} WHERE id = %s",
            [october.cancelled.pk],
            ISSUED,
        )

    def test_a_credit_note_refuses_updates(self, october: Issued) -> None:
        refused(
            "UPDATE billing_invoice SET gross_amount = 0 WHERE id = %s",
            [october.credit_note.pk],
            ISSUED,
        )

    @pytest.mark.parametrize("which", ["issued", "cancelled", "credit_note"])
    def test_issued_and_cancelled_invoices_are_never_deleted(
        self, october: Issued, which: str
    ) -> None:
        invoice = getattr(october, which)
        refused(
            "DELETE FROM billing_invoice WHERE id = %s",
            [invoice.pk],
            "DELETE on billing_invoice refused: an issued or cancelled invoice is never deleted",
        )

    def test_the_documented_change_passes_a_credit_note_cancels(self, october: Issued) -> None:
        assert october.cancelled.status == "CANCELLED"
        assert october.credit_note.status == "ISSUED"
        assert october.credit_note.gross_amount == -october.cancelled.gross_amount

    def test_a_draft_is_work_in_progress_and_may_change(self, october: Issued) -> None:
        draft = Invoice.objects.create(
            billing_account_id=october.issued.billing_account_id,
            period="2026-11",
            net_amount=Decimal("1.00"),
            vat_amount=Decimal("0.24"),
            gross_amount=Decimal("1.24"),
            created_at=AS_OF,
        )
        assert run("UPDATE billing_invoice SET gross_amount = 2 WHERE id = %s", [draft.pk]) == 1
        assert run("DELETE FROM billing_invoice WHERE id = %s", [draft.pk]) == 1


LINE_COLUMNS = (
    "invoice_id, position, metering_point_id, component, band, period_start, period_end, "
    "quantity, unit, unit_price, amount, vat_rate, ledger_account, is_estimated, is_true_up, "
    "basis"
)
LINES = "the lines of an issued invoice are never added, changed or deleted"


class TestInvoiceLines:
    def test_lines_of_an_issued_invoice_refuse_update_delete_and_insert(
        self, october: Issued
    ) -> None:
        pk = october.issued.pk
        refused("UPDATE billing_invoiceline SET amount = 0 WHERE invoice_id = %s", [pk], LINES)
        refused("DELETE FROM billing_invoiceline WHERE invoice_id = %s", [pk], LINES)
        copy = LINE_COLUMNS.replace("position", "position + 100")
        refused(
            f"INSERT INTO billing_invoiceline ({LINE_COLUMNS}) "
            f"SELECT {copy} FROM billing_invoiceline WHERE invoice_id = %s",
            [pk],
            f"INSERT on billing_invoiceline refused: {LINES}",
        )
        assert InvoiceLine.objects.filter(invoice_id=pk).count() == len(
            list(october.issued.lines.all())
        )

    @pytest.mark.parametrize("which", ["cancelled", "credit_note"])
    def test_lines_of_cancelled_invoices_and_credit_notes_too(
        self, october: Issued, which: str
    ) -> None:
        pk = getattr(october, which).pk
        refused("UPDATE billing_invoiceline SET amount = 0 WHERE invoice_id = %s", [pk], LINES)
        refused("DELETE FROM billing_invoiceline WHERE invoice_id = %s", [pk], LINES)

    def test_a_line_cannot_be_moved_onto_an_issued_invoice(self, october: Issued) -> None:
        draft = Invoice.objects.create(
            billing_account_id=october.issued.billing_account_id,
            period="2026-11",
            net_amount=Decimal("0"),
            vat_amount=Decimal("0"),
            gross_amount=Decimal("0"),
            created_at=AS_OF,
        )
        copy = LINE_COLUMNS.replace("invoice_id", "%s")
        run(
            f"INSERT INTO billing_invoiceline ({LINE_COLUMNS}) "
            f"SELECT {copy} FROM billing_invoiceline WHERE invoice_id = %s",
            [draft.pk, october.issued.pk],
        )
        refused(
            "UPDATE billing_invoiceline SET invoice_id = %s WHERE invoice_id = %s",
            [october.issued.pk, draft.pk],
            LINES,
        )


class TestWhatAnInvoiceHolds:
    """The interval versions an issued bill holds (billing.InvoiceIntervalDays) are its record
    of what it billed: true-ups are chosen against them."""

    def test_the_versions_an_issued_invoice_holds_refuse_update_and_delete(
        self, october: Issued
    ) -> None:
        held = "the interval data versions an issued invoice holds are never changed"
        pk = (
            InvoiceIntervalDays.objects.filter(invoice__status="ISSUED")
            .values_list("invoice_id", flat=True)
            .first()
        )
        assert pk is not None
        count = InvoiceIntervalDays.objects.filter(invoice_id=pk).count()
        refused(
            "UPDATE billing_invoiceintervaldays SET invoice_id = invoice_id WHERE invoice_id = %s",
            [pk],
            held,
        )
        refused("DELETE FROM billing_invoiceintervaldays WHERE invoice_id = %s", [pk], held)
        assert InvoiceIntervalDays.objects.filter(invoice_id=pk).count() == count


class TestNumberCounters:
    def test_a_counter_never_goes_back_and_is_never_deleted(self, october: Issued) -> None:
        name = billing_operations.INVOICE_COUNTER
        refused(
            "UPDATE customers_numbercounter SET next_value = next_value - 1 WHERE name = %s",
            [name],
            "UPDATE on customers_numbercounter refused: a number counter only moves forward",
        )
        refused(
            "UPDATE customers_numbercounter SET next_value = 1 WHERE name = %s",
            [name],
            "only moves forward",
        )
        refused(
            "UPDATE customers_numbercounter SET name = 'other' WHERE name = %s",
            [name],
            "only moves forward",
        )
        refused(
            "DELETE FROM customers_numbercounter WHERE name = %s",
            [name],
            "a number counter is never deleted",
        )

    def test_forward_is_the_documented_path(self, october: Issued) -> None:
        name = billing_operations.INVOICE_COUNTER
        before = NumberCounter.objects.get(name=name).next_value
        numbers = customer_operations.allocate_numbers(name=name, count=3, start=1)
        assert numbers == range(before, before + 3)
        assert NumberCounter.objects.get(name=name).next_value == before + 3


READINGS = "readings are append-only"
LEDGER = "the ledger is append-only"


class TestAppendOnly:
    def test_readings_refuse_update_and_delete(self, october: Issued) -> None:
        pk = october.reading.pk
        refused("UPDATE metering_reading SET value_kwh = 0 WHERE id = %s", [pk], READINGS)
        refused("UPDATE metering_reading SET status = 'REJECTED' WHERE id = %s", [pk], READINGS)
        refused("DELETE FROM metering_reading WHERE id = %s", [pk], READINGS)
        assert Reading.objects.get(pk=pk).value_kwh == Decimal("1150.000")

    def test_ledger_postings_and_transactions_refuse_update_and_delete(
        self, october: Issued
    ) -> None:
        assert Posting.objects.count() > 0
        refused("UPDATE ledger_posting SET amount = amount * 2", [], LEDGER)
        refused("DELETE FROM ledger_posting", [], LEDGER)
        refused("UPDATE ledger_ledgertransaction SET posted_date = '2020-01-01'", [], LEDGER)
        refused("DELETE FROM ledger_ledgertransaction", [], LEDGER)
        assert LedgerTransaction.objects.count() == 4  # three invoices and a credit note


INTERVALS = "interval data versions are append-only"


class TestIntervalVersions:
    @pytest.mark.parametrize(
        "assignment",
        ["total_wh = 0", "version = version + 10", "day = '2020-01-01'", "quality = values_wh"],
    )
    def test_a_version_never_changes(self, october: Issued, assignment: str) -> None:
        day = IntervalDay.objects.order_by("pk").first()
        assert day is not None
        refused(f"UPDATE metering_intervalday SET {assignment} WHERE id = %s", [day.pk], INTERVALS)

    def test_a_version_is_never_deleted(self, october: Issued) -> None:
        refused("DELETE FROM metering_intervalday", [], INTERVALS)

    def test_only_is_current_flips_and_only_to_false(self, october: Issued) -> None:
        day = IntervalDay.objects.order_by("pk").first()
        assert day is not None
        superseded = "2026-11-06 08:00:00+00:00"
        assert run(
            "UPDATE metering_intervalday SET is_current = %s, superseded_at = %s WHERE id = %s",
            [False, superseded, day.pk],
        )
        refused(
            "UPDATE metering_intervalday SET is_current = %s, superseded_at = NULL WHERE id = %s",
            [True, day.pk],
            INTERVALS,
        )
        refused(
            "UPDATE metering_intervalday SET superseded_at = %s WHERE id = %s",
            ["2026-11-07 08:00:00+00:00", day.pk],
            INTERVALS,
        )


PRICES = "a market price of a month with issued invoices is never changed in place"


class TestMarketPrices:
    def test_prices_of_an_invoiced_month_refuse_update_and_delete(self, october: Issued) -> None:
        start = dt.datetime(2026, 10, 15, 10, tzinfo=dt.UTC)
        price = MarketPrice.objects.get(start_at=start)
        refused(
            "UPDATE tariffs_marketprice SET price_eur_mwh = 9999 WHERE id = %s", [price.pk], PRICES
        )
        refused("DELETE FROM tariffs_marketprice WHERE id = %s", [price.pk], PRICES)
        assert MarketPrice.objects.get(pk=price.pk).price_eur_mwh == price.price_eur_mwh

    def test_the_first_hour_of_the_invoiced_month_in_tallinn_is_guarded(
        self, october: Issued
    ) -> None:
        # 2026-10-01 00:00 in Tallinn (UTC+3) is 2026-09-30 21:00 UTC
        first = MarketPrice.objects.order_by("start_at").first()
        assert first is not None and first.start_at == dt.datetime(2026, 9, 30, 21, tzinfo=dt.UTC)
        refused("DELETE FROM tariffs_marketprice WHERE id = %s", [first.pk], PRICES)

    def test_a_price_cannot_be_moved_into_an_invoiced_month(self, october: Issued) -> None:
        december = MarketPrice.objects.get(start_at=dt.datetime(2026, 12, 15, 10, tzinfo=dt.UTC))
        refused(
            "UPDATE tariffs_marketprice SET start_at = %s WHERE id = %s",
            [
                connection.ops.adapt_datetimefield_value(
                    dt.datetime(2026, 10, 20, 10, 7, tzinfo=dt.UTC)
                ),
                december.pk,
            ],
            PRICES,
        )

    def test_prices_of_a_month_without_issued_invoices_may_be_corrected(
        self, october: Issued
    ) -> None:
        start = dt.datetime(2026, 12, 15, 10, tzinfo=dt.UTC)
        updated = run(
            "UPDATE tariffs_marketprice SET price_eur_mwh = 51 WHERE start_at = %s",
            [connection.ops.adapt_datetimefield_value(start)],
        )
        assert updated == 1
        assert MarketPrice.objects.get(start_at=start).price_eur_mwh == Decimal("51.000")


@postgresql_only
class TestTruncate:
    @pytest.mark.parametrize("table", rules.guarded_tables())
    def test_truncate_is_refused(self, october: Issued, table: str) -> None:
        check_deferred_constraints()
        refused(f"TRUNCATE {table} CASCADE", [], r"TRUNCATE of \w+ refused")
        assert Posting.objects.exists() and Reading.objects.exists()


class TestMaintenanceSwitch:
    def test_the_switch_lifts_the_guards_for_its_transaction_only(self, october: Issued) -> None:
        assert not integrity.guards_lifted()
        with integrity.maintenance(reason="test: reset the ledger"):
            assert integrity.guards_lifted()
            assert run("DELETE FROM ledger_posting") > 0
        assert not integrity.guards_lifted()
        assert not Posting.objects.exists()
        refused("DELETE FROM ledger_ledgertransaction", [], LEDGER)

    def test_the_switch_is_off_again_after_a_failure_inside(self, october: Issued) -> None:
        with pytest.raises(RuntimeError), integrity.maintenance(reason="test"):
            raise RuntimeError("boom")
        refused("DELETE FROM ledger_posting", [], LEDGER)
        assert Posting.objects.exists()

    def test_a_reason_is_required(self) -> None:
        with pytest.raises(ValueError, match="Say why"), integrity.maintenance(reason=" "):
            pass

    def test_flush_empties_guarded_tables_and_leaves_the_guards_in_place(
        self, october: Issued
    ) -> None:
        check_deferred_constraints()
        call_command("flush", interactive=False, verbosity=0)
        assert not Invoice.objects.exists() and not Posting.objects.exists()
        assert integrity.installed_triggers() and integrity.missing_triggers() == []
        assert not integrity.guards_lifted()


class TestInstallation:
    def test_every_guard_is_installed_and_installing_again_changes_nothing(self) -> None:
        before = integrity.installed_triggers()
        assert before and integrity.missing_triggers() == []
        tables = set(connection.introspection.table_names())
        assert {g.trigger for g in rules.GUARDS if g.table in tables} <= set(before)
        assert integrity.install_guards() == before
        assert integrity.installed_triggers() == before

    def test_a_column_added_later_is_frozen_too(self, october: Issued) -> None:
        check_deferred_constraints()
        run("ALTER TABLE billing_invoice ADD COLUMN note_h4 VARCHAR(20) NULL")
        integrity.install_guards()
        refused(
            "UPDATE billing_invoice SET note_h4 = 'x' WHERE id = %s", [october.issued.pk], ISSUED
        )

    def test_superseded_triggers_of_earlier_migrations_are_gone(self) -> None:
        names = set(integrity.installed_triggers())
        assert not names & {name for _, name in rules.SUPERSEDED_TRIGGERS}
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s)",
                    [[name for _, name in rules.SUPERSEDED_TRIGGERS]],
                )
                assert cursor.fetchall() == []


class TestMissingGuardsCheck:
    def test_all_present_no_warning(self) -> None:
        assert integrity.missing_triggers() == []
        assert checks.guards_installed(databases=["default"]) == []

    def test_a_dropped_guard_is_reported_until_installed_again(self) -> None:
        if connection.vendor == "postgresql":
            run("DROP TRIGGER vool_integrity_posting_delete ON ledger_posting")
        else:
            run("DROP TRIGGER vool_integrity_posting_delete")
        assert integrity.missing_triggers() == ["vool_integrity_posting_delete"]
        (warning,) = checks.guards_installed(databases=["default"])
        assert warning.id == "integrity.W001"
        assert "vool_integrity_posting_delete" in warning.msg
        integrity.install_guards()
        assert integrity.missing_triggers() == []
