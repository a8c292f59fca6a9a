"""Writing customer requests, the service freeze and the readings queued during it. Each
function is one transaction; times and dates come in as arguments (domain code never reads
the clock). Who may do what is checked by the use case that calls these
(``usecases.case_work``), which also writes the audit row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from vool.domain.billing.models import Invoice
from vool.domain.cases import queries
from vool.domain.cases.models import (
    Case,
    CaseAttachment,
    CaseNote,
    CaseType,
    Channel,
    Freeze,
    QueueAssignment,
    QueuedReading,
)
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import Customer
from vool.domain.metering.models import Reading
from vool.domain.receivables import dunning
from vool.domain.receivables.models import DunningHold
from vool.domain.shown import shown_day
from vool.domain.supply.models import MeteringPoint


class UnableToOpenCase(ValueError):
    """The request cannot be registered (the message says why)."""


class UnableToWorkCase(ValueError):
    """The note, status or assignment cannot be recorded (the message says why)."""


class UnableToSwitchFreeze(ValueError):
    """The freeze is already on (or off)."""


def _who(by: str) -> str:
    if not by.strip():
        raise UnableToWorkCase(_("Say who does it."))
    return by.strip()[:150]


def _check_links(
    *, customer: Customer, invoice_id: int | None, reading_id: int | None, contract_id: int | None
) -> None:
    """A case names only the customer's own invoice, reading and contract."""
    if (
        invoice_id is not None
        and not Invoice.objects.filter(
            pk=invoice_id, billing_account__customer=customer, kind=Invoice.Kind.INVOICE
        )
        .exclude(status=Invoice.Status.DRAFT)
        .exists()
    ):
        raise UnableToOpenCase(
            _("Invoice %(id)s is not an issued invoice of %(customer)s.")
            % {"id": invoice_id, "customer": customer}
        )
    if (
        reading_id is not None
        and not Reading.objects.filter(
            pk=reading_id, register__meter__metering_point__contracts__customer=customer
        ).exists()
    ):
        raise UnableToOpenCase(
            _("Reading %(id)s is not of a metering point of %(customer)s.")
            % {"id": reading_id, "customer": customer}
        )
    if (
        contract_id is not None
        and not SupplyContract.objects.filter(pk=contract_id, customer=customer).exists()
    ):
        raise UnableToOpenCase(
            _("Contract %(id)s is not a contract of %(customer)s.")
            % {"id": contract_id, "customer": customer}
        )


def open_case(
    *,
    customer_id: int,
    channel: str,
    case_type: str,
    subject: str,
    description: str,
    by: str,
    now: dt.datetime,
    today: dt.date,
    invoice_id: int | None = None,
    reading_id: int | None = None,
    contract_id: int | None = None,
    during_freeze: bool = False,
) -> Case:
    """Register a request; its due date is ``today`` plus its type's service level. A bill
    dispute names the invoice and holds its dunning until the case is resolved."""
    if channel not in Channel.values:
        raise UnableToOpenCase(
            _("'%(value)s' is not a channel (%(choices)s).")
            % {"value": channel, "choices": ", ".join(Channel.values)}
        )
    if case_type not in CaseType.values:
        raise UnableToOpenCase(
            _("'%(value)s' is not a type (%(choices)s).")
            % {"value": case_type, "choices": ", ".join(CaseType.values)}
        )
    if not subject.strip():
        raise UnableToOpenCase(_("Give the request a subject."))
    if not by.strip():
        raise UnableToOpenCase(_("Say who registers the request."))
    if case_type == CaseType.BILL_DISPUTE and invoice_id is None:
        raise UnableToOpenCase(_("A bill dispute names the disputed invoice."))
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise UnableToOpenCase(_("There is no customer %(id)s.") % {"id": customer_id})
    _check_links(
        customer=customer, invoice_id=invoice_id, reading_id=reading_id, contract_id=contract_id
    )
    days = queries.service_days(case_type=case_type, on=today)
    if days is None:
        raise UnableToOpenCase(
            _("No service level for %(type)s is valid on %(day)s.")
            % {"type": CaseType(case_type).label, "day": shown_day(today)}
        )
    with transaction.atomic():
        hold = None
        if case_type == CaseType.BILL_DISPUTE:
            hold = dunning.add_hold(
                kind=DunningHold.Kind.DISPUTED,
                reason=f"Disputed: {subject.strip()}",
                by=by,
                valid_from=today,
                valid_to=None,
                as_of=now,
                invoice_id=invoice_id,
            )
        return Case.objects.create(
            customer=customer,
            channel=channel,
            case_type=case_type,
            subject=subject.strip()[:200],
            description=description.strip(),
            opened_at=now,
            opened_by=by.strip()[:150],
            opened_during_freeze=during_freeze,
            due_date=today + dt.timedelta(days=days),
            invoice_id=invoice_id,
            reading_id=reading_id,
            contract_id=contract_id,
            dunning_hold=hold,
        )


