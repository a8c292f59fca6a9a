"""Reading customer requests, the freeze and the queued readings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

from django.db.models import Count, Exists, Model, OuterRef, Q, QuerySet

from vool.common.short_lived import ShortLived
from vool.domain.billing.models import BillRunException
from vool.domain.cases.models import (
    PORTAL_TYPES as PORTAL_TYPES,
)  # the types a portal user may open
from vool.domain.cases.models import (
    Case,
    CaseAttachment,
    CaseNote,
    CaseType,
    Channel,
    Freeze,
    QueueAssignment,
    QueuedReading,
    ServiceLevel,
)
from vool.domain.documents.models import Delivery
from vool.domain.hub.models import NetworkBillDifference
from vool.domain.metering.models import Reading
from vool.domain.receivables.models import DunningHold, Payment

# the choices the use cases and interfaces need at run time, named here so they need no model
BILL_DISPUTE: Final = CaseType.BILL_DISPUTE  # a request disputing an invoice
PORTAL_CHANNEL: Final = Channel.PORTAL  # a request opened by the customer in the portal
RESOLVED: Final = Case.Status.RESOLVED  # a request worked to its end
QUEUED: Final = QueuedReading.Status.QUEUED  # a reading given during the freeze, not yet worked
CHANNEL_CHOICES: Final = Channel.choices  # how a request reached us, with labels
CASE_TYPE_CHOICES: Final = CaseType.choices  # what a request is about, with labels
STATUS_CHOICES: Final = Case.Status.choices  # where a request stands, with labels


def service_days(*, case_type: str, on: dt.date) -> int | None:
    """Days to resolve a ``case_type`` opened on ``on`` (the service level valid that day)."""
    level = (
        ServiceLevel.objects.filter(case_type=case_type, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .order_by("-valid_from")
        .first()
    )
    return level.days if level is not None else None


def current_freeze() -> Freeze | None:
    """The freeze that is on, or ``None``."""
    return Freeze.objects.filter(ended_at__isnull=True).first()


#: whether the freeze is on, as a page shows it: read at most once a second per process (a
#: freeze started or ended shows at once in the process that did it, ``CasesConfig.ready``,
#: and within a second in the others). A write checks :func:`current_freeze` itself.
freeze_shown: ShortLived[Freeze | None] = ShortLived(current_freeze, seconds=1.0)


def current_freeze_shown() -> Freeze | None:
    """:func:`current_freeze` read at most once a second per process, for showing it."""
    return freeze_shown.get()


def cases() -> QuerySet[Case]:
    return Case.objects.select_related("customer", "assigned_user", "assigned_group", "invoice")


def open_cases() -> QuerySet[Case]:
    return cases().exclude(status=Case.Status.RESOLVED).order_by("due_date", "pk")


def overdue_cases(*, today: dt.date) -> QuerySet[Case]:
    return open_cases().filter(due_date__lt=today)


def open_cases_holding(*, hold_ids: Collection[int]) -> dict[int, Case]:
    """The open requests (bill disputes) whose dunning hold is among ``hold_ids``, by hold id:
    such a hold ends when its request is resolved, not on its own."""
    rows = Case.objects.filter(dunning_hold_id__in=set(hold_ids)).exclude(
        status=Case.Status.RESOLVED
    )
    return {case.dunning_hold_id: case for case in rows if case.dunning_hold_id is not None}


def cases_of_customer(*, customer_id: int) -> QuerySet[Case]:
    return cases().filter(customer_id=customer_id).order_by("-opened_at", "-pk")


def notes_for_customer(*, case: Case) -> QuerySet[CaseNote]:
    """The notes the customer may read."""
    return case.notes.filter(for_customer=True).order_by("written_at", "pk")


def queued_readings() -> QuerySet[QueuedReading]:
    return (
        QueuedReading.objects.filter(status=QueuedReading.Status.QUEUED)
        .select_related("customer", "metering_point")
        .order_by("read_at", "pk")
    )


def get_case(*, case_id: int) -> Case | None:
    return Case.objects.filter(pk=case_id).first()


def queued_reading_count() -> int:
    """How many readings given during the freeze wait to be worked."""
    return QueuedReading.objects.filter(status=QueuedReading.Status.QUEUED).count()


def get_queued_reading(*, queued_id: int) -> QueuedReading:
    """The queued reading with its metering point."""
    return QueuedReading.objects.select_related("metering_point").get(pk=queued_id)


def get_attachment(*, case_id: int, attachment_id: int) -> CaseAttachment | None:
    """Attachment ``attachment_id`` if it belongs to request ``case_id``."""
    return CaseAttachment.objects.filter(pk=attachment_id, case_id=case_id).first()


def case_with_links(*, case_id: int) -> Case | None:
    """Request ``case_id`` with its customer, invoice, reading, contract, hold and assignees
    (what the request's page shows)."""
    return (
        Case.objects.select_related(
            "customer",
            "invoice",
            "reading",
            "contract",
            "dunning_hold",
            "assigned_user",
            "assigned_group",
        )
        .filter(pk=case_id)
        .first()
    )


READINGS_QUEUE: Final = QueueAssignment.Queue.READINGS
EXCEPTIONS_QUEUE: Final = QueueAssignment.Queue.EXCEPTIONS
SUSPENSE_QUEUE: Final = QueueAssignment.Queue.SUSPENSE
DELIVERIES_QUEUE: Final = QueueAssignment.Queue.DELIVERIES
HOLDS_QUEUE: Final = QueueAssignment.Queue.HOLDS
FROZEN_READINGS_QUEUE: Final = QueueAssignment.Queue.FROZEN_READINGS
NETWORK_BILLS_QUEUE: Final = QueueAssignment.Queue.NETWORK_BILLS


def queue_assignments(*, queue: str, item_ids: Collection[int]) -> dict[int, QueueAssignment]:
    """The current assignment of each of the queue's items that has one (one query)."""
    rows = QueueAssignment.objects.filter(queue=queue, item_id__in=list(item_ids)).select_related(
        "assigned_user", "assigned_group"
    )
    return {row.item_id: row for row in rows}


def assigned_item_ids(*, queue: str, user_id: int, team: bool = False) -> QuerySet[Any]:
    """The ids of the queue's items assigned to the user (``team``: to one of their teams),
    as a subquery."""
    rows = QueueAssignment.objects.filter(queue=queue)
    rows = (
        rows.filter(assigned_group__user__id=user_id)
        if team
        else rows.filter(assigned_user_id=user_id)
    )
    return rows.values("item_id")


def assigned_ids(*, queue: str) -> QuerySet[Any]:
    """The ids of the queue's items assigned to anyone, as a subquery."""
    return QueueAssignment.objects.filter(queue=queue).values("item_id")


#: the kind of row each queue's items are (an item id is the row's primary key)
QUEUE_ITEMS: Final[dict[str, type[Model]]] = {
    READINGS_QUEUE: Reading,
    EXCEPTIONS_QUEUE: BillRunException,
    SUSPENSE_QUEUE: Payment,
    DELIVERIES_QUEUE: Delivery,
    HOLDS_QUEUE: DunningHold,
    FROZEN_READINGS_QUEUE: QueuedReading,
    NETWORK_BILLS_QUEUE: NetworkBillDifference,
}


def queue_label(queue: str) -> str:
    """The queue's name in the active language."""
    return str(QueueAssignment.Queue(queue).label)


def unknown_items(*, queue: str, item_ids: Collection[int]) -> list[int]:
    """The ids among ``item_ids`` that are no item of the queue's kind, in order (one query)."""
    wanted = set(item_ids)
    found = set(
        QUEUE_ITEMS[queue]._default_manager.filter(pk__in=wanted).values_list("pk", flat=True)
    )
    return sorted(wanted - found)


@dataclass(frozen=True)
class QueueCounts:
    """A queue's size on the queues page: all its items, those assigned to the user, those
    assigned to nobody (neither a person nor a team)."""

    total: int
    mine: int
    unassigned: int


def queue_counts(*, queue: str, items: QuerySet[Any], user_id: int) -> QueueCounts:
    """``items`` (the queue's rows) counted whole, assigned to the user and unassigned: one
    query, the assignments read as correlated subqueries."""
    assigned = QueueAssignment.objects.filter(queue=queue, item_id=OuterRef("pk"))
    row = items.order_by().aggregate(
        total=Count("pk"),
        mine=Count("pk", filter=Q(Exists(assigned.filter(assigned_user_id=user_id)))),
        unassigned=Count("pk", filter=~Q(Exists(assigned))),
    )
    return QueueCounts(total=row["total"], mine=row["mine"], unassigned=row["unassigned"])


def case_counts(*, cases: QuerySet[Case], user_id: int) -> QueueCounts:
    """Requests counted whole, assigned to the user and assigned to nobody (one query)."""
    row = cases.order_by().aggregate(
        total=Count("pk"),
        mine=Count("pk", filter=Q(assigned_user_id=user_id)),
        unassigned=Count("pk", filter=Q(assigned_user__isnull=True, assigned_group__isnull=True)),
    )
    return QueueCounts(total=row["total"], mine=row["mine"], unassigned=row["unassigned"])
