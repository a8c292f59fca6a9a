"""The back office's 360° page on billed data, and its actions: each writes an audit row, and a
role without the permission is refused (by the use case, whatever the page offers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import translation

from billing_factories import (
    add_intervals,
    add_reading,
    fixed_product,
    load_test_tariffs,
    manual_account,
    remote_account,
)
from cases_factories import signed_in
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import BillRun, Invoice
from vool.domain.metering.models import Reading
from vool.usecases import backoffice_actions, bill_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Any:
    with translation.override("en"):
        yield


OCTOBER = Month(2026, 10)
BILL_DAY = dt.date(2026, 11, 5)
AS_OF = dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 6, 9, 15, tzinfo=dt.UTC)


@pytest.fixture
def billed() -> Any:
    """October billed for one remote and one manual customer; the manual one has a November
    reading waiting for review."""
    load_test_tariffs()
    remote = remote_account(product=fixed_product())
    add_intervals(remote.metering_point, OCTOBER, wh=120)
    manual, register = manual_account(product=fixed_product())
    add_reading(register, Month(2026, 9), "1000.000")
    add_reading(register, OCTOBER, "1150.000")
    run = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, as_of=AS_OF)
    assert run.status == "DONE" and run.invoice_count == 2
    pending = add_reading(
        register, Month(2026, 11), "9150.000", status=Reading.Status.PENDING_REVIEW
    )
    return remote, manual, pending


def staff(username: str, *codenames: str) -> Any:
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


AGENT = ("view_customer", "view_invoice", "change_invoice")


class TestCustomerPage:
    def test_the_360_page_shows_balance_points_contracts_invoices(self, billed: Any) -> None:
        remote, _, _ = billed
        customer = remote.billing_account.customer
        invoice = Invoice.objects.get(billing_account=remote.billing_account)
        client = signed_in(staff("kati", *AGENT))
        page = client.get(f"/backoffice/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        html = page.content.decode()
        view = page.context["view"]
        assert view.accounts[0].balance == invoice.gross_amount
        assert [i.number for i in view.accounts[0].open_items] == [invoice.number]
        assert remote.metering_point.eic in html
        assert [c.pk for c in view.contracts.current] == [remote.pk]
        assert f"/backoffice/invoices/{invoice.number}/" in html
        assert customer.name in html and "{" not in html.split("<body")[1].split("<script")[0]

    def test_the_360_page_charts_each_points_consumption_by_month(
        self, billed: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(
            "django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 11, 30)
        )
        remote, manual, _ = billed
        client = signed_in(staff("kati", *AGENT))
        page = client.get(
            f"/backoffice/customers/{remote.billing_account.customer_id}/",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        (shown,) = page.context["consumption"]
        assert shown.point.pk == remote.metering_point.pk
        figures = {f.text: f.figure for f in shown.figures}
        assert len(figures) == 12 and "Dec 2025" in figures and "Nov 2026" in figures
        # 31 days x 96 quarter hours + 4 (25 October has 25 hours) = 2,980 x 120 Wh
        assert figures["Oct 2026"] == "357.600\u00a0kWh"
        assert figures["Sep 2026"] == "0.000\u00a0kWh"  # no interval data: nothing measured
        html = page.content.decode()
        assert 'id="consumption"' in html and "<svg" in html.split('id="consumption"')[1]
        manual_page = client.get(
            f"/backoffice/customers/{manual.customer_id}/", HTTP_ACCEPT_LANGUAGE="en"
        )
        (by_readings,) = manual_page.context["consumption"]
        assert {f.text: f.figure for f in by_readings.figures}["Oct 2026"] == "150.000\u00a0kWh"

    def test_the_invoice_page_shows_lines_with_translated_labels(self, billed: Any) -> None:
        remote, _, _ = billed
        invoice = Invoice.objects.get(billing_account=remote.billing_account)
        client = signed_in(staff("kati", *AGENT))
        page = client.get(f"/backoffice/invoices/{invoice.number}/", HTTP_ACCEPT_LANGUAGE="et")
        assert page.status_code == 200
        components = {row.component for row in page.context["lines"]}
        assert "ENERGY" not in components and components  # labels, not codes
        assert page.context["may_credit"] is True

    def test_a_pending_reading_is_offered_for_review(self, billed: Any) -> None:
        _, manual, pending = billed
        client = signed_in(staff("kati", *AGENT, "change_reading"))
        page = client.get(f"/backoffice/customers/{manual.customer_id}/")
        assert f"/backoffice/readings/{pending.pk}/review/" in page.content.decode()

    def test_each_register_shows_its_latest_reading(self, billed: Any) -> None:
        _, manual, pending = billed
        client = signed_in(staff("kati", *AGENT))
        view = client.get(f"/backoffice/customers/{manual.customer_id}/").context["view"]
        shown = {
            r.register.pk: r.last_reading
            for point in view.points
            for meter in point.meters
            for r in meter.registers
        }
        latest = {
            register_id: Reading.objects.filter(register_id=register_id)
            .order_by("-read_at", "-pk")
            .first()
            for register_id in shown
        }
        assert shown == latest
        assert pending in shown.values()
        counts = [Reading.objects.filter(register_id=pk).count() for pk in shown]
        assert max(counts) > 1  # a register with several readings: the latest is chosen


class TestCreditInvoice:
    def test_an_agent_credits_with_a_reason_and_the_audit_log_says_so(self, billed: Any) -> None:
        remote, _, _ = billed
        invoice = Invoice.objects.get(billing_account=remote.billing_account)
        client = signed_in(staff("kati", *AGENT))
        response = client.post(
            f"/backoffice/invoices/{invoice.number}/",
            {"reason": "Wrong meter"},
            HTTP_X_REQUEST_ID="req-42",
        )
        assert response.status_code == 302
        invoice.refresh_from_db()
        note = Invoice.objects.get(credited_invoice=invoice)
        assert invoice.status == "CANCELLED" and note.gross_amount == -invoice.gross_amount
        entry = AuditEntry.objects.get()
        assert (entry.username, entry.action, entry.object_id, entry.reason) == (
            "kati",
            "billing.credit_invoice",
            str(invoice.number),
            "Wrong meter",
        )
        assert entry.customer_id == remote.customer_id and entry.request_id == "req-42"
        assert entry.before["status"] == "ISSUED"
        assert entry.after == {**entry.before, "status": "CANCELLED", "credit_note": note.number}
        page = client.get(f"/backoffice/customers/{remote.customer_id}/")
        assert "Wrong meter" in page.content.decode()

    def test_without_the_permission_the_use_case_refuses(self, billed: Any) -> None:
        remote, _, _ = billed
        invoice = Invoice.objects.get(billing_account=remote.billing_account)
        viewer = staff("mari", "view_customer", "view_invoice")
        with pytest.raises(backoffice_actions.NotAllowed, match="may not credit"):
            backoffice_actions.credit_invoice(
                user=viewer, number=invoice.number, reason="x", today=BILL_DAY, now=NOW
            )
        response = signed_in(viewer).post(
            f"/backoffice/invoices/{invoice.number}/", {"reason": "x"}
        )
        assert response.status_code == 403
        assert not AuditEntry.objects.exists()
        assert Invoice.objects.get(pk=invoice.pk).status == "ISSUED"

    def test_above_the_limit_an_agent_is_refused_and_a_supervisor_may(
        self, billed: Any, settings: Any
    ) -> None:
        remote, _, _ = billed
        invoice = Invoice.objects.get(billing_account=remote.billing_account)
        settings.VOOL_BACKOFFICE_CREDIT_LIMIT = invoice.gross_amount - Decimal("0.01")
        agent = staff("kati", *AGENT)
        with pytest.raises(backoffice_actions.NotAllowed, match="above the credit limit"):
            backoffice_actions.credit_invoice(
                user=agent, number=invoice.number, reason="x", today=BILL_DAY, now=NOW
            )
        assert not AuditEntry.objects.exists()
        supervisor = staff("juhan", *AGENT, "credit_above_limit")
        backoffice_actions.credit_invoice(
            user=supervisor, number=invoice.number, reason="Agreed", today=BILL_DAY, now=NOW
        )
        assert AuditEntry.objects.get().username == "juhan"

    def test_at_the_limit_an_agent_may(self, billed: Any, settings: Any) -> None:
        remote, _, _ = billed
        invoice = Invoice.objects.get(billing_account=remote.billing_account)
        settings.VOOL_BACKOFFICE_CREDIT_LIMIT = invoice.gross_amount
        backoffice_actions.credit_invoice(
            user=staff("kati", *AGENT), number=invoice.number, reason="x", today=BILL_DAY, now=NOW
        )
        assert AuditEntry.objects.get().happened_at == NOW


class TestReviewReading:
    def test_accepting_writes_the_decision_and_an_audit_row(self, billed: Any) -> None:
        _, manual, pending = billed
        client = signed_in(staff("kati", *AGENT, "change_reading"))
        # the clerk reviews the November reading after it was read (30 November, 18:00)
        reviewed_at = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
        with mock.patch("django.utils.timezone.now", return_value=reviewed_at):
            response = client.post(
                f"/backoffice/readings/{pending.pk}/review/",
                {
                    "decision": "accept",
                    "reason": "Customer confirmed",
                    "customer": manual.customer_id,
                },
            )
        assert response.status_code == 302
        decision = Reading.objects.get(supersedes=pending)
        assert decision.status == "ACCEPTED"
        entry = AuditEntry.objects.get()
        assert (entry.action, entry.object_id, entry.customer_id, entry.reason) == (
            "metering.accept_reading",
            str(pending.pk),
            manual.customer_id,
            "Customer confirmed",
        )

    def test_without_change_reading_the_review_is_refused(self, billed: Any) -> None:
        _, manual, pending = billed
        client = signed_in(staff("mari", *AGENT))
        response = client.post(
            f"/backoffice/readings/{pending.pk}/review/",
            {"decision": "reject", "reason": "no", "customer": manual.customer_id},
        )
        assert response.status_code == 403
        assert not Reading.objects.filter(supersedes=pending).exists()
        assert not AuditEntry.objects.exists()


class TestStartBillRun:
    def test_starting_a_run_writes_an_audit_row(
        self, billed: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2026, 12, 4))
        monkeypatch.setattr(bill_run, "launch_in_background", lambda run_id: None)
        client = signed_in(staff("kati", "add_billrun", "view_billrun"))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/backoffice/bill-runs/start/", {"period": "2026-11", "workers": "1"}
            )
        assert response.status_code == 302
        run = BillRun.objects.get(period="2026-11")
        entry = AuditEntry.objects.get()
        assert (entry.action, entry.object_id, entry.username) == (
            "billing.start_bill_run",
            str(run.pk),
            "kati",
        )
        assert entry.after["period"] == "2026-11" and entry.after["forced"] is False

    def test_the_use_case_refuses_a_user_without_the_permission(self, billed: Any) -> None:
        with pytest.raises(backoffice_actions.NotAllowed):
            backoffice_actions.start_bill_run(
                user=staff("mari"), period=Month(2026, 11), today=dt.date(2026, 12, 4), now=NOW
            )
        assert not AuditEntry.objects.exists()
