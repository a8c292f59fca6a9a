"""Finance reports from the ledger: the account statement, the payments and suspense list,
and the general-ledger export (hand-computed; and a property: the export balances to zero
and agrees with the ledger after any mix of bills, credit notes, payments and refunds)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receivables_factories import (
    AS_OF,
    OURS,
    account,
    credit,
    issued_invoice,
    our_bank_account,
    statement_file,
)
from vool.common.money import RoundingMode, round_money
from vool.domain.billing import operations as billing_operations
from vool.domain.billing.models import Invoice, InvoiceLine
from vool.domain.customers.models import BillingAccount
from vool.domain.ledger import operations as ledger_operations
from vool.domain.ledger import queries as ledger_queries
from vool.domain.ledger.models import LedgerAccount
from vool.domain.receivables import operations, queries, reports
from vool.domain.receivables.models import Payment
from vool.integrations.bank import camt, camt_writer
from vool.usecases import import_bank_statement
from vool.usecases.import_bank_statement import to_statement

D = Decimal


def vat_invoice(
    billing_account: BillingAccount,
    *,
    number: int,
    energy: str,
    interest: str = "0.00",
    issue: dt.date,
) -> Invoice:
    """An issued invoice with an energy line at 24 % VAT and (optionally) a late-payment
    interest line outside VAT, posted to the ledger as the bill run posts it."""
    net_energy, net_interest = D(energy), D(interest)
    vat = round_money(net_energy * D("0.24"), mode=RoundingMode.HALF_UP)
    gross = net_energy + net_interest + vat
    invoice = Invoice.objects.create(
        billing_account=billing_account,
        period=f"{issue:%Y-%m}-{number}"[:7],
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.DRAFT,
        net_amount=net_energy + net_interest,
        vat_amount=vat,
        gross_amount=gross,
        vat_summary=[
            *([{"rate": "0", "base": str(net_interest), "vat": "0.00"}] if net_interest else []),
            {"rate": "0.24", "base": str(net_energy), "vat": str(vat)},
        ],
        created_at=AS_OF,
    )
    lines = [("ENERGY", net_energy, D("0.24"), LedgerAccount.REVENUE_ENERGY)]
    if net_interest:
        lines.append(("LATE_INTEREST", net_interest, D("0"), LedgerAccount.REVENUE_INTEREST))
    for position, (component, amount, rate, ledger_account) in enumerate(lines, start=1):
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            component=component,
            period_start=issue.replace(day=1),
            period_end=issue,
            quantity=D("1.000"),
            unit=InvoiceLine.Unit.KWH,
            unit_price=amount,
            amount=amount,
            vat_rate=rate,
            ledger_account=ledger_account,
        )
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.ISSUED,
        number=number,
        issue_date=issue,
        due_date=issue + dt.timedelta(days=14),
        amount_due=gross,
        issued_at=AS_OF,
    )
    postings = [
        (LedgerAccount.RECEIVABLE, gross),
        (LedgerAccount.VAT_PAYABLE, -vat),
        (LedgerAccount.REVENUE_ENERGY, -net_energy),
    ]
    if net_interest:
        postings.append((LedgerAccount.REVENUE_INTEREST, -net_interest))
    ledger_operations.post_transactions(
        transactions=[
            ledger_operations.NewTransaction(
                billing_account_id=billing_account.pk,
                kind="INVOICE",
                document_type="billing.Invoice",
                document_id=invoice.pk,
                reference=str(number),
                posted_date=issue,
                postings=tuple((a, x) for a, x in postings if x),
            )
        ],
        created_at=AS_OF,
    )
    invoice.refresh_from_db()
    return invoice


@pytest.fixture
def book(tmp_path: Path) -> int:
    """Mari: a September bill of 40.00 (no VAT), an October bill of 100.00 + 24.00 VAT +
    0.97 interest, 50.00 paid on 3 November, and 7.77 that nobody claimed (suspense)."""
    our_bank_account()
    mari = account("10000016")
    issued_invoice(mari, number=1, gross="40.00", due=dt.date(2026, 10, 1), period="2026-08")
    vat_invoice(mari, number=2, energy="100.00", interest="0.97", issue=dt.date(2026, 10, 17))
    outcome = import_bank_statement.import_bank_file(
        path=statement_file(
            tmp_path / "s.xml",
            credit("P1", "50.00", reference="10000016", name="Mari Maasikas"),
            credit("P2", "7.77", text="for the flat", name="Somebody"),
        ),
        as_of=AS_OF,
    )
    assert not isinstance(outcome, import_bank_statement.RejectedFile)
    return int(mari.pk)


@pytest.mark.django_db
class TestAccountStatement:
    def test_opening_movements_interest_closing(self, book: int) -> None:
        s = reports.account_statement(
            billing_account_id=book, date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 11, 30)
        )
        # opening: the September bill (issued 17 September) = 40.00
        assert s.opening == D("40.00")
        assert [
            (ln.posted_date, ln.kind, ln.reference, ln.amount, ln.interest) for ln in s.lines
        ] == [
            (dt.date(2026, 10, 17), "INVOICE", "2", D("124.97"), D("0.97")),
            (dt.date(2026, 11, 3), "PAYMENT", "P1", D("-50.00"), D("0.00")),
        ]
        # 40.00 + 124.97 - 50.00
        assert s.closing == D("114.97")
        assert s.closing == ledger_queries.receivable_balance(billing_account_id=book)
        assert (s.total("INVOICE"), s.total("PAYMENT"), s.interest) == (
            D("124.97"),
            D("-50.00"),
            D("0.97"),
        )

    def test_a_period_before_anything(self, book: int) -> None:
        s = reports.account_statement(
            billing_account_id=book, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31)
        )
        assert (s.opening, s.lines, s.closing) == (D("0.00"), [], D("0.00"))

    def test_cli(self, book: int, capsys: pytest.CaptureFixture[str]) -> None:
        call_command(
            "receivables", "statement", "--account", "10000016", "--from", "2026-10-01",
            "--to", "2026-11-30",
        )  # fmt: skip
        out = capsys.readouterr().out
        assert "opening balance" in out and "114.97" in out and "of which interest 0.97" in out


@pytest.mark.django_db
class TestPayments:
    def test_payments_and_the_suspense_list(self, book: int) -> None:
        rows = reports.payments(date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30))
        assert [(r.amount, r.status, r.allocated, r.refunded, r.suspense) for r in rows] == [
            (D("50.00"), "ALLOCATED", D("50.00"), D("0.00"), D("0.00")),
            (D("7.77"), "SUSPENSE", D("0.00"), D("0.00"), D("7.77")),
        ]
        waiting = reports.payments(
            date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30), status="SUSPENSE"
        )
        assert [r.payer_name for r in waiting] == ["Somebody"]

    def test_cli_suspense_list(self, book: int, capsys: pytest.CaptureFixture[str]) -> None:
        call_command(
            "receivables", "payments", "--from", "2026-11-01", "--to", "2026-11-30",
            "--status", "SUSPENSE",
        )  # fmt: skip
        out = capsys.readouterr().out
        assert "suspense 7.77" in out and "1 payment(s), 7.77 EUR." in out


@pytest.mark.django_db
class TestGLExport:
    def test_rows_by_month_account_and_rate(self, book: int, tmp_path: Path) -> None:
        rows = reports.gl_export(date_from=dt.date(2026, 8, 1), date_to=dt.date(2026, 11, 30))
        assert [(r.period, r.account, r.detail, r.debit, r.credit) for r in rows] == [
            ("2026-09", "RECEIVABLE", "", D("40.00"), D("0.00")),
            ("2026-09", "REVENUE_ENERGY", "", D("0.00"), D("40.00")),
            ("2026-10", "RECEIVABLE", "", D("124.97"), D("0.00")),
            ("2026-10", "REVENUE_ENERGY", "", D("0.00"), D("100.00")),
            ("2026-10", "REVENUE_INTEREST", "", D("0.00"), D("0.97")),
            ("2026-10", "VAT_PAYABLE", "0.24", D("0.00"), D("24.00")),
            ("2026-11", "CASH", "", D("57.77"), D("0.00")),
            ("2026-11", "RECEIVABLE", "", D("0.00"), D("50.00")),
            ("2026-11", "SUSPENSE", "", D("0.00"), D("7.77")),
        ]
        out = tmp_path / "gl.csv"
        call_command(
            "receivables", "gl-export", "--from", "2026-08-01", "--to", "2026-11-30",
            "--out", str(out),
        )  # fmt: skip
        table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert len(table) == 9
        assert sum(D(r["net"]) for r in table) == D("0.00")


# --- property ---------------------------------------------------------------------------------

step = st.one_of(
    st.tuples(st.just("bill"), st.integers(0, 1), st.integers(1, 50_000), st.integers(0, 999)),
    st.tuples(st.just("credit"), st.integers(0, 5)),
    st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 50_000), st.integers(0, 3)),
    st.tuples(st.just("refund"), st.integers(0, 5)),
)
REFERENCES = ("10000016", "10000029")


class GLBook:
    def __init__(self) -> None:
        our_bank_account()
        self.accounts = [account(ref) for ref in REFERENCES]
        self.invoices: list[int] = []
        self.payments: list[int] = []

    def bill(self, who: int, cents: int, interest_cents: int) -> None:
        n = len(self.invoices)
        invoice = vat_invoice(
            self.accounts[who],
            number=2_000_000 + n,
            energy=str(D(cents).scaleb(-2)),
            interest=str(D(interest_cents).scaleb(-2)),
            issue=dt.date(2026, 1 + n % 12, 10),
        )
        self.invoices.append(invoice.pk)

    def credit(self, index: int) -> None:
        if index < len(self.invoices):
            number = Invoice.objects.get(pk=self.invoices[index]).number
            assert number is not None
            with contextlib.suppress(billing_operations.UnableToCreditInvoice):
                billing_operations.credit_invoice(
                    number=number,
                    reason="property",
                    today=dt.date(2026, 6, 30),
                    now=AS_OF,
                )

    def pay(self, who: int, cents: int, month: int) -> None:
        key = f"P{len(self.payments)}"
        line = camt_writer.StatementLine(
            key,
            D(cents).scaleb(-2),
            True,
            dt.date(2026, 3 + month, 5),
            reference=REFERENCES[who] if who < 2 else "",
            text="" if who < 2 else "no reference",
            iban="EE462200221011112222",
        )
        data = camt_writer.write(
            account_iban=OURS, statement_id=f"S{key}", created_at=AS_OF, lines=[line]
        )
        parsed = camt.parse(data, schemas_dir=django_settings.VOOL_SCHEMAS_DIR)
        operations.import_statement(statement=to_statement(parsed, file_name=key), as_of=AS_OF)
        self.payments.append(Payment.objects.get(entry_key=key).pk)

    def refund(self, index: int) -> None:
        if index < len(self.payments):
            payment = Payment.objects.get(pk=self.payments[index])
            if queries.unallocated_amount(payment=payment) > 0:
                operations.refund_from_suspense(
                    payment_id=payment.pk, by="clerk", reason="property", as_of=AS_OF
                )


def check_gl() -> None:
    rows = reports.gl_export(date_from=dt.date(2025, 1, 1), date_to=dt.date(2027, 12, 31))
    by_period: dict[str, Decimal] = {}
    by_account: dict[str, Decimal] = {}
    for row in rows:
        assert row.debit >= 0 and row.credit >= 0
        by_period[row.period] = by_period.get(row.period, D(0)) + row.net
        by_account[row.account] = by_account.get(row.account, D(0)) + row.net
    assert all(net == 0 for net in by_period.values()), by_period
    ledger = ledger_queries.account_totals()
    for name, net in by_account.items():
        assert net == ledger.get(name, D("0.00")), name
    assert sum(D(r["net"]) for r in csv.DictReader(io.StringIO(reports.gl_csv(rows)))) == 0


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, max_size=8))
def test_the_gl_export_balances_and_agrees_with_the_ledger(steps: list[tuple[object, ...]]) -> None:
    with transaction.atomic():
        book = GLBook()
        for action, *args in steps:
            getattr(book, str(action))(*args)
        check_gl()
        transaction.set_rollback(True)
