"""Customer requests and work queues in a real browser (Chromium through Playwright, issue 14
part 2): an agent finds a customer, registers a bill dispute and sees the dunning hold, answers
the customer, sees the queues and is refused a queue the role may not work; the customer
follows the request in the portal; an administrator freezes the service and the portal shows
the notice. axe finds no serious or critical violation; screenshots are kept under
``var/test-artefacts/backoffice/``."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import expect

from billing_factories import add_reading, fixed_product, load_test_tariffs, manual_account
from browser_checks import check, signed_in_page
from cases_factories import holder, in_role
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import Invoice
from vool.domain.cases import roles
from vool.domain.cases.models import Case, QueueAssignment
from vool.domain.documents.models import Delivery
from vool.domain.metering.models import Reading
from vool.domain.receivables.models import DunningHold
from vool.usecases import bill_run, case_work

pytestmark = pytest.mark.django_db(transaction=True)

OCTOBER = Month(2026, 10)


@pytest.fixture(autouse=True)
def setup(tmp_path: Path, settings: Any) -> None:
    # the service levels come from a data migration; a live-server test run before this file
    # flushes the database and takes them with it
    importlib.import_module("vool.domain.cases.migrations.0002_h14_roles").add_service_levels(
        django_apps, None
    )
    settings.VOOL_CASE_ATTACHMENTS_DIR = tmp_path / "attachments"
    settings.VOOL_DOCUMENTS_DIR = tmp_path / "documents"


def test_a_dispute_from_the_phone_to_the_customer_and_the_queues(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    mari = holder("mari", 26000001, "42.50")
    agent = in_role("kati", roles.AGENT)
    page = signed_in_page(browser, live_server, agent)
    page.goto(f"{live_server.url}/backoffice/?q={mari.account.reference_number}")
    assert f"/backoffice/customers/{mari.customer.pk}/" in page.url
    page.click("#register-request")
    page.select_option("#id_channel", "PHONE")
    page.select_option("#id_case_type", "BILL_DISPUTE")
    page.fill("#id_subject", "The bill is too high")
    page.fill("#id_invoice_number", str(mari.invoice.number))
    check(page, "case-new")
    page.click("#register-case input[type=submit]")
    page.wait_for_url(re.compile(r"/backoffice/cases/\d+/$"))  # the POST answered
    case = Case.objects.get()
    assert page.url.endswith(f"/backoffice/cases/{case.pk}/")
    assert "active" in page.locator("#case-hold").inner_text()
    assert DunningHold.objects.get(invoice=mari.invoice).valid_to is None
    page.fill("#note-form textarea", "We check the meter reading.")
    page.check("#note-form input[type=checkbox]")
    page.click("#note-form input[type=submit]")
    assert "We check the meter reading." in page.locator("#notes").inner_text()
    check(page, "case")

    page.goto(f"{live_server.url}/backoffice/cases/")
    assert "The bill is too high" in page.locator("#cases").inner_text()
    check(page, "cases")
    page.goto(f"{live_server.url}/backoffice/queues/")
    assert page.locator("#count-holds").inner_text() == "1"
    check(page, "queues")
    page.click("#queues >> text=Dunning holds")
    assert str(mari.invoice.number) in page.locator("#queue").inner_text()
    check(page, "queue-holds")
    refused = page.goto(f"{live_server.url}/backoffice/queues/exceptions/")
    assert refused is not None and refused.status == 403
    page.goto(f"{live_server.url}/backoffice/customers/{mari.customer.pk}/")
    assert "Request registered" in page.locator("#audit").inner_text()
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("pk")) == [
        "cases.open_case",
        "cases.add_note",
    ]
    page.context.close()

    portal = signed_in_page(browser, live_server, mari.user, width=375)
    portal.goto(f"{live_server.url}/portal/requests/")
    portal.click("text=The bill is too high")
    assert "We check the meter reading." in portal.locator("#request-notes").inner_text()
    check(portal, "portal-request")
    portal.goto(f"{live_server.url}/portal/requests/new/")
    portal.select_option("#id_case_type", "QUESTION")
    portal.fill("#id_subject", "Can I pay in parts?")
    portal.fill("#id_description", "Two payments, please.")
    check(portal, "portal-request-new")
    portal.click("#request-form button[type=submit]")
    assert Case.objects.filter(subject="Can I pay in parts?", channel="PORTAL").exists()
    portal.context.close()


def test_an_administrator_freezes_and_the_portal_says_so(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    mari = holder("mari", 26000001, "42.50")
    admin = in_role("admin", roles.ADMINISTRATOR)
    page = signed_in_page(browser, live_server, admin)
    page.goto(f"{live_server.url}/backoffice/freeze/")
    check(page, "freeze-off")
    page.fill("#id_message", "Moving to the new system until Monday.")
    page.click("#freeze-form input[type=submit]")
    assert page.locator("#freeze-banner").is_visible()
    check(page, "freeze-on")
    page.context.close()
    portal = signed_in_page(browser, live_server, mari.user, width=375)
    portal.goto(f"{live_server.url}/portal/")
    assert "Moving to the new system" in portal.locator("#freeze-notice").inner_text()
    check(portal, "portal-frozen")
    portal.context.close()


def test_queues_a_reading_a_mended_exception_and_a_rebill_with_preview(  # type: ignore[no-untyped-def]
    browser, live_server, settings
) -> None:
    load_test_tariffs()
    first, register = manual_account(product=fixed_product())
    add_reading(register, Month(2026, 9), "1000.000")
    wrong = add_reading(register, OCTOBER, "1150.000")
    _, held_register = manual_account(product=fixed_product(code="FIX2"))
    add_reading(held_register, Month(2026, 9), "2000.000")
    add_reading(held_register, OCTOBER, "2090.000")
    settings.VOOL_BILL_GUARD_MAX_LINE_KWH = 100  # the second account's 90 kWh pass, 150 do not
    bill_run.run_billing(
        period=OCTOBER, today=dt.date(2026, 11, 5), as_of=dt.datetime(2026, 11, 5, tzinfo=dt.UTC)
    )
    settings.VOOL_BILL_GUARD_MAX_LINE_KWH = 100000  # checked: the consumption is right
    yesterday = timezone.now() - dt.timedelta(days=1)
    pending = Reading.objects.create(
        register=held_register,
        read_at=yesterday,
        known_at=yesterday,
        value_kwh=Decimal("9000.000"),
        source="PORTAL",
        status=Reading.Status.PENDING_REVIEW,
    )
    specialist = in_role("tiit", roles.BILLING_SPECIALIST)
    page = signed_in_page(browser, live_server, specialist)

    page.goto(f"{live_server.url}/backoffice/queues/readings/")
    check(page, "queue-readings")
    page.check(f"input[name=selected][value='{pending.pk}']")
    page.select_option("#decision", "reject")
    page.fill("#reason", "Photo shows 2110")
    page.click("#review-readings input[type=submit]")
    # the queue's work area is swapped in place (htmx), the page stays
    expect(page.locator("#queue")).to_contain_text("Nothing waits.")
    expect(page.locator("#queue-work ul.messagelist")).to_contain_text("1 reading reviewed.")

    page.goto(f"{live_server.url}/backoffice/queues/exceptions/")
    assert "IMPLAUSIBLE_BILL" in page.locator("#queue").inner_text()
    check(page, "queue-exceptions")
    page.fill("#queue input[name=reason]", "Meter photo confirms 150 kWh")
    page.click("#queue input[type=submit]")
    expect(page.locator("ul.messagelist")).to_contain_text("issued")
    expect(page.locator("#queue")).to_contain_text("Nothing waits.")

    add_reading(
        register,
        OCTOBER,
        "1100.000",
        supersedes=wrong,
        known_at=dt.datetime(2026, 11, 8, tzinfo=dt.UTC),
    )
    billed = Invoice.objects.get(billing_account=first.billing_account, kind=Invoice.Kind.INVOICE)
    page.goto(f"{live_server.url}/backoffice/invoices/{billed.number}/")
    page.click("#rebill-link")
    page.fill("#id_reason", "October reading corrected")
    page.click("#preview-form input[type=submit]")
    assert page.locator("#old-gross").inner_text() == str(billed.gross_amount)
    assert page.locator("#new-lines").is_visible()
    check(page, "rebill-preview")
    page.click("#confirm-form input[type=submit]")
    new = Invoice.objects.filter(
        billing_account=first.billing_account, kind=Invoice.Kind.INVOICE, status="ISSUED"
    ).get()
    assert page.url.endswith(f"/backoffice/invoices/{new.number}/")
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "metering.reject_reading",
        "billing.bill_mended_account",
        "billing.rebill",
    }
    page.context.close()


def test_queue_items_and_requests_taken_and_filtered_without_a_page_load(
    browser, live_server
) -> None:  # type: ignore[no-untyped-def]
    """The queues' and the requests' assign buttons and filters swap the work area in place
    (htmx): a marker set on the page survives them, which a page load would not."""
    mari = holder("mari", 26000001, "42.50")
    failed = Delivery.objects.create(
        invoice=mari.invoice,
        channel="EMAIL",
        status=Delivery.Status.FAILED,
        attempts=6,
        last_error="550 5.1.1 mailbox unavailable",
        queued_at=timezone.now(),
    )
    kati = in_role("kati", roles.AGENT)
    page = signed_in_page(browser, live_server, kati)
    page.goto(f"{live_server.url}/backoffice/queues/deliveries/")
    check(page, "queue-deliveries")
    page.evaluate("window.stillTheSamePage = true")
    page.check(f"input[name=selected][value='{failed.pk}']")
    page.click("button[name=assign][value=me]")
    expect(page.locator("#queue")).to_contain_text("kati")
    expect(page.locator("#assigned-count-me")).to_have_text("(1)")
    page.click("#assigned-none")
    expect(page.locator("#queue")).to_contain_text("Nothing waits.")
    expect(page).to_have_url(re.compile(r"\?assigned=none$"))  # in the address, to share
    assert page.evaluate("window.stillTheSamePage") is True
    assert QueueAssignment.objects.get().item_id == failed.pk

    case = case_work.register_case(
        user=kati,
        new=case_work.NewCase(mari.customer.pk, "PHONE", "QUESTION", "When is the bill?"),
        now=timezone.now(),
    )
    page.goto(f"{live_server.url}/backoffice/cases/")
    page.evaluate("window.stillTheSamePage = true")
    page.check(f"#select-{case.pk}")
    page.click("button[name=assign][value=me]")
    expect(page.locator("#queue-work ul.messagelist")).to_contain_text("1 request assigned.")
    expect(page.locator("#cases")).to_contain_text("kati")
    check(page, "cases-assigned")
    assert page.evaluate("window.stillTheSamePage") is True
