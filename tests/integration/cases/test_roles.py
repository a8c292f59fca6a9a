"""The back-office roles (groups made by the roles migration): each role's allowed and refused
actions, checked by the operations themselves (not only by the pages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group

from cases_factories import holder, in_role
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import Invoice
from vool.domain.cases import roles
from vool.domain.metering.models import Reading
from vool.domain.metering.operations import NotAllowedToReviewReading
from vool.domain.receivables import dunning
from vool.usecases import backoffice_actions, case_work
from vool.usecases.backoffice_actions import NotAllowed

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 16, 9, 30, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 16)


@pytest.fixture
def mari() -> Any:
    return holder("mari", 26000001, "42.50")  # below the credit limit (200 EUR)


@pytest.fixture
def big(mari: Any) -> Any:
    return holder("jaan", 26000002, "950.00")  # above it


def credit(user: Any, invoice: Invoice) -> Invoice:
    assert invoice.number is not None
    return backoffice_actions.credit_invoice(
        user=user, number=invoice.number, reason="Wrong meter", today=TODAY, now=NOW
    )


def question(user: Any, who: Any) -> Any:
    new = case_work.NewCase(who.customer.pk, "PHONE", "QUESTION", "When is the bill?")
    return case_work.register_case(user=user, new=new, now=NOW)


def pending_reading(who: Any) -> Reading:
    read_at = NOW - dt.timedelta(days=1)
    return Reading.objects.create(
        register=who.register,
        read_at=read_at,
        known_at=read_at,
        value_kwh=Decimal("900"),
        source="PORTAL",
        status=Reading.Status.PENDING_REVIEW,
    )


def clerk_hold(who: Any) -> Any:
    return dunning.add_hold(
        kind="CLERK",
        reason="Payment plan",
        by="x",
        valid_from=TODAY,
        valid_to=None,
        as_of=NOW,
        billing_account_id=who.account.pk,
    )


def test_the_migration_made_the_five_groups() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
    supervisor = Group.objects.get(name=roles.SUPERVISOR)
    assert supervisor.permissions.filter(codename="credit_above_limit").exists()


class TestAgent:
    def test_registers_requests_and_credits_within_the_limit(self, mari: Any) -> None:
        agent = in_role("kati", roles.AGENT)
        question(agent, mari)
        note = credit(agent, mari.invoice)
        assert note.kind == Invoice.Kind.CREDIT_NOTE

    def test_is_refused_a_credit_above_the_limit(self, big: Any) -> None:
        with pytest.raises(NotAllowed, match="a supervisor must credit it"):
            credit(in_role("kati", roles.AGENT), big.invoice)

    def test_is_refused_reviewing_readings_ending_holds_and_the_freeze(self, mari: Any) -> None:
        agent = in_role("kati", roles.AGENT)
        with pytest.raises(NotAllowedToReviewReading):
            backoffice_actions.review_reading(
                user=agent, reading_id=pending_reading(mari).pk, accept=True, reason="ok", now=NOW
            )
        with pytest.raises(NotAllowed):
            case_work.end_dunning_hold(user=agent, hold_id=clerk_hold(mari).pk, reason="x", now=NOW)
        with pytest.raises(NotAllowed):
            case_work.switch_freeze_on(user=agent, message="Go-live", now=NOW)
        assert not AuditEntry.objects.exists()


class TestBillingSpecialist:
    def test_reviews_readings(self, mari: Any) -> None:
        specialist = in_role("tiit", roles.BILLING_SPECIALIST)
        reading = pending_reading(mari)
        decision = backoffice_actions.review_reading(
            user=specialist, reading_id=reading.pk, accept=True, reason="Meter photo", now=NOW
        )
        assert decision.status == Reading.Status.ACCEPTED

    def test_is_refused_ending_holds(self, mari: Any) -> None:
        with pytest.raises(NotAllowed, match="end dunning holds"):
            case_work.end_dunning_hold(
                user=in_role("tiit", roles.BILLING_SPECIALIST),
                hold_id=clerk_hold(mari).pk,
                reason="x",
                now=NOW,
            )


class TestFinance:
    def test_ends_holds(self, mari: Any) -> None:
        hold = case_work.end_dunning_hold(
            user=in_role("ene", roles.FINANCE),
            hold_id=clerk_hold(mari).pk,
            reason="Plan kept",
            now=NOW + dt.timedelta(days=2),
        )
        assert hold.valid_to == dt.date(2026, 11, 18)
        assert AuditEntry.objects.get().action == "receivables.end_hold"

    def test_is_refused_crediting_and_reviewing(self, mari: Any) -> None:
        finance = in_role("ene", roles.FINANCE)
        with pytest.raises(NotAllowed, match="may not credit"):
            credit(finance, mari.invoice)
        with pytest.raises(NotAllowed, match="bill accounts"):
            case_work.bill_mended_account(user=finance, exception_id=1, reason="x", now=NOW)


class TestSupervisor:
    def test_credits_above_the_limit_and_works_anyones_request(self, mari: Any, big: Any) -> None:
        boss = in_role("liis", roles.SUPERVISOR)
        credit(boss, big.invoice)
        kati = in_role("kati", roles.AGENT)
        case = question(kati, mari)
        case_work.assign_case(
            user=kati, case_id=case.pk, assignee_id=kati.pk, group_id=None, reason="mine", now=NOW
        )
        case_work.add_note(user=boss, case_id=case.pk, text="Seen", for_customer=False, now=NOW)

    def test_is_refused_the_freeze(self) -> None:
        with pytest.raises(NotAllowed, match="switch the freeze"):
            case_work.switch_freeze_on(user=in_role("liis", roles.SUPERVISOR), message="x", now=NOW)


class TestAdministrator:
    def test_switches_the_freeze(self) -> None:
        admin = in_role("admin", roles.ADMINISTRATOR)
        freeze = case_work.switch_freeze_on(user=admin, message="Go-live", now=NOW)
        case_work.switch_freeze_off(user=admin, now=NOW + dt.timedelta(hours=5))
        freeze.refresh_from_db()
        assert freeze.ended_by == "admin"
        assert [e.action for e in AuditEntry.objects.order_by("pk")] == [
            "cases.freeze_on",
            "cases.freeze_off",
        ]


def test_a_page_the_role_may_not_open_is_refused(client: Any, mari: Any) -> None:
    client.force_login(in_role("ene", roles.FINANCE))
    assert client.get("/backoffice/queues/exceptions/").status_code == 403
    assert client.get("/backoffice/freeze/").status_code == 403
    assert client.get("/backoffice/queues/holds/").status_code == 200
