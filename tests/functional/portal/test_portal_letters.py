"""The letters sent to the customer in the portal (issue 11 §5, issue 13 §4): the list, each
letter's PDF as it was sent, and another customer's letter is 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from factories import BillingAccountFactory
from vool.common import identifiers
from vool.domain.customers.models import FormerReferenceNumber
from vool.domain.documents.models import Letter
from vool.usecases import letters, render_invoices

pytestmark = pytest.mark.django_db

KIND = "new-reference-number"


def with_former(household, number: int) -> None:  # type: ignore[no-untyped-def]
    """The household's account had a former reference number; its letter goes to the portal."""
    household.account.invoice_channel = "PORTAL"
    household.account.save(update_fields=["invoice_channel"])
    FormerReferenceNumber.objects.create(
        account=household.account,
        reference_number=identifiers.make_reference_number(number),
        replaced_on=dt.date(2026, 11, 1),
        source="legacy extract",
    )


@pytest.fixture
def sent(household, stranger):  # type: ignore[no-untyped-def]
    with_former(household, 550001)
    with_former(stranger, 550002)
    report = letters.send_letters(
        kind=KIND, accounts="all", today=timezone.localdate(), as_of=timezone.now()
    )
    assert (report.rendered, report.to_portal, report.failures) == (2, 2, [])
    return {
        name: Letter.objects.get(billing_account=h.account)
        for name, h in (("household", household), ("stranger", stranger))
    }


class TestLetters:
    def test_the_list_shows_their_letters_only(self, client, household, sent):
        client.force_login(household.user)
        page = client.get("/portal/letters/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
        assert "Teie uus viitenumber" in page  # the letter's title in Estonian
        assert household.account.reference_number in page
        assert f"/portal/letters/{sent['household'].pk}/pdf/" in page
        assert f"/portal/letters/{sent['stranger'].pk}/pdf/" not in page

    def test_the_pdf_is_the_letter_as_sent(self, client, household, sent):
        client.force_login(household.user)
        response = client.get(f"/portal/letters/{sent['household'].pk}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content == render_invoices.store().read(sent["household"].path)

    def test_another_customers_letter_is_404(self, client, household, sent):
        client.force_login(household.user)
        assert client.get(f"/portal/letters/{sent['stranger'].pk}/pdf/").status_code == 404
        assert client.get("/portal/letters/999999/pdf/").status_code == 404

    def test_a_letter_not_sent_yet_is_not_shown(self, client, household, sent):
        Letter.objects.filter(pk=sent["household"].pk).update(status=Letter.Status.PENDING)
        client.force_login(household.user)
        page = client.get("/portal/letters/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "No letters yet." in page
        assert client.get(f"/portal/letters/{sent['household'].pk}/pdf/").status_code == 404

    def test_a_customer_sees_the_letters_of_each_of_their_accounts(self, client, household, sent):
        second = BillingAccountFactory(customer=household.customer, invoice_channel="PORTAL")
        FormerReferenceNumber.objects.create(
            account=second,
            reference_number=identifiers.make_reference_number(550003),
            replaced_on=dt.date(2026, 11, 1),
            source="legacy extract",
        )
        letters.send_letters(
            kind=KIND, accounts="all", today=timezone.localdate(), as_of=timezone.now()
        )
        client.force_login(household.user)
        page = client.get("/portal/letters/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert page.count('/pdf/" download>') == 2  # one PDF link a letter
        assert second.reference_number in page
