"""Work-queue items (not only requests) assigned to a person or a team: "assign to me" and bulk
assignment on the readings-pending-review and bill-run-exception queues, each audited; the
queue filtered to one's own items; refused to a role that may not see the queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from cases_factories import holder, in_role, role_group, signed_in
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import BillRun, BillRunException
from vool.domain.cases import roles
from vool.domain.cases.models import Case, QueueAssignment
from vool.domain.metering.models import Reading
from vool.usecases import case_work, queue_assignment
from vool.usecases.backoffice_actions import NotAllowed

pytestmark = pytest.mark.django_db


def pending(who: Any, value: str, days_ago: int) -> Reading:
    read_at = timezone.now() - dt.timedelta(days=days_ago)
    return Reading.objects.create(
        register=who.register,
        read_at=read_at,
        known_at=read_at,
        value_kwh=Decimal(value),
        source="PORTAL",
        status=Reading.Status.PENDING_REVIEW,
    )


@pytest.fixture
def mari() -> Any:
    return holder("mari", 26000001, "42.50")


class TestReadingsQueue:
    def test_assign_to_me_then_only_mine(self, mari: Any) -> None:
        first, second = pending(mari, "900", 2), pending(mari, "950", 1)
        tiit = in_role("tiit", roles.BILLING_SPECIALIST)
        client = signed_in(tiit)
        url = "/backoffice/queues/readings/"
        done = client.post(url, {"selected": [first.pk], "assign": "me"})
        assert done.status_code == 302

        assignment = QueueAssignment.objects.get()
        assert (assignment.queue, assignment.item_id, assignment.assigned_user) == (
            "READINGS",
            first.pk,
            tiit,
        )
        entry = AuditEntry.objects.get(action="cases.assign_queue_items")
        assert (entry.username, entry.after["items"], entry.after["user"]) == (
            "tiit",
            [first.pk],
            tiit.pk,
        )
        mine = client.get(url, {"assigned": "me"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "950" not in mine and "900" in mine
        everything = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "950" in everything and "tiit" in everything
        assert second.pk not in QueueAssignment.objects.values_list("item_id", flat=True)

    def test_bulk_to_a_team_then_reassigned_to_a_person(self, mari: Any) -> None:
        readings = [pending(mari, str(900 + i), 3 - i) for i in range(3)]
        supervisor = in_role("sirje", roles.SUPERVISOR)
        team = role_group(roles.BILLING_SPECIALIST)
        tiit = in_role("tiit", roles.BILLING_SPECIALIST)
        ids = [r.pk for r in readings]
        now = timezone.now()
        assert (
            queue_assignment.assign_items(
                user=supervisor,
                queue="READINGS",
                item_ids=ids,
                assignee_id=None,
                group_id=team.pk,
                reason="Monday's readings",
                now=now,
            )
            == 3
        )
        assert set(QueueAssignment.objects.values_list("assigned_group", flat=True)) == {team.pk}
        assert queue_assignment.mine(queue="READINGS", user_id=tiit.pk, team=True) == set(ids)
        queue_assignment.assign_items(
            user=supervisor,
            queue="READINGS",
            item_ids=ids[:1],
            assignee_id=tiit.pk,
            group_id=None,
            reason="Tiit knows the meter",
            now=now,
        )
        assert QueueAssignment.objects.count() == 3
        assert queue_assignment.mine(queue="READINGS", user_id=tiit.pk) == {ids[0]}
        assert AuditEntry.objects.filter(action="cases.assign_queue_items").count() == 2

    def test_bulk_on_the_page_beside_the_review_form(self, mari: Any) -> None:
        reading = pending(mari, "900", 1)
        team = role_group(roles.BILLING_SPECIALIST)
        client = signed_in(in_role("sirje", roles.SUPERVISOR))
        url = "/backoffice/queues/readings/"
        page = client.get(url).content.decode()
        assert 'name="reason"' in page and 'name="assign-reason"' in page
        done = client.post(
            url,
            {
                "selected": [reading.pk],
                "assign": "bulk",
                "assign-team": team.pk,
                "assign-reason": "Monday's readings",
                "reason": "",
            },
        )
        assert done.status_code == 302
        assert QueueAssignment.objects.get().assigned_group == team
        assert AuditEntry.objects.get().reason == "Monday's readings"

    def test_finance_may_not_assign_the_readings_queue(self, mari: Any) -> None:
        reading = pending(mari, "900", 1)
        finance = in_role("rita", roles.FINANCE)
        with pytest.raises(NotAllowed, match="may not assign"):
            queue_assignment.assign_to_me(
                user=finance, queue="READINGS", item_ids=[reading.pk], now=timezone.now()
            )
        assert not QueueAssignment.objects.exists() and not AuditEntry.objects.exists()


class TestRequests:
    def test_assign_to_me_on_the_request_list(self, mari: Any) -> None:
        kati = in_role("kati", roles.AGENT)
        new = case_work.NewCase(mari.customer.pk, "PHONE", "QUESTION", "When is the bill?")
        case = case_work.register_case(user=kati, new=new, now=timezone.now())
        done = signed_in(kati).post("/backoffice/cases/", {"selected": [case.pk], "assign": "me"})
        assert done.status_code == 302
        assert Case.objects.get().assigned_user == kati


def run_exception(who: Any) -> BillRunException:
    """A bill-run exception on ``who``'s account (as a run records one)."""
    now = timezone.now()
    run = BillRun.objects.create(
        period="2026-10", issue_date=now.date(), due_date=now.date(), as_of=now, created_at=now
    )
    return BillRunException.objects.create(
        run=run, billing_account=who.account, code="NO_READING", reason="No reading", created_at=now
    )


class TestExceptionsQueue:
    def test_an_agent_may_not_assign_exceptions_a_specialist_may(self, mari: Any) -> None:
        now, exception = timezone.now(), run_exception(mari).pk
        with pytest.raises(NotAllowed):
            queue_assignment.assign_to_me(
                user=in_role("kati", roles.AGENT), queue="EXCEPTIONS", item_ids=[exception], now=now
            )
        tiit = in_role("tiit", roles.BILLING_SPECIALIST)
        queue_assignment.assign_to_me(user=tiit, queue="EXCEPTIONS", item_ids=[exception], now=now)
        assert queue_assignment.mine(queue="EXCEPTIONS", user_id=tiit.pk) == {exception}
        assert queue_assignment.mine(queue="READINGS", user_id=tiit.pk) == set()
