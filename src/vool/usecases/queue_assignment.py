"""Assigning the items of a work queue (readings pending review, bill-run exceptions, payments
in suspense, failed deliveries, dunning holds, readings queued during the freeze, network bill
differences) to a person
or a team, as requests are: in bulk, or "assign to me". Needs the permission to work requests
(``cases.work_case``) and to work the queue's items (:data:`QUEUE_PERMISSIONS`); one audit row
per assignment with the items, who and why. Also the queues' "whose items" filter
(:func:`only`) and its counts (:func:`filter_counts`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from vool.domain.audit import operations as audit
from vool.domain.cases import operations as cases
from vool.domain.cases import queries as case_queries
from vool.usecases import case_work
from vool.usecases.backoffice_actions import NotAllowed, user_name

WORK_PERMISSION = "cases.work_case"
READINGS = str(case_queries.READINGS_QUEUE)
EXCEPTIONS = str(case_queries.EXCEPTIONS_QUEUE)
SUSPENSE = str(case_queries.SUSPENSE_QUEUE)
DELIVERIES = str(case_queries.DELIVERIES_QUEUE)
HOLDS = str(case_queries.HOLDS_QUEUE)
FROZEN_READINGS = str(case_queries.FROZEN_READINGS_QUEUE)
NETWORK_BILLS = str(case_queries.NETWORK_BILLS_QUEUE)
#: the permission to work each queue's items (review a reading, bill a mended account, allocate
#: a payment, retry a delivery, end a hold, take a queued reading in)
QUEUE_PERMISSIONS = {
    READINGS: "metering.change_reading",
    EXCEPTIONS: case_work.BILL_ACCOUNT,
    SUSPENSE: case_work.ALLOCATE_PAYMENT,
    DELIVERIES: case_work.RETRY_DELIVERY,
    HOLDS: case_work.END_HOLD,
    FROZEN_READINGS: case_work.APPLY_QUEUED_READING,
    NETWORK_BILLS: case_work.EXPLAIN_BILL_DIFFERENCE,
}
#: the "whose items" filter of a queue page: assigned to me, to one of my teams, to nobody
MINE, TEAM, UNASSIGNED = "me", "team", "none"


def _check(user: Any, queue: str) -> None:
    needed = QUEUE_PERMISSIONS.get(queue)
    if needed is None:
        raise cases.UnableToWorkCase(_("There is no work queue %(queue)s.") % {"queue": queue})
    if user is None or not (user.has_perm(WORK_PERMISSION) and user.has_perm(needed)):
        raise NotAllowed(
            _("%(user)s may not assign the items of this queue.") % {"user": user_name(user)}
        )


def _check_items(queue: str, item_ids: list[int]) -> None:
    """Refuse ids that are no item of the queue (nothing is assigned then)."""
    unknown = case_queries.unknown_items(queue=queue, item_ids=item_ids)
    if unknown:
        raise cases.UnableToWorkCase(
            _("There is no item %(ids)s in the queue %(queue)s; nothing was assigned.")
            % {"queue": case_queries.queue_label(queue), "ids": ", ".join(map(str, unknown))}
        )


def assign_items(
    *,
    user: Any,
    queue: str,
    item_ids: list[int],
    assignee_id: int | None,
    group_id: int | None,
    reason: str,
    now: dt.datetime,
    request_id: str = "",
) -> int:
    """Assign the queue's items to a person, a team, or both (neither: unassigned); an id that
    is no item of the queue refuses them all."""
    _check(user, queue)
    if not item_ids:
        raise cases.UnableToWorkCase(_("Choose the items to assign."))
    case_work.check_assignee(assignee_id=assignee_id, group_id=group_id)
    with transaction.atomic():
        _check_items(queue, item_ids)
        count = cases.assign_queue_items(
            queue=queue,
            item_ids=item_ids,
            user_id=assignee_id,
            group_id=group_id,
            by=user.get_username(),
            now=now,
        )
        audit.record(
            user=user,
            happened_at=now,
            action="cases.assign_queue_items",
            object_type="cases.QueueAssignment",
            object_id=queue,
            reason=reason.strip() or _("Assigned."),
            after={"items": sorted(set(item_ids)), "user": assignee_id, "team": group_id},
            request_id=request_id,
        )
    return count


def assign_to_me(
    *, user: Any, queue: str, item_ids: list[int], now: dt.datetime, request_id: str = ""
) -> int:
    """The user takes the items to work on."""
    return assign_items(
        user=user,
        queue=queue,
        item_ids=item_ids,
        assignee_id=user.pk,
        group_id=None,
        reason=_("Taken to work on."),
        now=now,
        request_id=request_id,
    )


def assignments(*, queue: str, item_ids: list[int]) -> dict[int, Any]:
    """The current assignment of each item shown (one query)."""
    return case_queries.queue_assignments(queue=queue, item_ids=item_ids)


def mine(*, queue: str, user_id: int, team: bool = False) -> set[int]:
    """The ids of the queue's items assigned to the user (or to one of their teams)."""
    ids = case_queries.assigned_item_ids(queue=queue, user_id=user_id, team=team)
    return {row["item_id"] for row in ids}


