"""The work-queues overview: each queue's total, the items assigned to me and the unassigned
ones, one query per queue whatever its size; and an assignment naming an id that is no item
of the queue refused whole."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from cases_factories import hold_on, holder, in_role, role_group, signed_in
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import operations as case_operations
from vool.domain.cases import roles
from vool.domain.cases.models import QueueAssignment
from vool.domain.receivables.models import DunningHold
from vool.usecases import case_work, queue_assignment, work_queues

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def worked() -> Any:
    """Three holds: one Liis took, one given to the finance team, one nobody's; two requests:
    one Liis's, one nobody's."""
    mari = holder("mari", 26000001, "42.50")
    liis = in_role("liis", roles.SUPERVISOR)
    mine, teams, _nobodys = (hold_on(mari, why) for why in ("Mine", "Team", "Nobody"))
    queue_assignment.assign_to_me(user=liis, queue="HOLDS", item_ids=[mine.pk], now=NOW)
    queue_assignment.assign_items(
        user=liis,
        queue="HOLDS",
        item_ids=[teams.pk],
        assignee_id=None,
        group_id=role_group(roles.FINANCE).pk,
        reason="Finance",
        now=NOW,
    )
    first, _second = (
        case_work.register_case(
            user=liis, new=case_work.NewCase(mari.customer.pk, "PHONE", "QUESTION", s), now=NOW
        )
        for s in ("Bill?", "Meter?")
    )
    case_operations.assign(case_id=first.pk, user_id=liis.pk, group_id=None)
    return liis


class TestOverviewCounts:
    def test_each_queue_counts_all_mine_and_unassigned(self, worked: Any) -> None:
        today = NOW.date()
        counts = work_queues.counts(today=today, user_id=worked.pk)
        assert counts["holds"] == work_queues.QueueCounts(total=3, mine=1, unassigned=1)
        assert counts["open_cases"] == work_queues.QueueCounts(total=2, mine=1, unassigned=1)
        assert counts["readings"] == work_queues.QueueCounts(total=0, mine=0, unassigned=0)
        someone_else = in_role("kati", roles.AGENT)
        theirs = work_queues.counts(today=today, user_id=someone_else.pk)
        assert theirs["holds"] == work_queues.QueueCounts(total=3, mine=0, unassigned=1)

    def test_one_query_per_queue_whatever_its_size(self, worked: Any) -> None:
        with CaptureQueriesContext(connection) as few:
            work_queues.counts(today=NOW.date(), user_id=worked.pk)
        mari = holder("jaan", 26000002, "10.00")
        for n in range(5):
            hold_on(mari, f"More {n}")
        with CaptureQueriesContext(connection) as many:
            counts = work_queues.counts(today=NOW.date(), user_id=worked.pk)
        assert counts["holds"].total == 8
        assert len(few) == len(many) == 9  # nine queues

    def test_the_page_shows_the_three_counts_with_their_filters(self, worked: Any) -> None:
        page = signed_in(worked).get("/backoffice/queues/")
        html = page.content.decode()
        assert '<td class="num" id="count-holds">3</td>' in html
        assert '<a href="/backoffice/queues/holds/?assigned=me">1</a>' in html
        assert '<a href="/backoffice/queues/holds/?assigned=none">1</a>' in html
        assert (
            '<td class="num" id="mine-overdue">'
            '<a href="/backoffice/cases/?assigned=me&amp;overdue=on">' in html
        )
        english = signed_in(worked).get("/backoffice/queues/", HTTP_ACCEPT_LANGUAGE="en")
        assert "Assigned to me" in english.content.decode()
        assert "Mulle määratud" in html


class TestUnknownItems:
    def test_an_id_that_is_no_item_of_the_queue_refuses_the_whole_assignment(
        self, worked: Any
    ) -> None:
        hold = DunningHold.objects.get(reason="Nobody")
        before = (QueueAssignment.objects.count(), AuditEntry.objects.count())
        with (
            translation.override("en"),
            pytest.raises(
                case_operations.UnableToWorkCase,
                match=r"^There is no item 998, 999 in the queue Dunning holds; nothing was "
                r"assigned\.$",
            ),
        ):
            queue_assignment.assign_to_me(
                user=worked, queue="HOLDS", item_ids=[999, hold.pk, 998], now=timezone.now()
            )
        assert (QueueAssignment.objects.count(), AuditEntry.objects.count()) == before
        assert hold.pk not in queue_assignment.mine(queue="HOLDS", user_id=worked.pk)

    def test_an_item_of_another_queue_is_unknown_here(self, worked: Any) -> None:
        hold = DunningHold.objects.get(reason="Nobody")
        with pytest.raises(case_operations.UnableToWorkCase):
            queue_assignment.assign_to_me(
                user=worked, queue="READINGS", item_ids=[hold.pk], now=timezone.now()
            )
        assert not QueueAssignment.objects.filter(queue="READINGS").exists()

    def test_the_page_says_so(self, worked: Any) -> None:
        done = signed_in(worked).post(
            "/backoffice/queues/holds/",
            {"selected": [12345], "assign": "me"},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
        assert (
            "There is no item 12345 in the queue Dunning holds; nothing was assigned."
            in done.content.decode()
        )
