"""The portal's overview (issue 13 §2): balance from the ledger, what is due when, the latest
invoice with its PDF, how to pay (IBAN, reference, EPC QR), automatic payment, the reading
window with a call to act, and the estimated-bill notice; another customer's PDF is 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vool.domain.billing.models import InvoiceLine
from vool.domain.customers.models import BillingAccount
from vool.domain.integrity import operations as integrity_operations
from vool.domain.metering.models import Reading
from vool.usecases import portal

pytestmark = pytest.mark.django_db
TALLINN_NOON = dt.timezone(dt.timedelta(hours=2))


def page(client, household, language: str = "en") -> str:
    client.force_login(household.user)
    response = client.get("/portal/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


class TestOverviewPage:
    def test_balance_due_date_and_latest_invoice(self, client, household):
        html = page(client, household)
        due = household.invoice.due_date
        assert '<p class="big" data-testid="balance">€42.50</p>' in html
        assert f"€42.50 due on {due.day}\u00a0{due:%b}\u00a0{due.year}" in html
        assert "No. 26000001 of" in html
        assert f'href="/portal/invoices/{household.invoice.pk}/pdf/"' in html

    def test_money_and_dates_as_estonian_writes_them(self, client, household):
        html = page(client, household, language="et")
        assert "42,50\u00a0€" in html
        assert f"{household.invoice.due_date:%d.%m.%Y}" in html
        assert "Saldo" in html

    def test_how_to_pay_with_iban_reference_and_qr(self, client, household):
        html = page(client, household)
        assert "EE382200221020145685" in html
        assert household.account.reference_number in html
        assert "<svg" in html and 'aria-label="Payment QR code for your banking app"' in html

    def test_automatic_payment_shows_no_qr(self, client, household):
        BillingAccount.objects.filter(pk=household.account.pk).update(
            payment_method=BillingAccount.PaymentMethod.DIRECT_DEBIT
        )
        html = page(client, household)
        assert "Payment is automatic" in html
        assert "<svg" not in html

    def test_an_estimated_bill_says_so(self, client, household):
        with integrity_operations.maintenance(reason="test: mark the bill's line estimated"):
            InvoiceLine.objects.filter(invoice=household.invoice).update(is_estimated=True)
        assert "This bill is an estimate" in page(client, household)

    def test_paid_nothing_to_pay(self, client, household, stranger):
        html = page(client, stranger)
        assert "€99.00" in html and "€42.50" not in html  # only their own figures


class TestInvoicePdf:
    def test_the_latest_bill_downloads_as_pdf(self, client, household):
        client.force_login(household.user)
        response = client.get(f"/portal/invoices/{household.invoice.pk}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert 'filename="vool-26000001.pdf"' in response["Content-Disposition"]

    def test_another_customers_pdf_is_404(self, client, household, stranger):
        client.force_login(household.user)
        assert client.get(f"/portal/invoices/{stranger.invoice.pk}/pdf/").status_code == 404

    def test_signed_out_is_sent_to_sign_in(self, client, household):
        response = client.get(f"/portal/invoices/{household.invoice.pk}/pdf/")
        assert response.status_code == 302


class TestReadingWindow:
    def at(self, *args: int) -> dt.datetime:
        return dt.datetime(*args, tzinfo=TALLINN_NOON)

    def test_open_on_the_last_day_of_the_month_and_a_reading_is_due(self, household):
        state = portal.reading_window_state(household.customer, as_of=self.at(2026, 11, 30, 12))
        assert state.is_open and state.reading_due
        assert (state.opens_on, state.closes_on) == (dt.date(2026, 11, 30), dt.date(2026, 12, 3))

    def test_a_reading_in_the_window_means_none_is_due(self, household):
        Reading.objects.create(
            register=household.register,
            read_at=self.at(2026, 12, 1, 9),
            known_at=self.at(2026, 12, 1, 9),
            value_kwh=Decimal("1234.000"),
            source=Reading.Source.PORTAL,
        )
        state = portal.reading_window_state(household.customer, as_of=self.at(2026, 12, 2, 12))
        assert state.is_open and not state.reading_due

    def test_closed_mid_month_with_the_next_dates(self, household):
        state = portal.reading_window_state(household.customer, as_of=self.at(2026, 12, 15, 12))
        assert not state.is_open and not state.reading_due
        assert (state.opens_on, state.closes_on) == (dt.date(2026, 12, 31), dt.date(2027, 1, 3))

    def test_february_of_a_leap_year_opens_on_the_29th(self, household):
        state = portal.reading_window_state(household.customer, as_of=self.at(2028, 2, 10, 12))
        assert state.opens_on == dt.date(2028, 2, 29)


class TestPaymentStatus:
    today = dt.date(2026, 12, 10)

    def status(self, settled: str, due: dt.date) -> str:
        return portal.payment_status(
            kind="INVOICE",
            amount_due=Decimal("10.00"),
            settled=Decimal(settled),
            due_date=due,
            today=self.today,
        )

    def test_each_status(self):
        later, earlier = dt.date(2026, 12, 20), dt.date(2026, 12, 1)
        assert self.status("10.00", earlier) == "PAID"
        assert self.status("4.00", later) == "PARTLY_PAID"
        assert self.status("0.00", later) == "DUE"
        assert self.status("4.00", earlier) == "OVERDUE"
        assert self.status("0.00", self.today) == "DUE"  # due today is not yet overdue