Row = TypeVar("Row")


def _pk(row: Any) -> int:
    return int(row.pk)


def _only_queryset(
    rows: QuerySet[Any], *, queue: str, assigned: str, user_id: int
) -> QuerySet[Any]:
    if assigned == UNASSIGNED:
        return rows.exclude(pk__in=case_queries.assigned_ids(queue=queue))
    if assigned in (MINE, TEAM):
        ids = case_queries.assigned_item_ids(queue=queue, user_id=user_id, team=assigned == TEAM)
        return rows.filter(pk__in=ids)
    return rows


def only(
    rows: QuerySet[Any] | Sequence[Row],
    *,
    queue: str,
    assigned: str,
    user_id: int,
    key: Callable[[Any], int] = _pk,
) -> QuerySet[Any] | list[Row]:
    """The queue's rows ``assigned`` to the user (:data:`MINE`), to one of their teams
    (:data:`TEAM`) or to nobody (:data:`UNASSIGNED`); anything else: all of them. A queryset
    stays one (a subquery); a list (``key`` gives a row's item id) is filtered in one query."""
    if isinstance(rows, QuerySet):
        return _only_queryset(rows, queue=queue, assigned=assigned, user_id=user_id)
    if assigned not in (MINE, TEAM, UNASSIGNED):
        return list(rows)
    if assigned == UNASSIGNED:
        taken = assignments(queue=queue, item_ids=[key(row) for row in rows])
        return [row for row in rows if key(row) not in taken]
    chosen = mine(queue=queue, user_id=user_id, team=assigned == TEAM)
    return [row for row in rows if key(row) in chosen]


def filter_counts(
    rows: QuerySet[Any] | Sequence[Any],
    *,
    queue: str,
    user_id: int,
    key: Callable[[Any], int] = _pk,
) -> dict[str, int]:
    """How many of the queue's rows each "whose items" filter shows: ``all``, ``me``,
    ``team`` and ``none``."""
    if isinstance(rows, QuerySet):
        return {
            "all": rows.count(),
            **{
                name: _only_queryset(rows, queue=queue, assigned=name, user_id=user_id).count()
                for name in (MINE, TEAM, UNASSIGNED)
            },
        }
    ids = [key(row) for row in rows]
    taken = assignments(queue=queue, item_ids=ids)
    teams = mine(queue=queue, user_id=user_id, team=True)
    return {
        "all": len(ids),
        MINE: sum(1 for i in ids if i in taken and taken[i].assigned_user_id == user_id),
        TEAM: sum(1 for i in ids if i in teams),
        UNASSIGNED: sum(1 for i in ids if i not in taken),
    }


def attach(
    rows: Sequence[Any], *, queue: str, holder: Callable[[Any], Model] = lambda r: r
) -> None:
    """Set ``assignment`` (or None) on each row's item (``holder``) for the page (one query)."""
    items = [holder(row) for row in rows]
    shown = assignments(queue=queue, item_ids=[int(item.pk) for item in items])
    for item in items:
        item.assignment = shown.get(int(item.pk))  # type: ignore[attr-defined]
