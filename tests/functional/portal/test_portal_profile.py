"""The profile in the portal (issue 13 §2): contact details and language, the invoice channel
(confirmed first, then changed and audited with who, when and from where), consents with the
dates they were given or withdrawn. Another customer's billing account is 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from vool.domain.audit.models import AuditEntry
from vool.domain.customers.models import BillingAccount, Consent

pytestmark = pytest.mark.django_db


def channel_url(household) -> str:  # type: ignore[no-untyped-def]
    return f"/portal/profile/accounts/{household.account.pk}/channel/"


class TestContactDetails:
    def test_saved_and_audited(self, client, household):
        client.force_login(household.user)
        data = {
            "email": "mari.uus@example.ee",
            "phone": "+372 5555 1234",
            "street_address": "Rüütli 5",
            "city": "Tartu",
            "postal_code": "51007",
            "preferred_language": "ru",
        }
        response = client.post("/portal/profile/", data, HTTP_ACCEPT_LANGUAGE="et")
        assert response.status_code == 302
        household.customer.refresh_from_db()
        assert (household.customer.email, household.customer.preferred_language) == (
            "mari.uus@example.ee",
            "ru",
        )
        entry = AuditEntry.objects.get(action="customers.update_contact_details")
        assert entry.before["email"] == "mari@example.ee"
        assert entry.after["street_address"] == "Rüütli 5"
        assert "city" not in entry.after  # unchanged (Tartu already): not in the log

    def test_a_bad_address_is_named_and_nothing_changes(self, client, household):
        client.force_login(household.user)
        response = client.post(
            "/portal/profile/",
            {"email": "not-an-address", "preferred_language": "et", "city": "Tartu"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400
        assert "Enter a valid email address." in response.content.decode()
        household.customer.refresh_from_db()
        assert household.customer.email == "mari@example.ee"
        assert not AuditEntry.objects.exists()


class TestInvoiceChannel:
    def test_confirmed_then_changed_and_audited(self, client, household):
        client.force_login(household.user)
        ask = client.post(
            channel_url(household), {"invoice_channel": "PAPER"}, HTTP_ACCEPT_LANGUAGE="ru"
        )
        assert ask.status_code == 200
        assert "Подтвердите способ отправки счетов" in ask.content.decode()
        household.account.refresh_from_db()
        assert household.account.invoice_channel == BillingAccount.InvoiceChannel.EMAIL

        done = client.post(
            channel_url(household),
            {"invoice_channel": "PAPER", "confirmed": "on"},
            REMOTE_ADDR="198.51.100.4",
        )
        assert done.status_code == 302
        household.account.refresh_from_db()
        assert household.account.invoice_channel == BillingAccount.InvoiceChannel.PAPER
        entry = AuditEntry.objects.get(action="customers.change_invoice_channel")
        assert (entry.user, entry.source_address) == (household.user, "198.51.100.4")
        assert (entry.before, entry.after) == (
            {"invoice_channel": "EMAIL"},
            {"invoice_channel": "PAPER"},
        )
        assert abs((timezone.now() - entry.happened_at).total_seconds()) < 60

    def test_another_customers_account_is_404(self, client, household, stranger):
        client.force_login(household.user)
        response = client.post(
            channel_url(stranger), {"invoice_channel": "PAPER", "confirmed": "on"}
        )
        assert response.status_code == 404
        stranger.account.refresh_from_db()
        assert stranger.account.invoice_channel == BillingAccount.InvoiceChannel.EMAIL


class TestConsents:
    def test_given_and_withdrawn_with_dates(self, client, household):
        client.force_login(household.user)
        client.post("/portal/profile/consents/", {"MARKETING": "on"})
        client.post("/portal/profile/consents/", {"MARKETING": "on"})  # no change: no row
        assert (
            Consent.objects.filter(customer=household.customer).count() == 3
        )  # all three answered
        client.post("/portal/profile/consents/", {})
        marketing = Consent.objects.filter(customer=household.customer, kind="MARKETING")
        assert [c.granted for c in marketing.order_by("recorded_at", "pk")] == [True, False]
        page = client.get("/portal/profile/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
        assert f"tagasi võetud {timezone.localdate():%d.%m.%Y}" in page
