"""The portal's invoices (issue 13 §2): the list with each invoice's status from the payments
that settled it, the lines as the bill's page 2 explains them in the reader's language, the
PDF; another customer's invoice is 404."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from receivables_factories import credit, issued_invoice, our_bank_account, statement_file
from vool.usecases import import_bank_statement

pytestmark = pytest.mark.django_db


def pay(tmp_path, settings, household, *amounts: str) -> None:
    """Payments with the account's reference number, through the bank-statement import (they
    settle the oldest open invoices first)."""
    settings.VOOL_SCHEMAS_DIR = Path("/work/shared/schemas")
    settings.VOOL_PAYMENT_ALLOCATION_RULE = "OLDEST_FIRST"
    our_bank_account()
    lines = [
        credit(f"K{n}", amount, reference=household.account.reference_number)
        for n, amount in enumerate(amounts, start=1)
    ]
    path = statement_file(tmp_path / "statement.xml", *lines)
    import_bank_statement.import_bank_file(path=path, as_of=timezone.now())


def listing(client, household, language: str = "en") -> str:
    client.force_login(household.user)
    response = client.get("/portal/invoices/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def statuses(html: str) -> dict[str, tuple[str, str]]:
    """Invoice number -> (status, left to pay) as the table shows them."""
    rows = re.findall(
        r'<a href="/portal/invoices/\d+/">(\d+)</a>.*?<td class="num">([^<]*)</td>\s*'
        r'<td class="status-\w+">\s*([^<]*?)\s*</td>',
        html,
        flags=re.S,
    )
    return {number: (status, left) for number, left, status in rows}


class TestInvoiceList:
    def test_paid_overdue_and_due(self, client, household, tmp_path, settings):
        today = timezone.localdate()
        issued_invoice(
            household.account,
            number=25000001,
            gross="10.00",
            due=today - dt.timedelta(days=40),
            period="2025-01",
        )
        overdue = issued_invoice(
            household.account,
            number=25000002,
            gross="20.00",
            due=today - dt.timedelta(days=5),
            period="2025-02",
        )
        pay(tmp_path, settings, household, "10.00", "12.50")
        rows = statuses(listing(client, household))
        assert rows == {
            "25000001": ("Paid", "€0.00"),
            "25000002": ("Overdue", "€7.50"),
            "26000001": ("Due", "€42.50"),
        }
        assert f'href="/portal/invoices/{overdue.pk}/"' in listing(client, household)

    def test_partly_paid(self, client, household, tmp_path, settings):
        pay(tmp_path, settings, household, "12.50")
        assert statuses(listing(client, household)) == {"26000001": ("Partly paid", "€30.00")}

    def test_only_their_own_invoices_are_listed(self, client, household, stranger):
        html = listing(client, household)
        assert "26000001" in html and "26000002" not in html


class TestInvoiceDetail:
    def test_the_lines_as_on_page_two_in_the_readers_language(self, client, household):
        client.force_login(household.user)
        url = f"/portal/invoices/{household.invoice.pk}/"
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "<h1>Invoice 26000001</h1>" in english
        assert "Electricity" in english and "€42.50" in english
        russian = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        assert "Электроэнергия" in russian and "42,50\u00a0€" in russian

    def test_another_customers_invoice_is_404(self, client, household, stranger):
        client.force_login(household.user)
        assert client.get(f"/portal/invoices/{stranger.invoice.pk}/").status_code == 404
        assert client.get("/portal/invoices/999999/").status_code == 404
