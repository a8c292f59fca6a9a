"""The back office's 360° view of one customer: what the page shows, read from each domain's
models and queries (balances from the ledger, open items and payments from receivables, the
audit history). Lists that grow (invoices, payments, audit) are returned as querysets so the
page paginates them in the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vool.domain.audit import queries as audit_queries
from vool.domain.billing import queries as billing_queries
from vool.domain.contracts import queries as contract_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.documents import labels
from vool.domain.ledger import queries as ledger_queries
from vool.domain.metering import queries as metering_queries
from vool.domain.receivables import queries as receivables_queries
from vool.domain.receivables.allocation import OpenInvoice

# receivables has no query for a customer's allocations yet (its module is being changed
# elsewhere): this read stays on its model, the one line left in .importlinter

if TYPE_CHECKING:
    from vool.domain.audit.models import AuditEntry
    from vool.domain.billing.models import Invoice, InvoiceLine
    from vool.domain.contracts.models import SupplyContract
    from vool.domain.customers.models import BillingAccount, Customer
    from vool.domain.metering.models import Meter, Reading, Register
    from vool.domain.receivables.models import Allocation
    from vool.domain.supply.models import MeteringPoint

ACTION_LABELS = {
    "billing.credit_invoice": _("Invoice credited"),
    "metering.accept_reading": _("Reading accepted"),
    "metering.reject_reading": _("Reading rejected"),
    "billing.start_bill_run": _("Bill run started"),
    # issue 14 part 2: requests, queues, the freeze
    "cases.open_case": _("Request registered"),
    "cases.add_note": _("Note added to a request"),
    "cases.add_attachment": _("File attached to a request"),
    "cases.assign": _("Request assigned"),
    "cases.set_status": _("Request status changed"),
    "cases.apply_queued_reading": _("Reading from the freeze taken in"),
    "cases.freeze_on": _("Freeze switched on"),
    "cases.freeze_off": _("Freeze switched off"),
    "receivables.end_hold": _("Dunning hold ended"),
    "receivables.allocate_suspense": _("Payment allocated from suspense"),
    "billing.bill_mended_account": _("Account billed after its exception was mended"),
    "billing.rebill": _("Account rebilled"),
    # moves, package changes and letters (back office and portal)
    "contracts.move_out": _("Moved out: contract ended"),
    "contracts.move_in": _("Moved in: contract made"),
    "contracts.switch_package": _("Package changed"),
    "documents.send_letter": _("Letter sent"),
    "cases.assign_queue_items": _("Work-queue items assigned"),
}


def action_label(action: str) -> str:
    """The audit action as a person reads it, in the active language."""
    return str(ACTION_LABELS.get(action, action))


class NoSuchCustomer(Exception):
    """There is no customer with that id."""


@dataclass(frozen=True)
class AccountSummary:
    account: BillingAccount
    balance: Decimal
    """Receivable balance from the ledger: positive = the customer owes, negative = credit."""
    open_items: list[OpenInvoice]


@dataclass(frozen=True)
class RegisterSummary:
    register: Register
    last_reading: Reading | None


@dataclass(frozen=True)
class MeterSummary:
    meter: Meter
    registers: list[RegisterSummary]


@dataclass(frozen=True)
class PointSummary:
    point: MeteringPoint
    meters: list[MeterSummary]


@dataclass(frozen=True)
class Contracts:
    current: list[SupplyContract]
    past: list[SupplyContract]
    future: list[SupplyContract]


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    accounts: list[AccountSummary]
    points: list[PointSummary]
    contracts: Contracts
    invoices: QuerySet[Invoice]
    allocations: QuerySet[Allocation]
    audit: QuerySet[AuditEntry]


def _accounts(customer: Customer) -> list[AccountSummary]:
    accounts = customer_queries.billing_accounts_of(customer_id=customer.pk)
    ids = [a.pk for a in accounts]
    balances = ledger_queries.receivable_balances(billing_account_ids=ids)
    open_items = receivables_queries.open_invoices(billing_account_ids=ids)
    return [
        AccountSummary(a, balances.get(a.pk, Decimal("0.00")), open_items.get(a.pk, []))
        for a in accounts
    ]


def _contracts(customer: Customer, today: dt.date) -> Contracts:
    rows = contract_queries.contracts_of_customer(customer_id=customer.pk)
    return Contracts(
        current=[
            c for c in rows if c.valid_from <= today and (c.valid_to is None or today < c.valid_to)
        ],
        past=[c for c in rows if c.valid_to is not None and c.valid_to <= today],
        future=[c for c in rows if c.valid_from > today],
    )


def _points(customer: Customer) -> list[PointSummary]:
    points = contract_queries.metering_points_of_customer(customer_id=customer.pk)
    meters = metering_queries.meters_with_latest_readings(metering_point_ids=[p.pk for p in points])
    by_point: dict[int, list[MeterSummary]] = {}
    for row in meters:
        registers = [RegisterSummary(r.register, r.latest) for r in row.registers]
        by_point.setdefault(row.meter.metering_point_id, []).append(
            MeterSummary(row.meter, registers)
        )
    return [PointSummary(point, by_point.get(point.pk, [])) for point in points]


def customer_view(*, customer_id: int, today: dt.date) -> CustomerView:
    """Everything the 360° page shows of customer ``customer_id`` as of ``today``."""
    customer = customer_queries.get_customer(customer_id=customer_id)
    if customer is None:
        raise NoSuchCustomer(f"There is no customer {customer_id}.")
    invoices = billing_queries.numbered_invoices_of_customer(customer_id=customer.pk)
    allocations = receivables_queries.allocations_of_customer(customer_id=customer.pk)
    return CustomerView(
        customer=customer,
        accounts=_accounts(customer),
        points=_points(customer),
        contracts=_contracts(customer, today),
        invoices=invoices,
        allocations=allocations,
        audit=audit_queries.for_customer(customer_id=customer.pk),
    )


@dataclass(frozen=True)
class LineRow:
    """An invoice line as the page shows it: translated component, band and unit."""

    line: InvoiceLine
    component: str
    band: str
    unit: str


def invoice_lines(*, invoice: Invoice) -> list[LineRow]:
    return [
        LineRow(
            line,
            str(labels.COMPONENTS.get(line.component, line.component)),
            str(labels.BANDS.get(line.band, line.band)) if line.band != "ALL" else "",
            str(labels.UNITS.get(line.unit, line.unit)),
        )
        for line in billing_queries.lines_of_invoice(invoice_id=invoice.pk)
    ]
