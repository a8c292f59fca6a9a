"""Customer requests: a due date from the type's dated service level, links only to the
customer's own objects, a bill dispute holding the invoice's dunning until resolved, notes,
size-limited attachments, assignment with the object-level rule; every write audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client

from cases_factories import holder, in_role
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import operations as case_operations
from vool.domain.cases.models import Case, CaseAttachment, CaseNote, ServiceLevel
from vool.domain.cases.roles import AGENT, SUPERVISOR
from vool.domain.receivables import dunning
from vool.domain.receivables.models import DunningHold
from vool.usecases import case_work
from vool.usecases.backoffice_actions import NotAllowed

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 9, 30, tzinfo=dt.UTC)  # Monday 16 November, Tallinn 11:30
TODAY = dt.date(2026, 11, 16)


@pytest.fixture
def mari() -> Any:
    return holder("mari", 26000001, "42.50")


@pytest.fixture
def jaan(mari: Any) -> Any:
    return holder("jaan", 26000002, "99.00")


def dispute(user: Any, who: Any, *, invoice_id: int | None = None) -> Case:
    return case_work.register_case(
        user=user,
        new=case_work.NewCase(
            customer_id=who.customer.pk,
            channel="PHONE",
            case_type="BILL_DISPUTE",
            subject="The October bill is too high",
            invoice_id=invoice_id if invoice_id is not None else who.invoice.pk,
        ),
        now=NOW,
        request_id="req-1",
    )


class TestServiceLevel:
    def test_the_due_date_is_the_types_days_from_the_day_opened(self, mari: Any) -> None:
        case = dispute(in_role("kati", AGENT), mari)
        assert case.due_date == TODAY + dt.timedelta(days=14)  # the seeded bill-dispute level

    def test_a_later_level_applies_to_requests_opened_from_its_day(self, mari: Any) -> None:
        ServiceLevel.objects.filter(case_type="QUESTION").update(valid_to=TODAY)
        ServiceLevel.objects.create(case_type="QUESTION", days=3, valid_from=TODAY)
        agent = in_role("kati", AGENT)
        new = case_work.NewCase(mari.customer.pk, "EMAIL", "QUESTION", "When is the bill?")
        case = case_work.register_case(user=agent, new=new, now=NOW)
        assert case.due_date == dt.date(2026, 11, 19)
        before = case_work.register_case(user=agent, new=new, now=NOW - dt.timedelta(days=1))
        assert before.due_date == dt.date(2026, 11, 20)  # 15th + the old level's 5 days

    def test_without_a_level_the_request_is_refused(self, mari: Any) -> None:
        ServiceLevel.objects.filter(case_type="GRID_FAULT").delete()
        new = case_work.NewCase(mari.customer.pk, "PHONE", "GRID_FAULT", "No power")
        with pytest.raises(case_operations.UnableToOpenCase, match="No service level"):
            case_work.register_case(user=in_role("kati", AGENT), new=new, now=NOW)
        assert not Case.objects.exists() and not AuditEntry.objects.exists()


class TestBillDispute:
    def test_a_dispute_holds_the_invoices_dunning_and_is_audited(self, mari: Any) -> None:
        case = dispute(in_role("kati", AGENT), mari)
        hold = DunningHold.objects.get(invoice=mari.invoice)
        assert hold.kind == "DISPUTED" and hold.valid_from == TODAY and hold.valid_to is None
        assert case.dunning_hold == hold
        entry = AuditEntry.objects.get(action="cases.open_case")
        assert entry.username == "kati" and entry.customer_id == mari.customer.pk
        assert entry.request_id == "req-1" and entry.after["dunning_hold"] == hold.pk

    def test_resolving_the_dispute_ends_the_hold(self, mari: Any) -> None:
        agent = in_role("kati", AGENT)
        case = dispute(agent, mari)
        later = NOW + dt.timedelta(days=3)
        case_work.change_status(
            user=agent,
            case_id=case.pk,
            status="RESOLVED",
            resolution="Reading was wrong; credited",
            now=later,
        )
        hold = DunningHold.objects.get(invoice=mari.invoice)
        assert hold.valid_to == dt.date(2026, 11, 19)
        assert AuditEntry.objects.get(action="cases.set_status").after["status"] == "RESOLVED"
        with pytest.raises(case_operations.UnableToWorkCase, match="resolved"):
            case_work.add_note(user=agent, case_id=case.pk, text="x", for_customer=False, now=later)

    def test_a_dispute_resolved_the_same_day_keeps_a_one_day_hold(self, mari: Any) -> None:
        agent = in_role("kati", AGENT)
        case = dispute(agent, mari)
        case_work.change_status(
            user=agent, case_id=case.pk, status="RESOLVED", resolution="Explained", now=NOW
        )
        assert DunningHold.objects.get(invoice=mari.invoice).valid_to == TODAY + dt.timedelta(1)

    def test_resolving_needs_the_resolution(self, mari: Any) -> None:
        agent = in_role("kati", AGENT)
        case = dispute(agent, mari)
        with pytest.raises(case_operations.UnableToWorkCase, match="how the request"):
            case_work.change_status(
                user=agent, case_id=case.pk, status="RESOLVED", resolution=" ", now=NOW
            )
        assert DunningHold.objects.get(invoice=mari.invoice).valid_to is None

    def test_another_customers_invoice_is_refused_and_nothing_written(
        self, mari: Any, jaan: Any
    ) -> None:
        with pytest.raises(case_operations.UnableToOpenCase, match="not an issued invoice"):
            dispute(in_role("kati", AGENT), mari, invoice_id=jaan.invoice.pk)
        assert not DunningHold.objects.exists() and not Case.objects.exists()

    def test_an_ended_hold_cannot_end_again(self, mari: Any) -> None:
        case = dispute(in_role("kati", AGENT), mari)
        assert case.dunning_hold_id is not None
        dunning.end_hold(hold_id=case.dunning_hold_id, on=TODAY + dt.timedelta(days=2))
        with pytest.raises(dunning.UnableToHold, match="already ended"):
            dunning.end_hold(hold_id=case.dunning_hold_id, on=TODAY + dt.timedelta(days=3))


class TestWorkingACase:
    def test_a_team_member_works_a_team_case_and_others_are_refused(self, mari: Any) -> None:
        kati, mati = in_role("kati", AGENT), in_role("mati", AGENT)
        team = Group.objects.create(name="Tartu office")
        kati.groups.add(team)
        case = dispute(kati, mari)
        case_work.assign_case(
            user=kati,
            case_id=case.pk,
            assignee_id=None,
            group_id=team.pk,
            reason="ours",
            now=NOW,
        )
        case_work.add_note(user=kati, case_id=case.pk, text="Called", for_customer=True, now=NOW)
        with pytest.raises(NotAllowed, match="assigned to someone else"):
            case_work.add_note(user=mati, case_id=case.pk, text="Hi", for_customer=False, now=NOW)
        boss = in_role("liis", SUPERVISOR)
        case_work.add_note(user=boss, case_id=case.pk, text="Checked", for_customer=False, now=NOW)
        assert [n.text for n in case.notes.all()] == ["Called", "Checked"]
        assert AuditEntry.objects.filter(action="cases.add_note").count() == 2

    def test_an_attachment_is_stored_and_a_too_large_one_refused(
        self, mari: Any, settings: Any
    ) -> None:
        settings.VOOL_CASE_ATTACHMENT_MAX_BYTES = 100
        agent = in_role("kati", AGENT)
        case = dispute(agent, mari)
        attachment = case_work.add_attachment(
            user=agent,
            case_id=case.pk,
            file_name="meter.jpg",
            content_type="image/jpeg",
            content=b"x" * 100,
            now=NOW,
        )
        assert case_work.attachment_content(attachment) == b"x" * 100
        with pytest.raises(case_operations.UnableToWorkCase, match="at most 100 bytes"):
            case_work.add_attachment(
                user=agent,
                case_id=case.pk,
                file_name="big.pdf",
                content_type="",
                content=b"y" * 101,
                now=NOW,
            )
        assert CaseAttachment.objects.count() == 1
        client = Client()
        client.force_login(agent)
        response = client.get(f"/backoffice/cases/{case.pk}/attachments/{attachment.pk}/")
        assert response.status_code == 200 and response.content == b"x" * 100


class TestBackOfficePages:
    def test_register_from_the_customer_page_then_work_it(self, mari: Any) -> None:
        agent = in_role("kati", AGENT)
        client = Client()
        client.force_login(agent)
        page = client.get(f"/backoffice/customers/{mari.customer.pk}/")
        assert f"/backoffice/customers/{mari.customer.pk}/cases/new/" in page.content.decode()
        response = client.post(
            f"/backoffice/customers/{mari.customer.pk}/cases/new/",
            {
                "channel": "OFFICE",
                "case_type": "BILL_DISPUTE",
                "subject": "Too high",
                "invoice_number": mari.invoice.number,
            },
        )
        case = Case.objects.get()
        assert (
            response.status_code == 302 and response["Location"] == f"/backoffice/cases/{case.pk}/"
        )
        detail = client.get(response["Location"]).content.decode()
        assert "Too high" in detail and 'id="case-hold"' in detail
        client.post(
            f"/backoffice/cases/{case.pk}/",
            {"action": "note", "text": "We look at it", "for_customer": "on"},
        )
        listing = client.get("/backoffice/cases/?case_type=BILL_DISPUTE").content.decode()
        assert "Too high" in listing
        assert case.notes.get().for_customer is True

    def test_a_dispute_without_the_invoice_is_shown_as_an_error(self, mari: Any) -> None:
        client = Client()
        client.force_login(in_role("kati", AGENT))
        response = client.post(
            f"/backoffice/customers/{mari.customer.pk}/cases/new/",
            {"channel": "PHONE", "case_type": "BILL_DISPUTE", "subject": "Too high"},
        )
        assert response.status_code == 200
        assert "tuleb nimetada vaidlustatud arve" in response.content.decode()
        assert not Case.objects.exists()


def test_a_note_is_never_changed_or_deleted(mari: Any) -> None:
    agent = in_role("kati", AGENT)
    case = dispute(agent, mari)
    note = case_work.add_note(user=agent, case_id=case.pk, text="Said", for_customer=True, now=NOW)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseNote.objects.filter(pk=note.pk).update(text="Never said")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseNote.objects.filter(pk=note.pk).delete()


def test_an_unknown_invoice_number_is_named_on_the_form(mari: Any) -> None:
    client = Client()
    client.force_login(in_role("kati", AGENT))
    response = client.post(
        f"/backoffice/customers/{mari.customer.pk}/cases/new/",
        {"channel": "PHONE", "case_type": "QUESTION", "subject": "x", "invoice_number": 999},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "There is no invoice number 999." in response.content.decode()
    assert not Case.objects.exists()


def test_a_file_is_attached_on_the_page_and_a_too_large_one_refused(
    mari: Any, settings: Any
) -> None:
    settings.VOOL_CASE_ATTACHMENT_MAX_BYTES = 10
    agent = in_role("kati", AGENT)
    case = dispute(agent, mari)
    client = Client()
    client.force_login(agent)
    url = f"/backoffice/cases/{case.pk}/"
    photo = SimpleUploadedFile("meter.jpg", b"0123456789", content_type="image/jpeg")
    client.post(url, {"action": "attach", "file": photo})
    big = SimpleUploadedFile("scan.pdf", b"0123456789A", content_type="application/pdf")
    page = client.post(
        url, {"action": "attach", "file": big}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "at most 10 bytes" in page.content.decode()
    assert list(case.attachments.values_list("file_name", "size_bytes")) == [("meter.jpg", 10)]
