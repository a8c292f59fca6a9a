"""What the self-service portal (e-teenindus) reads and does, composed across the domains.

A portal user acts for one customer at a time, chosen among the customers they may act for
(:func:`vool.domain.customers.queries.customers_of_user`). Every read here takes that customer
and answers only about it: an object id of another customer is :class:`NotTheirs` (the
portal answers 404), never someone else's data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model

from vool.common import identifiers
from vool.common.localtime import Month, local_date
from vool.domain.billing import queries as billing_queries
from vool.domain.cases import operations as case_operations
from vool.domain.cases import queries as case_queries
from vool.domain.contracts import queries as contract_queries
from vool.domain.customers import queries as customer_queries
from vool.domain.documents import epc
from vool.domain.documents import queries as document_queries
from vool.domain.documents.invoice_data import AUTOMATIC, invoice_data
from vool.domain.ledger import queries as ledger_queries
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.registers import ReadingBelowPrevious
from vool.domain.receivables import queries as receivable_queries
from vool.domain.supply import queries as supply_queries
from vool.integrations.pdf.qr import qr_svg
from vool.usecases.submit_reading import (
    UnableToSubmitReading,
    reading_policy,
    reading_value_problem,
    submit_meter_readings,
)

if TYPE_CHECKING:  # types only: read through the domains' queries
    from vool.domain.billing.models import Invoice
    from vool.domain.customers.models import Customer
    from vool.domain.metering.models import Reading
    from vool.domain.supply.models import MeteringPoint

__all__ = [
    "AccountOverview",
    "Consumption",
    "ConsumptionRow",
    "ConsumptionStep",
    "InvoiceRow",
    "ManualPoint",
    "NotTheirs",
    "Overview",
    "PaymentStatus",
    "ReadingOutcome",
    "ReadingResult",
    "ReadingWindowState",
    "UnableToSubmitReading",
    "consumption",
    "consumption_point_of",
    "customer_for",
    "customers_for",
    "invoice_detail",
    "invoice_rows",
    "manual_point_of",
    "manual_points",
    "metering_points_of",
    "overview",
    "submit_portal_reading",
    "username_for_sign_in",
]

ZERO = Decimal("0.00")
MANUAL = supply_queries.MANUAL_REGISTER


class NotTheirs(LookupError):
    """The object does not exist, or belongs to a customer this user does not act for."""


def username_for_sign_in(identifier: str) -> str:
    """The user name to authenticate for what was typed in the sign-in form: a user name as
    it is, an e-mail address as the user name of the one user with that address. An unknown
    or shared address is returned unchanged, so it fails like a wrong password would (the
    form says the same either way: no account enumeration)."""
    typed = identifier.strip()
    if "@" not in typed:
        return typed
    names = list(
        get_user_model()
        .objects.filter(email__iexact=typed, is_active=True)
        .values_list("username", flat=True)[:2]
    )
    return names[0] if len(names) == 1 else typed


def customers_for(*, user_id: int) -> list[Customer]:
    """The customers the user may act for, by name."""
    return customer_queries.customers_of_user(user_id=user_id)


def customer_for(*, user_id: int, customer_id: int | None) -> Customer:
    """The customer the user acts for: ``customer_id`` if it is one of theirs, else their first;
    :class:`NotTheirs` when they act for none (or ``customer_id`` is not theirs)."""
    return choose_customer(customers_for(user_id=user_id), customer_id=customer_id)


def choose_customer(customers: list[Customer], *, customer_id: int | None) -> Customer:
    """Of the user's ``customers`` (:func:`customers_for`): ``customer_id`` if it is one of
    them, else the first; :class:`NotTheirs` when there is none (or it is not theirs)."""
    if customer_id is not None:
        chosen = next((c for c in customers if c.pk == customer_id), None)
        if chosen is None:
            raise NotTheirs(f"Customer {customer_id} is not one this user acts for.")
        return chosen
    if not customers:
        raise NotTheirs("This user acts for no customer.")
    return customers[0]


def metering_points_of(customer: Customer, *, today: dt.date) -> list[MeteringPoint]:
    """The metering points the customer has a contract on today (or later), by EIC."""
    return contract_queries.points_supplied_to(customer_id=customer.pk, today=today)


# -- invoices and their payment status ---------------------------------------------------------


class PaymentStatus(StrEnum):
    PAID = "PAID"
    PARTLY_PAID = "PARTLY_PAID"
    DUE = "DUE"
    OVERDUE = "OVERDUE"
    CREDIT_NOTE = "CREDIT_NOTE"


def payment_status(
    *, kind: str, amount_due: Decimal, settled: Decimal, due_date: dt.date | None, today: dt.date
) -> PaymentStatus:
    """Paid when payments have settled the amount due; otherwise partly paid, or due until the
    due date and overdue after it."""
    if kind == billing_queries.CREDIT_NOTE:
        return PaymentStatus.CREDIT_NOTE
    if settled >= amount_due:
        return PaymentStatus.PAID
    if due_date is not None and due_date < today:
        return PaymentStatus.OVERDUE
    return PaymentStatus.PARTLY_PAID if settled > 0 else PaymentStatus.DUE


@dataclass(frozen=True)
class InvoiceRow:
    invoice_id: int
    billing_account_id: int
    number: int
    kind: str
    period: str
    issue_date: dt.date | None
    due_date: dt.date | None
    gross_amount: Decimal
    amount_due: Decimal
    settled_amount: Decimal
    left_to_pay: Decimal
    status: PaymentStatus
    is_estimated: bool


def invoice_rows(customer: Customer, *, today: dt.date) -> list[InvoiceRow]:
    """The customer's issued invoices and credit notes, newest first, each with what payments
    have settled of it (receivables) and its status."""
    invoices = billing_queries.issued_documents_of_customer(customer_id=customer.pk)
    ids = [invoice.pk for invoice in invoices]
    settled = receivable_queries.settled_by_invoice(invoice_ids=ids)
    estimated = billing_queries.estimated_invoice_ids(invoice_ids=ids)
    rows = []
    for invoice in invoices:
        paid = _cents(settled.get(invoice.pk))
        assert invoice.number is not None
        rows.append(
            InvoiceRow(
                invoice_id=invoice.pk,
                billing_account_id=invoice.billing_account_id,
                number=invoice.number,
                kind=invoice.kind,
                period=invoice.period,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                gross_amount=invoice.gross_amount,
                amount_due=invoice.amount_due,
                settled_amount=paid,
                left_to_pay=max(invoice.amount_due - paid, ZERO),
                status=payment_status(
                    kind=invoice.kind,
                    amount_due=invoice.amount_due,
                    settled=paid,
                    due_date=invoice.due_date,
                    today=today,
                ),
                is_estimated=invoice.pk in estimated,
            )
        )
    return rows


def _cents(value: Decimal | float | None) -> Decimal:
    """A sum from the database on the cent (SQLite sums decimals as floats)."""
    return ZERO if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def invoice_of(customer: Customer, *, invoice_id: int) -> Invoice:
    """One issued invoice of the customer, or :class:`NotTheirs`."""
    invoice = billing_queries.issued_invoice_of_customer(
        customer_id=customer.pk, invoice_id=invoice_id
    )
    if invoice is None:
        raise NotTheirs(f"Invoice {invoice_id} is not one of this customer's.")
    return invoice


def invoice_detail(customer: Customer, *, invoice_id: int, language: str) -> dict[str, Any]:
    """The invoice's lines as its page 2 explains them (``documents.invoice_data``), in
    ``language``; :class:`NotTheirs` for another customer's invoice."""
    invoice = invoice_of(customer, invoice_id=invoice_id)
    return invoice_data(invoice, supplier=document_queries.current_supplier(), language=language)


