"""The portal's Requests pages (issue 14 §3, the customer's side): open a question or a bill
dispute (which holds the invoice's dunning), follow its status and the notes meant for the
customer; another customer's request, or invoice, is 404; the form has CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from vool.domain.audit.models import AuditEntry
from vool.domain.cases.models import Case
from vool.domain.receivables.models import DunningHold
from vool.usecases import case_work

pytestmark = pytest.mark.django_db


def signed_in(who) -> Client:
    client = Client()
    client.force_login(who.user)
    return client


class TestOpenARequest:
    def test_a_dispute_is_registered_from_the_portal_and_holds_dunning(self, household):
        client = signed_in(household)
        response = client.post(
            "/portal/requests/new/",
            {
                "case_type": "BILL_DISPUTE",
                "invoice": household.invoice.pk,
                "subject": "Arve on liiga suur",
                "description": "Näit oli 1200, mitte 2100.",
            },
            HTTP_ACCEPT_LANGUAGE="et",
        )
        case = Case.objects.get()
        assert (
            response.status_code == 302 and response["Location"] == f"/portal/requests/{case.pk}/"
        )
        assert case.channel == "PORTAL" and case.customer == household.customer
        assert DunningHold.objects.get(invoice=household.invoice).valid_to is None
        entry = AuditEntry.objects.get()
        assert entry.action == "cases.open_case" and entry.username == "mari"
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="et").content.decode()
        assert "Arve vaidlustamine" in page and "Avatud" in page
        assert "meeldetuletusi ei saadeta" in page

    def test_a_dispute_needs_the_invoice(self, household):
        response = signed_in(household).post(
            "/portal/requests/new/",
            {"case_type": "BILL_DISPUTE", "subject": "Too much", "description": "x"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400
        assert "Choose the invoice you dispute." in response.content.decode()
        assert not Case.objects.exists()

    def test_a_type_the_portal_does_not_offer_is_refused(self, household):
        response = signed_in(household).post(
            "/portal/requests/new/",
            {"case_type": "GRID_FAULT", "subject": "No power", "description": "x"},
        )
        assert response.status_code == 400 and not Case.objects.exists()

    def test_another_customers_invoice_cannot_be_disputed(self, household, stranger):
        response = signed_in(household).post(
            "/portal/requests/new/",
            {
                "case_type": "BILL_DISPUTE",
                "invoice": stranger.invoice.pk,
                "subject": "x",
                "description": "x",
            },
        )
        assert response.status_code == 400  # not among the choices
        assert not Case.objects.exists() and not DunningHold.objects.exists()

    def test_the_form_needs_its_csrf_token(self, household):
        client = Client(enforce_csrf_checks=True)
        client.force_login(household.user)
        response = client.post(
            "/portal/requests/new/", {"case_type": "QUESTION", "subject": "x", "description": "y"}
        )
        assert response.status_code == 403 and not Case.objects.exists()


class TestFollowARequest:
    def test_only_notes_meant_for_the_customer_are_shown(self, household):
        case = case_work.register_case(
            user=household.user,
            new=case_work.NewCase(household.customer.pk, "PORTAL", "QUESTION", "Tariff?"),
            now=household.invoice.issued_at,
            as_customer=True,
        )
        case.notes.create(
            text="Vastus kliendile", for_customer=True, written_by="kati", written_at=case.opened_at
        )
        case.notes.create(
            text="Sisemine märge", for_customer=False, written_by="kati", written_at=case.opened_at
        )
        client = signed_in(household)
        listing = client.get("/portal/requests/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
        assert "Tariff?" in listing and 'aria-current="page"' in listing
        page = client.get(f"/portal/requests/{case.pk}/").content.decode()
        assert "Vastus kliendile" in page and "Sisemine märge" not in page

    def test_another_customers_request_is_404(self, household, stranger):
        theirs = case_work.register_case(
            user=stranger.user,
            new=case_work.NewCase(stranger.customer.pk, "PORTAL", "QUESTION", "Jaan's"),
            now=stranger.invoice.issued_at,
            as_customer=True,
        )
        client = signed_in(household)
        assert client.get(f"/portal/requests/{theirs.pk}/").status_code == 404
        assert "Jaan's" not in client.get("/portal/requests/").content.decode()

    def test_signed_out_goes_to_sign_in(self, household):
        response = Client().get("/portal/requests/")
        assert response.status_code == 302 and "/portal/login/" in response["Location"]
