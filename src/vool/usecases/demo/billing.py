"""Bill the seeded months and let most customers pay, so the demo has real bills and balances.

Each month of the seeded history is billed by the real billing run, as it would be on the
5th of the following month; then about nine in ten customers pay their bill in full a few
days before or after the due date, some pay late, some not at all (for dunning later).

The payments reach the books the way real ones do: each run's payments are written as the
bank's camt.053 statement (``integrations.bank.camt_writer``; most with the structured
reference number, some in the ``/RFB/`` form or as an RF reference) and imported with
``usecases.import_bank_statement``, which matches and allocates them. In the last month a few
payers leave out the reference (only "Arve <number>" in the text), so the suspense queue has
something to show (``vool bank suspense``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import numpy as np
from stdnum.iso7064 import mod_97_10

from vool.common.identifiers import reference_to_rf
from vool.common.localtime import Month, local_midnight
from vool.domain.billing import queries as billing_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.receivables import operations as receivables_operations
from vool.integrations.bank import camt_writer
from vool.usecases import bill_run, import_bank_statement

BILLING_DAY = 5  # the demo's bill runs are on the 5th of the following month
RETAILER_IBAN = "EE382200221020145685"  # the demo retailer's account at Swedbank
NO_REFERENCE_EVERY = 150  # in the last month, one payer in so many forgets the reference
OLD_REFERENCE_EVERY = 3  # a payer whose account has a former number quotes it on so many bills

ProgressCallback = Callable[[str, int, int], None]


@dataclass
class DemoBilling:
    runs: int = 0
    invoices: int = 0
    exceptions: int = 0
    payments: int = 0
    paid_amount: Decimal = Decimal(0)
    suspense: int = 0
    statements: list[Path] = field(default_factory=list)


def bill_history(
    *,
    first_month: Month,
    as_of: dt.date,
    seed: int,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
    statements_dir: Path | None = None,
) -> DemoBilling:
    """Bill every month from ``first_month`` whose run day has passed by ``as_of``; the bank
    statements are written to ``statements_dir`` (default: a temporary folder)."""
    progress = on_progress or (lambda step, done, total: None)
    rng = np.random.default_rng(seed + 1)
    months = []
    month = first_month
    while month.next().first_day + dt.timedelta(days=BILLING_DAY - 1) < as_of:
        months.append(month)
        month = month.next()
    result = DemoBilling()
    receivables_operations.add_bank_account(iban=RETAILER_IBAN, name="Swedbank (demo)")
    with contextlib.ExitStack() as stack:
        folder = statements_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        for n, month in enumerate(months, start=1):
            today = month.next().first_day + dt.timedelta(days=BILLING_DAY - 1)
            run = bill_run.run_billing(period=month, today=today, workers=workers)
            result.runs += 1
            result.invoices += run.invoice_count
            result.exceptions += run.exception_count
            lines = _pay(run_id=run.pk, rng=rng, as_of=as_of, last=n == len(months))
            path = folder / f"camt053-{month}.xml"
            _import(path, lines, as_of=as_of, result=result)
            progress("billing the seeded months", n, len(months))
    return result


def _import(
    path: Path, lines: list[camt_writer.StatementLine], *, as_of: dt.date, result: DemoBilling
) -> None:
    if not lines:
        return
    path.write_bytes(
        camt_writer.write(
            account_iban=RETAILER_IBAN,
            statement_id=path.stem,
            created_at=local_midnight(as_of),
            lines=lines,
        )
    )
    imported = import_bank_statement.import_bank_file(
        path=path, as_of=local_midnight(as_of), imported_by="demo"
    )
    result.statements.append(path)
    result.payments += imported.result.new_payments
    result.suspense += imported.result.suspense
    result.paid_amount += sum((line.amount for line in lines), Decimal(0))


def payer_iban(billing_account_id: int) -> str:
    """A valid Estonian IBAN for the demo payer of an account (bank 22, Swedbank)."""
    bban = f"22{billing_account_id:014d}"
    return f"EE{mod_97_10.calc_check_digits(bban + 'EE')}{bban}"


def _statement_line(
    *, key: str, invoice: _Bill, received: dt.date, form: float, no_reference: bool
) -> camt_writer.StatementLine:
    """How the payer gives the reference: mostly structured, some /RFB/ with a text, some RF;
    ``no_reference``: only the invoice number in the text."""
    text, reference, structured = "", invoice.reference, True
    if no_reference:
        text, reference = f"Arve {invoice.number}", ""
    elif form < 0.2:
        text = f"Arve {invoice.number}"
    elif form < 0.25:
        text, reference = reference_to_rf(invoice.reference), ""
    return camt_writer.StatementLine(
        servicer_reference=key,
        amount=invoice.amount_due,
        is_credit=True,
        booking_date=received,
        name=invoice.payer,
        iban=payer_iban(invoice.billing_account_id),
        reference=reference,
        text=text,
        structured=structured,
        end_to_end_id=f"DEMO-{invoice.number}",
    )


class _Bill(NamedTuple):
    billing_account_id: int
    amount_due: Decimal
    due_date: dt.date | None
    number: int
    reference: str
    payer: str


def _pay(
    *, run_id: int, rng: np.random.Generator, as_of: dt.date, last: bool
) -> list[camt_writer.StatementLine]:
    """The bank statement lines of the payments for the run's invoices."""
    invoices = [
        _Bill(r.billing_account_id, r.amount_due, r.due_date, r.number, r.reference, r.payer)
        for r in billing_queries.payable_invoices_of_run(run_id=run_id)
        if r.number is not None
    ]
    former = customer_queries.latest_former_references()
    lines: list[camt_writer.StatementLine] = []
    for bill in invoices:
        invoice = bill
        if bill.billing_account_id in former and bill.number % OLD_REFERENCE_EVERY == 0:
            # an old payment template: the former system's number, matched to the account
            invoice = bill._replace(reference=former[bill.billing_account_id])
        if invoice.due_date is None:
            continue
        behaviour = rng.random()
        if behaviour < 0.04:
            continue  # does not pay (yet)
        days = int(rng.integers(-10, 3)) if behaviour < 0.9 else int(rng.integers(3, 30))
        received = invoice.due_date + dt.timedelta(days=days)
        if received >= as_of:
            continue
        lines.append(
            _statement_line(
                key=f"DEMO{run_id:04d}{invoice.number:010d}",
                invoice=invoice,
                received=received,
                form=float(rng.random()),
                no_reference=last and len(lines) % NO_REFERENCE_EVERY == 7,
            )
        )
    return lines