# -- meter readings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterField:
    kind: str  # SINGLE, DAY, NIGHT
    digits: int
    last_kwh: Decimal | None
    last_read_on: dt.date | None


@dataclass(frozen=True)
class ManualPoint:
    point: MeteringPoint
    meter_serial: str
    registers: list[RegisterField]
    history: list[Reading]


def manual_point_of(customer: Customer, *, point_id: int, today: dt.date) -> MeteringPoint:
    """One of the customer's manually read metering points, or :class:`NotTheirs`."""
    for point in metering_points_of(customer, today=today):
        if point.pk == point_id and point.metering_method == MANUAL:
            return point
    raise NotTheirs(f"Metering point {point_id} is not a manual point of this customer.")


def manual_points(customer: Customer, *, today: dt.date, history: int = 24) -> list[ManualPoint]:
    """The customer's manually read points: the meter's registers with their last actual
    reading, and the history of readings and estimates (newest first)."""
    result = []
    for point in metering_points_of(customer, today=today):
        if point.metering_method != MANUAL:
            continue
        meter = metering_queries.meter_installed_on(metering_point_id=point.pk, day=today)
        if meter is None:
            continue
        readings = metering_queries.reading_history(metering_point=point)
        fields = []
        for register in meter.registers.order_by("kind"):
            last = next(
                (
                    r
                    for r in readings
                    if r.register_id == register.pk and metering_queries.is_actual(r)
                ),
                None,
            )
            fields.append(
                RegisterField(
                    kind=register.kind,
                    digits=meter.digits,
                    last_kwh=last.value_kwh if last else None,
                    last_read_on=local_date(last.read_at) if last else None,
                )
            )
        result.append(ManualPoint(point, meter.serial_number, fields, readings[:history]))
    return result