def _open_case_for_update(case_id: int) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise UnableToWorkCase(_("There is no request %(id)s.") % {"id": case_id})
    if case.status == Case.Status.RESOLVED:
        raise UnableToWorkCase(_("Request %(id)s is resolved.") % {"id": case_id})
    return case


def add_note(*, case_id: int, text: str, for_customer: bool, by: str, now: dt.datetime) -> CaseNote:
    if not text.strip():
        raise UnableToWorkCase(_("A note needs text."))
    with transaction.atomic():
        case = _open_case_for_update(case_id)
        return CaseNote.objects.create(
            case=case,
            text=text.strip(),
            for_customer=for_customer,
            written_by=_who(by),
            written_at=now,
        )


def add_attachment(
    *,
    case_id: int,
    file_name: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    stored_path: str,
    by: str,
    now: dt.datetime,
) -> CaseAttachment:
    """Record a file already stored by its SHA-256."""
    if not file_name.strip():
        raise UnableToWorkCase(_("The file has no name."))
    with transaction.atomic():
        case = _open_case_for_update(case_id)
        return CaseAttachment.objects.create(
            case=case,
            file_name=file_name.strip()[:200],
            content_type=content_type[:100] or "application/octet-stream",
            size_bytes=size_bytes,
            sha256=sha256,
            stored_path=stored_path,
            uploaded_by=_who(by),
            uploaded_at=now,
        )


def assign(*, case_id: int, user_id: int | None, group_id: int | None) -> Case:
    """Assign the request to a person, a team (Django group), both, or nobody."""
    with transaction.atomic():
        case = _open_case_for_update(case_id)
        case.assigned_user_id = user_id
        case.assigned_group_id = group_id
        case.save(update_fields=["assigned_user", "assigned_group"])
    return case


def set_status(
    *, case_id: int, status: str, resolution: str, now: dt.datetime, today: dt.date
) -> Case:
    """Move an open request on; RESOLVED (final) needs the resolution and ends a dispute's
    dunning hold from ``today``."""
    if status not in Case.Status.values:
        raise UnableToWorkCase(
            _("'%(value)s' is not a status (%(choices)s).")
            % {"value": status, "choices": ", ".join(Case.Status.values)}
        )
    if status == Case.Status.RESOLVED and not resolution.strip():
        raise UnableToWorkCase(_("Say how the request was resolved."))
    with transaction.atomic():
        case = _open_case_for_update(case_id)
        case.status = status
        if status == Case.Status.RESOLVED:
            case.resolved_at = now
            case.resolution = resolution.strip()
            hold_id = case.dunning_hold_id  # a hold lifted from the queue is not ended again
            if hold_id and DunningHold.objects.filter(pk=hold_id, valid_to__isnull=True).exists():
                dunning.end_hold(hold_id=hold_id, on=today)
        case.save(update_fields=["status", "resolved_at", "resolution"])
    return case


# -- the service freeze ------------------------------------------------------------------------


