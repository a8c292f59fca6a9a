"""Delivery by channel, against a real SMTP server on localhost (aiosmtpd, started here): the
e-mail that arrives has the subject in the customer's language and the invoice's PDF bytes;
a second run sends nothing; a refused recipient is recorded as failed and retried later;
paper invoices go into one print PDF in postcode order; portal-only ones are marked sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from billing_factories import add_intervals, fixed_product, remote_account
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.documents import delivery
from vool.domain.documents.models import Delivery
from vool.usecases import bill_run, deliver_invoices, render_invoices

pytestmark = pytest.mark.django_db(transaction=True)

OCTOBER = Month(2026, 10)
AS_OF = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)
REFUSED = "nobody@refused.example"


def bill(accounts: list[tuple[str, str, str, str]]) -> list[Invoice]:
    """One rendered invoice per (channel, language, e-mail, postcode)."""
    product = fixed_product()
    for i, (channel, language, address, postcode) in enumerate(accounts):
        contract = remote_account(product=product)
        account = contract.billing_account
        BillingAccount.objects.filter(pk=account.pk).update(invoice_channel=channel)
        Customer.objects.filter(pk=account.customer_id).update(
            street_address=f"Lai {i + 1}",
            postal_code=postcode,
            city="Tallinn",
            email=address,
            preferred_language=language,
        )
        add_intervals(contract.metering_point, OCTOBER, wh=50 + i)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    report = render_invoices.render_period(period=OCTOBER, as_of=AS_OF)
    assert report.failures == []
    return list(Invoice.objects.select_related("document").order_by("number"))


def pdf_of(invoice: Invoice) -> bytes:
    return render_invoices.store().read(invoice.document.path)


def test_emails_arrive_once_with_the_pdf_in_the_customers_language(supplier, mailbox) -> None:
    estonian, russian = bill(
        [("EMAIL", "et", "mari@example.ee", "10133"), ("EMAIL", "ru", "ivan@example.ee", "10133")]
    )

    report = deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF)
    assert (report.queued, report.emailed, report.failures) == (2, 2, [])

    received = {recipients[0]: message for recipients, message in mailbox.messages}
    assert set(received) == {"mari@example.ee", "ivan@example.ee"}
    et_message, ru_message = received["mari@example.ee"], received["ivan@example.ee"]
    assert et_message["Subject"] == f"Arve {estonian.number}, Vool Energia AS"
    assert ru_message["Subject"] == f"Счёт {russian.number}, Vool Energia AS"
    assert et_message["From"] == "arved@vool.example"
    (attachment,) = list(et_message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{estonian.number}.pdf"
    assert attachment.get_content() == pdf_of(estonian)
    (ru_attachment,) = list(ru_message.iter_attachments())
    assert ru_attachment.get_content() == pdf_of(russian)
    assert "Сумма к оплате" in ru_message.get_body(("plain",)).get_content()

    sent = Delivery.objects.get(invoice=estonian)
    assert (sent.status, sent.attempts, sent.sent_at, sent.destination) == (
        "SENT",
        1,
        AS_OF,
        "mari@example.ee",
    )

    later = AS_OF + dt.timedelta(days=3)
    again = deliver_invoices.deliver_period(period=OCTOBER, as_of=later)
    assert (again.queued, again.emailed, again.failures) == (0, 0, [])
    assert len(mailbox.messages) == 2


def test_a_refused_recipient_fails_and_is_retried_with_back_off(supplier, mailbox) -> None:
    (invoice,) = bill([("EMAIL", "en", REFUSED, "10133")])
    mailbox.refuse.add(REFUSED)

    report = deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF)
    assert report.emailed == 0
    assert report.failures == [
        (
            invoice.number,
            f"recipient refused by the mail server: {REFUSED}: 550 5.1.1 mailbox unavailable",
        )
    ]
    failed = Delivery.objects.get(invoice=invoice)
    assert (failed.status, failed.attempts) == ("FAILED", 1)
    assert failed.next_attempt_at == AS_OF + dt.timedelta(minutes=15)
    assert mailbox.messages == []

    # not due yet: nothing is attempted
    soon = deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF + dt.timedelta(minutes=5))
    assert (soon.emailed, soon.failures) == (0, [])
    assert Delivery.objects.get(invoice=invoice).attempts == 1

    # due again, refused again: the next wait is longer
    retry = AS_OF + dt.timedelta(minutes=16)
    deliver_invoices.deliver_period(period=OCTOBER, as_of=retry)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("FAILED", 2)
    assert failed.next_attempt_at == retry + dt.timedelta(hours=1)

    # the server accepts the address now: the retry sends it, once
    mailbox.refuse.clear()
    later = retry + dt.timedelta(hours=2)
    sent = deliver_invoices.deliver_period(period=OCTOBER, as_of=later)
    assert (sent.emailed, sent.failures) == (1, [])
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.sent_at, failed.last_error) == (
        "SENT",
        3,
        later,
        "",
    )
    assert [recipients for recipients, _ in mailbox.messages] == [[REFUSED]]


def test_a_crash_between_send_and_record_is_sent_again_after_the_lease(supplier, mailbox) -> None:
    """At least once: a SENDING row (a run died after claiming) is not touched while its
    lease runs, and is sent again after it."""
    (invoice,) = bill([("EMAIL", "et", "mari@example.ee", "10133")])
    delivery.queue_period(period=str(OCTOBER), at=AS_OF)
    row = Delivery.objects.get(invoice=invoice)
    assert delivery.claim(delivery_id=row.pk, at=AS_OF)  # the run that "crashed"

    during = deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF + dt.timedelta(minutes=5))
    assert during.emailed == 0 and mailbox.messages == []

    after = deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF + delivery.LEASE)
    assert after.emailed == 1 and len(mailbox.messages) == 1
    assert Delivery.objects.get(pk=row.pk).attempts == 2


def test_portal_paper_and_e_invoice_channels(supplier, mailbox) -> None:
    invoices = bill(
        [
            ("PAPER", "et", "", "50103"),
            ("PORTAL", "et", "", "10133"),
            ("PAPER", "ru", "", "10115"),
            ("E_INVOICE", "et", "", "10133"),
        ]
    )
    tartu, portal, tallinn, bank = invoices

    report = deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF)
    assert (report.queued, report.to_portal, report.printed, report.waiting_for_bank) == (
        4,
        1,
        2,
        1,
    )
    assert mailbox.messages == []
    assert report.print_file is not None
    printed = PdfReader(report.print_file)
    pages_each = len(PdfReader(render_invoices.store().root / tallinn.document.path).pages)
    assert len(printed.pages) == 2 * pages_each
    # postcode order: 10115 (Tallinn) before 50103 (Tartu)
    first = printed.pages[0].extract_text()
    second = printed.pages[pages_each].extract_text()
    assert str(tallinn.number) in first and str(tartu.number) in second

    statuses = dict(Delivery.objects.values_list("invoice_id", "status"))
    assert statuses == {tartu.pk: "SENT", portal.pk: "SENT", tallinn.pk: "SENT", bank.pk: "PENDING"}
    assert Delivery.objects.get(invoice=portal).destination == "portal"
    assert Path(report.print_file).is_relative_to(render_invoices.store().root)

    again = deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF + dt.timedelta(days=1))
    assert (again.to_portal, again.printed, again.print_file) == (0, 0, None)


def test_back_off_grows_and_is_capped() -> None:
    delays = [delivery.retry_delay(n) for n in range(1, 7)]
    assert delays[:4] == [
        dt.timedelta(minutes=15),
        dt.timedelta(hours=1),
        dt.timedelta(hours=4),
        dt.timedelta(hours=16),
    ]
    assert delays[4:] == [dt.timedelta(hours=24)] * 2


def test_the_360_page_lists_how_each_invoice_was_sent(supplier, mailbox) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.test import Client

    estonian, portal_only = bill(
        [("EMAIL", "et", "mari@example.ee", "10133"), ("PORTAL", "en", "jaan@example.ee", "10133")]
    )
    deliver_invoices.deliver_period(period=OCTOBER, as_of=AS_OF)
    clerk = get_user_model().objects.create_user("kati", password="pw", is_staff=True)
    for codename in ("view_customer", "view_invoice"):
        clerk.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(clerk)
    for invoice, status, destination in (
        (estonian, Delivery.Status.SENT, "mari@example.ee"),
        (portal_only, Delivery.Status.SENT, ""),
    ):
        customer_id = invoice.billing_account.customer_id
        page = client.get(f"/backoffice/customers/{customer_id}/", HTTP_ACCEPT_LANGUAGE="en")
        (shown,) = page.context["deliveries"]
        assert (shown.invoice_id, shown.status) == (invoice.pk, status)
        html = page.content.decode()
        assert "Invoices sent" in html and f"/backoffice/invoices/{invoice.number}/" in html
        if destination:
            assert f"→ {destination}" in html
