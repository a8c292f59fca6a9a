"""Assignment on the other work queues (payments in suspense, failed deliveries, dunning holds,
readings queued during the freeze): "assign to me" and bulk assignment, each audited, the
"assigned to me" and "unassigned" filters with their counts, each queue refused to a role that
may not work its items; and failed deliveries retried in bulk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from cases_factories import hold_on, holder, in_role, role_group, signed_in
from receivables_factories import AS_OF, credit, our_bank_account, statement_file
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import operations as case_operations
from vool.domain.cases import roles
from vool.domain.cases.models import QueueAssignment, QueuedReading
from vool.domain.documents.models import Delivery
from vool.domain.receivables.models import Payment
from vool.usecases import case_work, import_bank_statement, queue_assignment, work_queues
from vool.usecases.backoffice_actions import NotAllowed

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC)


def failed_delivery(who: Any, attempts: int = 6) -> Delivery:
    return Delivery.objects.create(
        invoice=who.invoice,
        channel="EMAIL",
        status=Delivery.Status.FAILED,
        attempts=attempts,
        last_error="550 5.1.1 mailbox unavailable",
        queued_at=NOW,
        next_attempt_at=None,
    )


def assigned(queue: str) -> dict[int, tuple[Any, Any]]:
    return {
        a.item_id: (a.assigned_user, a.assigned_group)
        for a in QueueAssignment.objects.filter(queue=queue)
    }


class TestFailedDeliveries:
    URL = "/backoffice/queues/deliveries/"

    def test_an_agent_takes_one_filters_and_retries_in_bulk(self) -> None:
        mari, jaan = holder("mari", 26000001, "42.50"), holder("jaan", 26000002, "10.00")
        first, second = failed_delivery(mari), failed_delivery(jaan)
        kati = in_role("kati", roles.AGENT)
        client = signed_in(kati)
        assert client.post(self.URL, {"selected": [first.pk], "assign": "me"}).status_code == 302
        assert assigned("DELIVERIES") == {first.pk: (kati, None)}
        entry = AuditEntry.objects.get(action="cases.assign_queue_items")
        assert (entry.object_id, entry.after["items"]) == ("DELIVERIES", [first.pk])

        page = client.get(self.URL, {"assigned": "me"}, HTTP_ACCEPT_LANGUAGE="en")
        assert [d.pk for d in page.context["page"]] == [first.pk]
        assert page.context["assigned_counts"] == {"all": 2, "me": 1, "team": 0, "none": 1}
        unassigned = client.get(self.URL, {"assigned": "none"})
        assert [d.pk for d in unassigned.context["page"]] == [second.pk]

        retried = client.post(
            self.URL, {"selected": [first.pk, second.pk], "retry": "1", "reason": "Address fixed"}
        )
        assert retried.status_code == 302
        for item in (first, second):
            item.refresh_from_db()
            assert item.status == Delivery.Status.FAILED and item.next_attempt_at is not None
        rows = AuditEntry.objects.filter(action="documents.retry_delivery").order_by("object_id")
        assert [(r.customer_id, r.reason) for r in rows] == [
            (mari.customer.pk, "Address fixed"),
            (jaan.customer.pk, "Address fixed"),
        ]

    def test_finance_may_see_but_not_retry_nor_assign(self) -> None:
        mari = holder("mari", 26000001, "42.50")
        item = failed_delivery(mari)
        finance = in_role("rita", roles.FINANCE)
        client = signed_in(finance)
        page = client.get(self.URL, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200 and not page.context["may_retry"]
        refused = client.post(self.URL, {"selected": [item.pk], "retry": "1", "reason": "x"})
        assert refused.status_code == 403
        assert client.post(self.URL, {"selected": [item.pk], "assign": "me"}).status_code == 403
        with translation.override("en"), pytest.raises(NotAllowed, match="may not retry"):
            case_work.retry_deliveries(
                user=finance, delivery_ids=[item.pk], reason="x", now=timezone.now()
            )
        item.refresh_from_db()
        assert item.next_attempt_at is None
        assert not QueueAssignment.objects.exists() and not AuditEntry.objects.exists()

    def test_a_delivery_sent_meanwhile_is_not_retried(self) -> None:
        item = failed_delivery(holder("mari", 26000001, "42.50"))
        Delivery.objects.filter(pk=item.pk).update(status=Delivery.Status.SENT)
        count = case_work.retry_deliveries(
            user=in_role("kati", roles.AGENT), delivery_ids=[item.pk], reason="", now=NOW
        )
        assert count == 0 and not AuditEntry.objects.exists()


class TestSuspense:
    URL = "/backoffice/queues/suspense/"

    @pytest.fixture
    def payment(self, tmp_path: Path) -> Payment:
        mari = holder("mari", 26000001, "42.50")
        our_bank_account()
        path = statement_file(
            tmp_path / "s.xml", credit("S1", "42.50", text=f"arve {mari.invoice.number}")
        )
        import_bank_statement.import_bank_file(path=path, as_of=AS_OF)
        return Payment.objects.get()

    def test_finance_takes_a_payment_and_sees_it_as_theirs(self, payment: Payment) -> None:
        ene = in_role("ene", roles.FINANCE)
        client = signed_in(ene)
        assert client.post(self.URL, {"selected": [payment.pk], "assign": "me"}).status_code == 302
        assert assigned("SUSPENSE") == {payment.pk: (ene, None)}
        page = client.get(self.URL, {"assigned": "me"}, HTTP_ACCEPT_LANGUAGE="en")
        assert [item.payment.pk for item in page.context["page"]] == [payment.pk]
        assert "ene" in page.content.decode()
        assert page.context["assigned_counts"]["none"] == 0
        nobody = client.get(self.URL, {"assigned": "none"})
        assert list(nobody.context["page"]) == []

    def test_an_agent_may_not_assign_payments(self, payment: Payment) -> None:
        client = signed_in(in_role("kati", roles.AGENT))
        assert client.post(self.URL, {"selected": [payment.pk], "assign": "me"}).status_code == 403
        assert not QueueAssignment.objects.exists()


class TestHolds:
    URL = "/backoffice/queues/holds/"

    def test_a_supervisor_gives_holds_to_the_finance_team_in_bulk(self) -> None:
        mari, jaan = holder("mari", 26000001, "42.50"), holder("jaan", 26000002, "10.00")
        holds = [hold_on(mari, "Medical equipment"), hold_on(jaan, "Hospital")]
        team = role_group(roles.FINANCE)
        ene = in_role("ene", roles.FINANCE)
        client = signed_in(in_role("liis", roles.SUPERVISOR))
        done = client.post(
            self.URL + "?kind=VULNERABLE",
            {
                "selected": [h.pk for h in holds],
                "assign": "bulk",
                "assign-team": team.pk,
                "assign-reason": "Finance checks these",
            },
        )
        assert done.status_code == 302 and done.url == self.URL + "?kind=VULNERABLE"
        assert assigned("HOLDS") == {h.pk: (None, team) for h in holds}
        assert AuditEntry.objects.get().reason == "Finance checks these"
        theirs = signed_in(ene).get(self.URL, {"assigned": "team"})
        assert {h.pk for h in theirs.context["page"]} == {h.pk for h in holds}
        assert theirs.context["assigned_counts"] == {"all": 2, "me": 0, "team": 2, "none": 0}

    def test_an_agent_may_not_assign_holds(self) -> None:
        hold = hold_on(holder("mari", 26000001, "42.50"), "Medical equipment")
        with pytest.raises(NotAllowed, match="may not assign"):
            queue_assignment.assign_to_me(
                user=in_role("kati", roles.AGENT), queue="HOLDS", item_ids=[hold.pk], now=NOW
            )
        assert not QueueAssignment.objects.exists()


class TestFrozenReadings:
    URL = "/backoffice/queues/frozen-readings/"

    @pytest.fixture
    def queued(self) -> QueuedReading:
        mari = holder("mari", 26000001, "42.50")
        admin = in_role("admin", roles.ADMINISTRATOR)
        frozen = case_work.switch_freeze_on(user=admin, message="Moving", now=NOW)
        return case_operations.queue_reading(
            freeze=frozen,
            customer=mari.customer,
            metering_point=mari.contract.metering_point,
            values_kwh={"SINGLE": Decimal("1234.5")},
            read_at=NOW,
            by=mari.user,
        )

    def test_a_specialist_takes_a_queued_reading(self, queued: QueuedReading) -> None:
        tiit = in_role("tiit", roles.BILLING_SPECIALIST)
        client = signed_in(tiit)
        assert client.post(self.URL, {"selected": [queued.pk], "assign": "me"}).status_code == 302
        assert assigned("FROZEN_READINGS") == {queued.pk: (tiit, None)}
        page = client.get(self.URL, {"assigned": "me"}, HTTP_ACCEPT_LANGUAGE="en")
        assert [q.pk for q in page.context["page"]] == [queued.pk]
        assert page.context["page"][0].assignment.assigned_user == tiit

    def test_finance_may_not_assign_queued_readings(self, queued: QueuedReading) -> None:
        client = signed_in(in_role("rita", roles.FINANCE))
        assert client.post(self.URL, {"selected": [queued.pk], "assign": "me"}).status_code == 403
        assert not QueueAssignment.objects.exists()


def test_the_filter_counts_of_a_list_queue_and_a_queryset_queue_agree() -> None:
    """The readings queue is a list, the holds queue a queryset: the counts are the same rule."""
    mari = holder("mari", 26000001, "42.50")
    holds = [hold_on(mari, "One"), hold_on(mari, "Two")]
    kati = in_role("kati", roles.SUPERVISOR)
    queue_assignment.assign_to_me(user=kati, queue="HOLDS", item_ids=[holds[0].pk], now=NOW)
    rows = work_queues.active_holds(today=NOW.date())
    as_queryset = queue_assignment.filter_counts(rows, queue="HOLDS", user_id=kati.pk)
    as_list = queue_assignment.filter_counts(list(rows), queue="HOLDS", user_id=kati.pk)
    assert as_queryset == as_list == {"all": 2, "me": 1, "team": 0, "none": 1}
    mine = queue_assignment.only(list(rows), queue="HOLDS", assigned="me", user_id=kati.pk)
    assert [h.pk for h in mine] == [holds[0].pk]