class ReadingOutcome(StrEnum):
    MONTH_END = "MONTH_END"  # the month-end reading of ``period``
    INTERIM = "INTERIM"  # outside the window: kept, the bill uses it as an interim reading
    FOR_REVIEW = "FOR_REVIEW"  # implausible consumption: customer service looks at it
    ALREADY_GIVEN = "ALREADY_GIVEN"  # the same value today was given before
    BELOW_PREVIOUS = "BELOW_PREVIOUS"  # refused: lower than the previous reading
    QUEUED = "QUEUED"  # the service freeze is on: kept as given, taken in after the freeze


@dataclass(frozen=True)
class ReadingResult:
    outcome: ReadingOutcome
    period: str = ""
    detail: str = ""  # the metering rule's own words, for a refusal without a named outcome


def submit_portal_reading(
    customer: Customer,
    *,
    point_id: int,
    values_kwh: dict[str, Decimal],
    as_of: dt.datetime,
    user: Any,
) -> ReadingResult:
    """The customer's reading of each register of the point now, through the one way in
    (``submit_reading``); the rules' answer as an outcome the portal words in the reader's
    language. :class:`NotTheirs` for a point that is not theirs; ``UnableToSubmitReading``
    for a refusal the rules name only in their own words."""
    point = manual_point_of(customer, point_id=point_id, today=local_date(as_of))
    freeze = case_queries.current_freeze()
    if freeze is not None:
        for kind, value in sorted(values_kwh.items()):
            problem = reading_value_problem(value)
            if problem is not None:
                raise UnableToSubmitReading(f"{kind}: {problem}.")
        case_operations.queue_reading(
            freeze=freeze,
            customer=customer,
            metering_point=point,
            values_kwh=values_kwh,
            read_at=as_of,
            by=user,
        )
        return ReadingResult(ReadingOutcome.QUEUED)
    try:
        submitted = submit_meter_readings(
            metering_point=point,
            values_kwh=values_kwh,
            read_at=as_of,
            source=metering_queries.FROM_PORTAL,
            as_of=as_of,
            created_by=user,
        )
    except UnableToSubmitReading as exc:
        if isinstance(exc.__cause__, ReadingBelowPrevious):
            return ReadingResult(ReadingOutcome.BELOW_PREVIOUS, detail=str(exc))
        raise
    readings = [s.reading for s in submitted]
    if not any(s.created for s in submitted):
        return ReadingResult(ReadingOutcome.ALREADY_GIVEN, period=readings[0].period)
    if any(r.status == metering_queries.PENDING_REVIEW for r in readings):
        return ReadingResult(ReadingOutcome.FOR_REVIEW, period=readings[0].period)
    if readings[0].period:
        return ReadingResult(ReadingOutcome.MONTH_END, period=readings[0].period)
    return ReadingResult(ReadingOutcome.INTERIM)


