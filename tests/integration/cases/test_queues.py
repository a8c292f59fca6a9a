"""The work queues: counts; a bill-run exception shows the rule that raised it and, once the
cause is mended, bills the account (it then leaves the queue); pending readings reviewed in
bulk; a dunning hold ended; a payment in suspense allocated to a suggested account; each write
audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing_factories import add_reading, fixed_product, load_test_tariffs, manual_account
from cases_factories import holder, in_role, signed_in
from receivables_factories import AS_OF, credit, our_bank_account, statement_file
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import BillRunException, Invoice
from vool.domain.cases import roles
from vool.domain.metering.models import Reading
from vool.domain.receivables import dunning
from vool.domain.receivables.models import Payment
from vool.usecases import bill_run, case_work, import_bank_statement, work_queues

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
BILL_DAY = dt.date(2026, 11, 5)
RUN_AS_OF = dt.datetime(2026, 11, 5, 10, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def held_back(settings: Any) -> BillRunException:
    """October's run held back a manual account whose 150 kWh broke the plausibility guard
    (set to 100 kWh a line for the run)."""
    load_test_tariffs()
    contract, register = manual_account(product=fixed_product())
    add_reading(register, Month(2026, 9), "1000.000")
    add_reading(register, OCTOBER, "1150.000")
    settings.VOOL_BILL_GUARD_MAX_LINE_KWH = 100
    run = bill_run.run_billing(period=OCTOBER, today=BILL_DAY, as_of=RUN_AS_OF)
    return BillRunException.objects.get(run=run, billing_account=contract.billing_account)


class TestBillRunExceptions:
    def test_the_queue_shows_the_rule_and_bills_the_account_once_mended(
        self, held_back: BillRunException, settings: Any
    ) -> None:
        specialist = in_role("tiit", roles.BILLING_SPECIALIST)
        client = signed_in(specialist)
        page = client.get("/backoffice/queues/exceptions/", HTTP_ACCEPT_LANGUAGE="en")
        html = page.content.decode()
        assert held_back.code == "IMPLAUSIBLE_BILL" and "IMPLAUSIBLE_BILL" in html
        assert work_queues.exception_rule(held_back.code) in html
        # still implausible: billing it again names the rule again, nothing written
        client.post(
            "/backoffice/queues/exceptions/", {"exception": held_back.pk, "reason": "checked"}
        )
        assert not Invoice.objects.filter(billing_account=held_back.billing_account).exists()
        assert not AuditEntry.objects.exists()
        settings.VOOL_BILL_GUARD_MAX_LINE_KWH = 100000  # mended: the 150 kWh are right
        invoice = case_work.bill_mended_account(
            user=specialist, exception_id=held_back.pk, reason="Meter photo confirms", now=NOW
        )
        assert invoice.status == Invoice.Status.ISSUED and invoice.period == "2026-10"
        assert invoice.issue_date == dt.date(2026, 11, 9)
        assert held_back not in work_queues.open_exceptions()
        entry = AuditEntry.objects.get()
        assert entry.action == "billing.bill_mended_account"
        assert entry.after["invoice"] == invoice.number


class TestReadingsQueue:
    def test_readings_reviewed_in_bulk_each_audited(self) -> None:
        mari, jaan = holder("mari", 26000001, "42.50"), holder("jaan", 26000002, "9.00")
        pending = [
            Reading.objects.create(
                register=who.register,
                read_at=NOW,
                known_at=NOW,
                value_kwh=Decimal("900"),
                source="PORTAL",
                status=Reading.Status.PENDING_REVIEW,
            )
            for who in (mari, jaan)
        ]
        client = signed_in(in_role("tiit", roles.BILLING_SPECIALIST))
        assert work_queues.counts(today=NOW.date(), user_id=0)["readings"].total == 2
        response = client.post(
            "/backoffice/queues/readings/",
            {"selected": [r.pk for r in pending], "decision": "accept", "reason": "Photos"},
        )
        assert response.status_code == 302
        assert work_queues.counts(today=NOW.date(), user_id=0)["readings"].total == 0
        assert AuditEntry.objects.filter(action="metering.accept_reading").count() == 2

    def test_an_agent_is_refused_the_bulk_review(self) -> None:
        mari = holder("mari", 26000001, "42.50")
        reading = Reading.objects.create(
            register=mari.register,
            read_at=NOW,
            known_at=NOW,
            value_kwh=Decimal("900"),
            source="PORTAL",
            status=Reading.Status.PENDING_REVIEW,
        )
        response = signed_in(in_role("kati", roles.AGENT)).post(
            "/backoffice/queues/readings/",
            {"selected": [reading.pk], "decision": "accept", "reason": "x"},
        )
        assert response.status_code == 403
        reading.refresh_from_db()
        assert reading.status == Reading.Status.PENDING_REVIEW


class TestHoldsAndSuspense:
    def test_a_hold_is_ended_from_its_queue(self) -> None:
        mari = holder("mari", 26000001, "42.50")
        hold = dunning.add_hold(
            kind="VULNERABLE",
            reason="Medical equipment",
            by="x",
            valid_from=dt.date(2026, 1, 1),
            valid_to=None,
            as_of=NOW,
            billing_account_id=mari.account.pk,
        )
        client = signed_in(in_role("ene", roles.FINANCE))
        assert "Medical equipment" in client.get("/backoffice/queues/holds/").content.decode()
        client.post("/backoffice/queues/holds/", {"hold": hold.pk, "reason": "Recovered"})
        hold.refresh_from_db()
        assert hold.valid_to is not None
        assert AuditEntry.objects.get().customer_id == mari.customer.pk

    def test_a_payment_in_suspense_goes_to_the_suggested_account(self, tmp_path: Path) -> None:
        mari = holder("mari", 26000001, "42.50")
        our_bank_account()
        path = statement_file(
            tmp_path / "s.xml", credit("S1", "42.50", text=f"arve {mari.invoice.number}")
        )
        import_bank_statement.import_bank_file(path=path, as_of=AS_OF)
        payment = Payment.objects.get()
        assert payment.status == Payment.Status.SUSPENSE
        client = signed_in(in_role("ene", roles.FINANCE))
        assert (
            mari.account.reference_number
            in client.get("/backoffice/queues/suspense/").content.decode()
        )
        client.post(
            "/backoffice/queues/suspense/",
            {"payment": payment.pk, "account": mari.account.pk, "reason": "Invoice in text"},
        )
        payment.refresh_from_db()
        assert payment.status == Payment.Status.ALLOCATED
        assert AuditEntry.objects.get().action == "receivables.allocate_suspense"


def test_the_queues_page_counts_each_queue() -> None:
    client = signed_in(in_role("liis", roles.SUPERVISOR))
    page = client.get("/backoffice/queues/")
    assert page.status_code == 200
    assert set(page.context["counts"]) == {
        "readings",
        "exceptions",
        "suspense",
        "deliveries",
        "holds",
        "overdue",
        "open_cases",
        "queued_readings",
        "network_bills",
    }


def test_overdue_requests_are_counted_filtered_and_assigned_in_bulk() -> None:
    mari = holder("mari", 26000001, "42.50")
    agent, boss = in_role("kati", roles.AGENT), in_role("liis", roles.SUPERVISOR)
    opened = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    late, fresh = (
        case_work.register_case(
            user=agent,
            new=case_work.NewCase(mari.customer.pk, "PHONE", "GRID_FAULT", subject),
            now=at,
        )
        for subject, at in (("No power", opened), ("Flicker", NOW))
    )
    assert late.due_date == dt.date(2026, 11, 4) and fresh.due_date == dt.date(2026, 11, 11)
    today = NOW.date()
    assert work_queues.counts(today=today, user_id=0)["overdue"].total == 1
    overdue = work_queues.filtered_cases(today=today, user_id=None, overdue=True)
    assert list(overdue) == [late]
    client = signed_in(boss)
    client.post(
        "/backoffice/cases/",
        {"selected": [late.pk, fresh.pk], "assignee": agent.pk, "reason": "Grid desk"},
    )
    mine = work_queues.filtered_cases(today=today, user_id=agent.pk, assigned="me")
    assert set(mine) == {late, fresh}
    assert AuditEntry.objects.filter(action="cases.assign").count() == 2
