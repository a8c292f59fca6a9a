"""A walk through a service freeze (issue 16 §6): an administrator switches it on with a
message (``vool freeze on``); the portal is read-only with a notice in each language, a
reading given is queued (not lost), a request is refused; the back office registers requests
and nothing else; the freeze goes off; the queue is worked: the reading is taken in, dated
when the customer gave it, and the request is worked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone, translation

from cases_factories import holder, in_role
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import Invoice
from vool.domain.cases import roles
from vool.domain.cases.models import Case, QueuedReading
from vool.domain.metering.models import Reading
from vool.domain.receivables.models import DunningHold
from vool.usecases import backoffice_actions, case_work, freeze

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = StringIO()
    call_command("freeze", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def mari() -> Any:
    return holder("mari", 26000001, "42.50")


def test_a_freeze_from_on_to_the_queue_worked(mari: Any) -> None:
    in_role("admin", roles.ADMINISTRATOR)
    agent, specialist = in_role("kati", roles.AGENT), in_role("tiit", roles.BILLING_SPECIALIST)
    assert cli("status") == "Freeze off.\n"
    assert "Freeze on since" in cli("on", "--message", "Kolime uude süsteemi.", "--user", "admin")
    assert "Kolime uude süsteemi." in cli("status")

    # the portal: read-only with the notice, a reading queued, a request refused
    portal = Client()
    portal.force_login(mari.user)
    notices = {
        "et": "Teenindus on hoolduse ajaks peatatud.",
        "ru": "Обслуживание приостановлено на время технических работ.",
        "en": "The service is paused for maintenance.",
    }
    for language, notice in notices.items():
        page = portal.get("/portal/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert notice in page and "Kolime uude süsteemi." in page
    point = mari.contract.metering_point_id
    given = portal.post(f"/portal/readings/{point}/", {"value_SINGLE": "1234,5"})
    assert given.status_code == 302
    queued = QueuedReading.objects.get()
    assert queued.values_kwh == {"SINGLE": "1234.5"} and queued.given_by_user == mari.user
    assert not Reading.objects.exists()
    refused = portal.post(
        "/portal/requests/new/",
        {"case_type": "QUESTION", "subject": "Hi", "description": "?"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 503 and "Your change was not saved" in refused.content.decode()

    # the back office: requests are registered, nothing else is done
    clerk = Client()
    clerk.force_login(agent)
    clerk.post(
        f"/backoffice/customers/{mari.customer.pk}/cases/new/",
        {"channel": "PHONE", "case_type": "QUESTION", "subject": "Why no bill?"},
    )
    case = Case.objects.get()
    assert case.opened_during_freeze is True
    translation.activate("en")
    with pytest.raises(freeze.FrozenNow, match="only customer requests"):
        backoffice_actions.credit_invoice(
            user=agent,
            number=mari.invoice.number,
            reason="x",
            today=dt.date.today(),
            now=case.opened_at,
        )
    with pytest.raises(freeze.FrozenNow):
        case_work.add_note(
            user=agent, case_id=case.pk, text="x", for_customer=False, now=case.opened_at
        )
    with pytest.raises(freeze.FrozenNow):
        case_work.apply_queued_reading(user=specialist, queued_id=queued.pk, now=case.opened_at)
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()

    with pytest.raises(CommandError, match="may not switch the freeze"):
        cli("off", "--user", "kati")
    assert "Freeze off at" in cli("off", "--user", "admin")

    # after the freeze: the queues are worked
    worker = Client()
    worker.force_login(specialist)
    assert "1234.5" in worker.get("/backoffice/queues/frozen-readings/").content.decode()
    worked = worker.post("/backoffice/queues/frozen-readings/", {"selected": [queued.pk]})
    assert worked.status_code == 302
    reading = Reading.objects.get()
    assert reading.value_kwh == Decimal("1234.500") and reading.read_at == queued.read_at
    assert reading.created_by == mari.user and reading.known_at > queued.read_at
    queued.refresh_from_db()
    assert queued.status == QueuedReading.Status.APPLIED and queued.worked_by == "tiit"
    clerk.post(
        f"/backoffice/cases/{case.pk}/",
        {"action": "note", "text": "Answered", "for_customer": "on"},
    )
    assert case.notes.get().text == "Answered"
    mine = portal.get(f"/portal/requests/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Answered" in mine and "Teenindus on hoolduse" not in mine
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "cases.freeze_on",
        "cases.open_case",
        "cases.freeze_off",
        "cases.apply_queued_reading",
        "cases.add_note",
    ]


def test_a_queued_reading_the_rules_refuse_is_marked_refused(mari: Any) -> None:
    admin = in_role("admin", roles.ADMINISTRATOR)
    now = timezone.now()
    case_work.switch_freeze_on(user=admin, message="Go-live", now=now)
    Reading.objects.create(
        register=mari.register,
        read_at=now - dt.timedelta(days=30),
        known_at=now - dt.timedelta(days=30),
        value_kwh=Decimal("5000"),
        source="PORTAL",
    )
    portal = Client()
    portal.force_login(mari.user)
    portal.post(f"/portal/readings/{mari.contract.metering_point_id}/", {"value_SINGLE": "4000"})
    case_work.switch_freeze_off(user=admin, now=now + dt.timedelta(hours=1))
    queued = case_work.apply_queued_reading(
        user=admin, queued_id=QueuedReading.objects.get().pk, now=now + dt.timedelta(hours=2)
    )
    assert queued.status == QueuedReading.Status.REFUSED
    # the metering rules' refusal, in the language of whoever works the queue (et by default)
    assert queued.outcome == (
        "Näit 4000 on väiksem kui eelmine näit 5000. Palun kontrollige arvesti näitu."
    )
    assert Reading.objects.count() == 1


def test_during_the_freeze_a_clerk_cannot_write_through_the_admin(mari: Any) -> None:
    admin = in_role("admin", roles.ADMINISTRATOR)
    now = timezone.now()
    case_work.switch_freeze_on(user=admin, message="Go-live", now=now)
    clerk = Client()
    clerk.force_login(in_role("ene", roles.FINANCE))
    url = "/admin/receivables/dunninghold/add/"
    assert clerk.get(url).status_code == 200  # looking is fine
    form = {
        "kind": "CLERK",
        "billing_account": mari.account.pk,
        "reason": "Plan",
        "valid_from": now.date().isoformat(),
        "created_by": "ene",
        "created_at_0": now.date().isoformat(),
        "created_at_1": "10:00:00",
    }
    refused = clerk.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 503 and "only customer requests" in refused.content.decode()
    assert not DunningHold.objects.exists()
    case_work.switch_freeze_off(user=admin, now=now)
    assert clerk.post(url, form).status_code != 503