# -- consumption -------------------------------------------------------------------------------


class ConsumptionStep(StrEnum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True)
class ConsumptionRow:
    start: dt.date  # the local day, or the first day of the month
    kwh: Decimal | None  # None: not known (no reading at the month's end yet)
    estimated: bool  # estimated or missing data inside


@dataclass(frozen=True)
class Consumption:
    point: MeteringPoint
    step: ConsumptionStep
    month: Month  # the month shown by day, or the last of the twelve shown by month
    rows: list[ConsumptionRow]
    by_day_available: bool  # remote-read points have interval data; manual ones by month


def consumption_point_of(customer: Customer, *, point_id: int, today: dt.date) -> MeteringPoint:
    for point in metering_points_of(customer, today=today):
        if point.pk == point_id:
            return point
    raise NotTheirs(f"Metering point {point_id} is not one of this customer's.")


def _kwh_of(wh: int) -> Decimal:
    return (Decimal(int(wh)) / 1000).quantize(Decimal("0.001"))


def consumption(
    customer: Customer,
    *,
    point_id: int,
    step: ConsumptionStep,
    month: Month,
    today: dt.date,
) -> Consumption:
    """The point's consumption in kWh: by day over ``month``, or by month over the twelve
    months up to ``month``. Remote points from their current interval data; manual points by
    month from their readings (no days). :class:`NotTheirs` for another customer's point."""
    point = consumption_point_of(customer, point_id=point_id, today=today)
    remote = point.metering_method == supply_queries.REMOTE_INTERVAL
    if step == ConsumptionStep.DAY and not remote:
        step = ConsumptionStep.MONTH
    first = month
    if step == ConsumptionStep.MONTH:
        for _ in range(11):
            first = first.previous()
    rows: list[ConsumptionRow] = []
    if remote:
        series = metering_queries.interval_series(
            metering_point=point,
            start=first.first_day,
            end=month.next().first_day,
            step="P1D" if step == ConsumptionStep.DAY else "P1M",
        )
        rows = [
            ConsumptionRow(local_date(start), _kwh_of(wh), bool(flag))
            for start, wh, flag in zip(series.starts, series.values_wh, series.quality, strict=True)
        ]
    else:
        months = list(Month.range(first, month.next()))
        by_month = metering_queries.consumption_for_months(metering_point=point, months=months)
        for each in months:
            kinds = by_month[each]
            known = [c for c in kinds.values() if c.kwh is not None]
            total = sum((c.kwh for c in known if c.kwh is not None), Decimal("0.000"))
            rows.append(
                ConsumptionRow(
                    each.first_day,
                    total.quantize(Decimal("0.001"))
                    if known and len(known) == len(kinds)
                    else None,
                    any(c.estimated for c in known),
                )
            )
    return Consumption(point, step, month, rows, by_day_available=remote)


# -- the overview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingWindowState:
    """The reading window at ``as_of``: open (until ``closes_on``) or closed (next opens on
    ``opens_on``); ``reading_due`` when it is open and a manual point has no reading in it."""

    is_open: bool
    month: Month
    opens_on: dt.date
    closes_on: dt.date  # the last day a reading is taken
    reading_due: bool
    has_manual_points: bool