def freeze_on(*, message: str, by: str, now: dt.datetime) -> Freeze:
    if not message.strip():
        raise UnableToSwitchFreeze(_("Give the freeze a message for the customers."))
    try:
        with transaction.atomic():
            if Freeze.objects.filter(ended_at__isnull=True).exists():
                raise UnableToSwitchFreeze(_("The freeze is already on."))
            return Freeze.objects.create(
                message=message.strip(), started_at=now, started_by=by.strip()[:150] or "?"
            )
    except IntegrityError as exc:  # another switch won the race at the one-on constraint
        raise UnableToSwitchFreeze(_("The freeze is already on.")) from exc


def freeze_off(*, by: str, now: dt.datetime) -> Freeze:
    with transaction.atomic():
        freeze = Freeze.objects.select_for_update().filter(ended_at__isnull=True).first()
        if freeze is None:
            raise UnableToSwitchFreeze(_("The freeze is not on."))
        freeze.ended_at = max(now, freeze.started_at)
        freeze.ended_by = by.strip()[:150] or "?"
        freeze.save(update_fields=["ended_at", "ended_by"])
    return freeze


def queue_reading(
    *,
    freeze: Freeze,
    customer: Customer,
    metering_point: MeteringPoint,
    values_kwh: dict[str, Decimal],
    read_at: dt.datetime,
    by: Any,
) -> QueuedReading:
    """Keep a reading given during the freeze, exactly as given, for after it."""
    return QueuedReading.objects.create(
        freeze=freeze,
        customer=customer,
        metering_point=metering_point,
        values_kwh={kind: str(value) for kind, value in sorted(values_kwh.items())},
        read_at=read_at,
        given_by=(by.get_username() if by is not None else "")[:150] or "?",
        given_by_user=by if by is not None and by.pk is not None else None,
    )


def mark_worked(
    *, queued_id: int, applied: bool, outcome: str, by: str, now: dt.datetime
) -> QueuedReading:
    """Record that a queued reading was applied (or refused by the reading rules, with why)."""
    with transaction.atomic():
        queued = QueuedReading.objects.select_for_update().get(pk=queued_id)
        if queued.status != QueuedReading.Status.QUEUED:
            raise UnableToWorkCase(
                _("Queued reading %(id)s was worked already.") % {"id": queued_id}
            )
        queued.status = QueuedReading.Status.APPLIED if applied else QueuedReading.Status.REFUSED
        queued.outcome = outcome
        queued.worked_at = now
        queued.worked_by = _who(by)
        queued.save(update_fields=["status", "outcome", "worked_at", "worked_by"])
    return queued


def case_state(case: Case) -> dict[str, Any]:
    """What the audit log keeps of a case before and after a change."""
    return {
        "status": case.status,
        "due_date": case.due_date,
        "assigned_user": case.assigned_user_id,
        "assigned_group": case.assigned_group_id,
        "dunning_hold": case.dunning_hold_id,
    }


def assign_queue_items(
    *,
    queue: str,
    item_ids: list[int],
    user_id: int | None,
    group_id: int | None,
    by: str,
    now: dt.datetime,
) -> int:
    """Assign the queue's items to a person, a team, or both (nobody: the assignment ends);
    one statement to clear and one to write, whatever the number of items."""
    if queue not in QueueAssignment.Queue.values:
        raise UnableToWorkCase(_("There is no work queue %(queue)s.") % {"queue": queue})
    with transaction.atomic():
        QueueAssignment.objects.filter(queue=queue, item_id__in=item_ids).delete()
        if user_id is None and group_id is None:
            return len(item_ids)
        QueueAssignment.objects.bulk_create(
            QueueAssignment(
                queue=queue,
                item_id=item_id,
                assigned_user_id=user_id,
                assigned_group_id=group_id,
                assigned_at=now,
                assigned_by=_who(by),
            )
            for item_id in sorted(set(item_ids))
        )
    return len(item_ids)
