"""Helpers for the receivables tests (``from receivables_factories import ...``): the retailer's
bank account, billing accounts with known reference numbers, issued invoices on the ledger,
and statements written with ``integrations.bank.camt_writer``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from factories import BillingAccountFactory
from vool.domain.billing.models import Invoice, InvoiceLine
from vool.domain.customers.models import BillingAccount
from vool.domain.ledger import operations as ledger_operations
from vool.domain.ledger.models import LedgerAccount
from vool.domain.receivables import operations
from vool.domain.receivables.models import BankAccount
from vool.integrations.bank import camt, camt_writer

OURS = "EE382200221020145685"
MARI_IBAN = "EE462200221011112222"
JURI_IBAN = "EE437700771003334444"
PAIKE_IBAN = "EE871010220055556666"
STRANGER_IBAN = "EE471000001020145685"
AS_OF = dt.datetime(2026, 11, 3, 22, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 11, 3)


def our_bank_account() -> BankAccount:
    return operations.add_bank_account(iban=OURS, name="Swedbank")


def account(reference: str) -> BillingAccount:
    return BillingAccountFactory(reference_number=reference)  # type: ignore[no-any-return]


def issued_invoice(
    billing_account: BillingAccount,
    *,
    number: int,
    gross: str,
    due: dt.date,
    period: str | None = None,
) -> Invoice:
    """An issued invoice of ``gross`` (one energy line, no VAT) posted to the ledger
    (receivable against revenue), as the bill run's final step leaves it: drafted with its
    line, then numbered and issued (the database refuses lines added to an issued invoice)."""
    amount = Decimal(gross)
    issue = due - dt.timedelta(days=14)
    invoice = Invoice.objects.create(
        billing_account=billing_account,
        period=period or f"{issue:%Y-%m}",
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.DRAFT,
        net_amount=amount,
        vat_amount=Decimal("0.00"),
        gross_amount=amount,
        created_at=AS_OF,
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        component="ENERGY",
        period_start=issue.replace(day=1),
        period_end=issue,
        quantity=Decimal("1.000"),
        unit=InvoiceLine.Unit.KWH,
        unit_price=amount,
        amount=amount,
        vat_rate=Decimal("0"),
        ledger_account=LedgerAccount.REVENUE_ENERGY,
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.ISSUED,
        number=number,
        issue_date=issue,
        due_date=due,
        amount_due=amount,
        issued_at=AS_OF,
    )
    invoice.refresh_from_db()
    ledger_operations.post_transactions(
        transactions=[
            ledger_operations.NewTransaction(
                billing_account_id=billing_account.pk,
                kind="INVOICE",
                document_type="billing.Invoice",
                document_id=invoice.pk,
                reference=str(number),
                posted_date=issue,
                postings=(
                    (LedgerAccount.RECEIVABLE, amount),
                    (LedgerAccount.REVENUE_ENERGY, -amount),
                ),
            )
        ],
        created_at=AS_OF,
    )
    return invoice


def credit(
    key: str, amount: str, *, reference: str = "", text: str = "", **kw: object
) -> camt_writer.StatementLine:
    return camt_writer.StatementLine(
        key,
        Decimal(amount),
        True,
        kw.pop("day", DAY),
        reference=reference,
        text=text,
        **kw,  # type: ignore[arg-type]
    )


def debit(key: str, amount: str, **kw: object) -> camt_writer.StatementLine:
    return camt_writer.StatementLine(key, Decimal(amount), False, kw.pop("day", DAY), **kw)  # type: ignore[arg-type]


def statement_file(
    path: Path,
    *lines: camt_writer.StatementLine,
    message: str = camt.CAMT053,
    iban: str = OURS,
    statement_id: str = "STMT-1",
) -> Path:
    path.write_bytes(
        camt_writer.write(
            message=message,
            account_iban=iban,
            statement_id=statement_id,
            created_at=AS_OF,
            lines=lines,
        )
    )
    return path


def statutory_rates() -> None:
    """The statutory interest rates the receivables migration seeds (a transactional test's
    flush empties the table; tests that accrue interest put them back)."""
    import importlib

    from vool.domain.receivables.models import StatutoryInterestRate

    seeded = importlib.import_module(
        "vool.domain.receivables.migrations.0004_h12_statutory_interest"
    )
    for valid_from, valid_to, ecb in seeded._RATES:
        StatutoryInterestRate.objects.get_or_create(
            valid_from=valid_from,
            defaults={"valid_to": valid_to, "ecb_rate_percent": Decimal(ecb)},
        )
