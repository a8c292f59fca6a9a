"""What the back office's work queues list and count: readings pending review, bill-run
exceptions not yet billed, payments in suspense, failed deliveries, active dunning holds,
overdue requests, the readings queued during a freeze and the network bill differences. Reads
only; the actions are in ``usecases.case_work`` and ``usecases.backoffice_actions``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from vool.domain.billing import queries as billing_queries
from vool.domain.billing.unbillable import describe
from vool.domain.cases import queries as case_queries
from vool.domain.documents import queries as document_queries
from vool.domain.hub import queries as hub_queries
from vool.domain.metering import queries as metering_queries
from vool.domain.receivables import queries as receivable_queries

if TYPE_CHECKING:
    from vool.domain.billing.models import BillRunException
    from vool.domain.cases.models import Case, QueuedReading
    from vool.domain.documents.models import Delivery
    from vool.domain.hub.models import NetworkBillDifference
    from vool.domain.metering.models import Reading
    from vool.domain.receivables.models import DunningHold


def pending_readings() -> list[Reading]:
    """Readings waiting for review (not yet superseded by the decision), oldest first."""
    return metering_queries.readings_waiting_for_review()


def open_exceptions(*, code: str = "") -> QuerySet[BillRunException]:
    """Run exceptions whose account has no live invoice for the run's month yet (once billed,
    by a rebill after the cause was mended, it leaves the queue)."""
    return billing_queries.open_exceptions(code=code)


def exception_rule(code: str) -> str:
    """The rule that raised an exception, in words."""
    return str(describe(code))


def failed_deliveries() -> QuerySet[Delivery]:
    return document_queries.failed_deliveries()


def active_holds(*, today: dt.date, kind: str = "") -> QuerySet[DunningHold]:
    return receivable_queries.active_holds(today=today, kind=kind)


def open_cases_holding(*, hold_ids: list[int]) -> dict[int, Case]:
    """The open bill disputes whose hold is among ``hold_ids``, by hold id (those holds end
    when the request is resolved, not from the queue)."""
    return case_queries.open_cases_holding(hold_ids=hold_ids)


def suspense_count() -> int:
    return receivable_queries.suspense_count()


def suspense_items(*, limit: int = 200) -> list[receivable_queries.SuspenseItem]:
    return receivable_queries.suspense_queue(limit=limit)


QueueCounts = case_queries.QueueCounts


def counts(*, today: dt.date, user_id: int) -> dict[str, QueueCounts]:
    """Each queue's size for the queues page: all, assigned to the user, unassigned; one
    query per queue whatever its size (``case_queries.queue_counts``)."""
    items = {
        "readings": (case_queries.READINGS_QUEUE, metering_queries.pending_review()),
        "exceptions": (case_queries.EXCEPTIONS_QUEUE, open_exceptions()),
        "suspense": (case_queries.SUSPENSE_QUEUE, receivable_queries.suspense_payments()),
        "deliveries": (case_queries.DELIVERIES_QUEUE, failed_deliveries()),
        "holds": (case_queries.HOLDS_QUEUE, active_holds(today=today)),
        "queued_readings": (case_queries.FROZEN_READINGS_QUEUE, queued_readings()),
        "network_bills": (case_queries.NETWORK_BILLS_QUEUE, bill_differences()),
    }
    shown = {
        name: case_queries.queue_counts(queue=queue, items=rows, user_id=user_id)
        for name, (queue, rows) in items.items()
    }
    for name, rows in (
        ("overdue", case_queries.overdue_cases(today=today)),
        ("open_cases", case_queries.open_cases()),
    ):
        shown[name] = case_queries.case_counts(cases=rows, user_id=user_id)
    return shown


def filtered_cases(
    *,
    today: dt.date,
    user_id: int | None,
    status: str = "",
    case_type: str = "",
    assigned: str = "",
    overdue: bool = False,
) -> QuerySet[Case]:
    """The request queue: open ones by due date unless a status is chosen; ``assigned`` is
    ``me``, ``team`` (the user's groups), ``none`` or empty (all)."""
    rows = case_queries.cases().order_by("due_date", "pk")
    rows = rows.filter(status=status) if status else rows.exclude(status=case_queries.RESOLVED)
    if case_type:
        rows = rows.filter(case_type=case_type)
    if assigned == "me":
        rows = rows.filter(assigned_user_id=user_id)
    elif assigned == "team" and user_id is not None:
        rows = rows.filter(assigned_group__user__id=user_id)
    elif assigned == "none":
        rows = rows.filter(assigned_user__isnull=True, assigned_group__isnull=True)
    if overdue:
        rows = rows.filter(due_date__lt=today)
    return rows


def queued_readings() -> QuerySet[QueuedReading]:
    return case_queries.queued_readings()


def cases_of_customer(*, customer_id: int) -> QuerySet[Case]:
    return case_queries.cases_of_customer(customer_id=customer_id)


BILL_DIFFERENCE_KINDS = hub_queries.DIFFERENCE_KINDS  # (value, label), for the filter


def bill_differences(
    *, kind: str = "", period: dt.date | None = None
) -> QuerySet[NetworkBillDifference]:
    """The open network bill differences (``usecases.network_bills.record_check`` finds them),
    by month and point; ``kind`` and ``period`` (a month's first day) filter."""
    return hub_queries.open_bill_differences(kind=kind, period=period)


def bill_difference_counts() -> dict[str, int]:
    """The open differences per kind."""
    return hub_queries.open_bill_difference_counts()


def bill_difference_months() -> list[dt.date]:
    """The months with an open difference, latest first (the month filter's choices)."""
    return hub_queries.open_bill_difference_months()