def reading_window_state(customer: Customer, *, as_of: dt.datetime) -> ReadingWindowState:
    window = reading_policy().window
    today = local_date(as_of)
    month = window.month_end_of(as_of)
    is_open = month is not None
    if month is None:
        month = Month.of(today)
    opens_at, closes_at = window.bounds(month)
    points = [p for p in metering_points_of(customer, today=today) if p.metering_method == MANUAL]
    missing = False
    if is_open and points:
        read = metering_queries.points_read_between(
            metering_point_ids=[p.pk for p in points], start=opens_at, end=closes_at
        )
        missing = any(p.pk not in read for p in points)
    return ReadingWindowState(
        is_open=is_open,
        month=month,
        opens_on=local_date(opens_at),
        closes_on=local_date(closes_at) - dt.timedelta(days=1),
        reading_due=missing,
        has_manual_points=bool(points),
    )


@dataclass(frozen=True)
class AccountOverview:
    reference_number: str
    rf_reference: str
    balance: Decimal  # positive: owed; negative: in credit
    is_automatic: bool
    payment_method: str
    next_due: InvoiceRow | None
    overdue_amount: Decimal
    latest_invoice: InvoiceRow | None
    qr_svg: str | None


@dataclass(frozen=True)
class Overview:
    customer: Customer
    accounts: list[AccountOverview]
    iban: str
    beneficiary: str
    reading_window: ReadingWindowState


def _payment_qr(*, name: str, iban: str, amount: Decimal, rf: str) -> str | None:
    """The EPC QR (inline SVG) to pay ``amount``; none when there is nothing to pay or the
    supplier's details cannot make one."""
    if amount <= 0:
        return None
    try:
        payload = epc.epc_payload(
            epc.CreditTransfer(name=name, iban=iban, amount=amount, rf_reference=rf)
        )
    except epc.InvalidPaymentQr:
        return None
    return qr_svg(payload, scalable=True)


def overview(customer: Customer, *, as_of: dt.datetime) -> Overview:
    """What the overview page shows: per billing account the balance, what is due when, the
    latest invoice and how to pay; the reading window."""
    today = local_date(as_of)
    supplier = document_queries.current_supplier_shown()
    accounts = customer_queries.billing_accounts_by_id(customer_id=customer.pk)
    balances = ledger_queries.receivable_balances(billing_account_ids=[a.pk for a in accounts])
    rows = invoice_rows(customer, today=today)
    by_account: dict[int, list[InvoiceRow]] = {}
    for row in rows:
        by_account.setdefault(row.billing_account_id, []).append(row)
    summaries = []
    for account in accounts:
        mine = by_account.get(account.pk, [])
        unpaid = [r for r in mine if r.status in (PaymentStatus.DUE, PaymentStatus.PARTLY_PAID)]
        overdue = [r for r in mine if r.status == PaymentStatus.OVERDUE]
        rf = identifiers.reference_to_rf(account.reference_number)
        balance = balances.get(account.pk, ZERO)
        summaries.append(
            AccountOverview(
                reference_number=account.reference_number,
                rf_reference=rf,
                balance=balance,
                is_automatic=account.payment_method in AUTOMATIC,
                payment_method=account.get_payment_method_display(),
                next_due=min(unpaid, key=lambda r: (r.due_date or today, r.number), default=None),
                overdue_amount=sum((r.left_to_pay for r in overdue), ZERO),
                latest_invoice=next((r for r in mine if r.kind == billing_queries.INVOICE), None),
                qr_svg=_payment_qr(name=supplier.name, iban=supplier.iban, amount=balance, rf=rf),
            )
        )
    return Overview(
        customer=customer,
        accounts=summaries,
        iban=supplier.iban,
        beneficiary=supplier.name,
        reading_window=reading_window_state(customer, as_of=as_of),
    )
