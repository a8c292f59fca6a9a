"""Assigning the items of a work queue (readings pending review, bill-run exceptions) to a
person or a team, as requests are: in bulk, or "assign to me". Needs the permission to work
requests (``cases.work_case``) and to work the queue's items (review readings, bill accounts);
one audit row per assignment with the items, who and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from vool.domain.audit import operations as audit
from vool.domain.cases import operations as cases
from vool.domain.cases import queries as case_queries
from vool.usecases import case_work
from vool.usecases.backoffice_actions import NotAllowed, user_name

WORK_PERMISSION = "cases.work_case"
READINGS = str(case_queries.READINGS_QUEUE)
EXCEPTIONS = str(case_queries.EXCEPTIONS_QUEUE)
#: the permission to work each queue's items (to review a reading, to bill a mended account)
QUEUE_PERMISSIONS = {READINGS: "metering.change_reading", EXCEPTIONS: "billing.add_invoice"}


def _check(user: Any, queue: str) -> None:
    needed = QUEUE_PERMISSIONS.get(queue)
    if needed is None:
        raise cases.UnableToWorkCase(_("There is no work queue %(queue)s.") % {"queue": queue})
    if user is None or not (user.has_perm(WORK_PERMISSION) and user.has_perm(needed)):
        raise NotAllowed(
            _("%(user)s may not assign the items of this queue.") % {"user": user_name(user)}
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
    """Assign the queue's items to a person, a team, or both (neither: unassigned)."""
    _check(user, queue)
    if not item_ids:
        raise cases.UnableToWorkCase(_("Choose the items to assign."))
    case_work.check_assignee(assignee_id=assignee_id, group_id=group_id)
    with transaction.atomic():
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
