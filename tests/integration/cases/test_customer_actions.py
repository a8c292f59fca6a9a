"""Back-office actions on a customer (issue 14 §5): move out, move in (the point found by
search), change the package (the calculator's ranking shown) and send a letter. Each is an
operation that checks the role itself, refuses during the freeze, and leaves an audit row with
who, when, why and the request id; each role's allowed and refused actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from billing_factories import add_reading, fixed_product
from cases_factories import holder, in_role
from documents_factories import make_supplier
from factories import MeterFactory, MeteringPointFactory, RegisterFactory
from mail_server import Mailbox
from vool.common import identifiers
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import roles
from vool.domain.contracts import operations as contract_operations
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import FormerReferenceNumber
from vool.domain.documents import operations as document_operations
from vool.domain.documents.models import Letter, SentEmail
from vool.domain.metering.models import Reading
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs import operations as tariff_operations
from vool.usecases import case_work, customer_actions, freeze
from vool.usecases.backoffice_actions import NotAllowed
from vool.usecases.customer_actions import Actor, UnableToChangeContract

pytestmark = pytest.mark.django_db

ALLOWED = (roles.AGENT, roles.BILLING_SPECIALIST, roles.SUPERVISOR, roles.ADMINISTRATOR)


@pytest.fixture
def mari() -> Any:
    return holder("mari", 26000001, "42.50")


def actor(user: Any, request_id: str = "req-1") -> Actor:
    return Actor(
        user=user, now=timezone.now(), address="192.0.2.9", language="en", request_id=request_id
    )


def move_out(
    user: Any, who: Any, day: dt.date | None = None, value: str = "4321.5"
) -> SupplyContract:
    return customer_actions.move_out(
        actor=actor(user),
        customer_id=who.customer.pk,
        contract_id=who.contract.pk,
        move_out_on=day or timezone.localdate(),
        values_kwh={"SINGLE": Decimal(value)},
        reason="Customer phoned: sold the flat",
    )


def new_point() -> tuple[MeteringPoint, Any]:
    point = MeteringPointFactory(
        metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER, street_address="Vana 17"
    )
    register = RegisterFactory(meter=MeterFactory(metering_point=point))
    return point, register


def move_in(user: Any, who: Any, point: MeteringPoint) -> SupplyContract:
    return customer_actions.move_in(
        actor=actor(user),
        new=customer_actions.NewContract(
            customer_id=who.customer.pk,
            account_id=who.account.pk,
            eic=point.eic,
            product_code=who.contract.product.code,
            move_in_on=timezone.localdate(),
        ),
        values_kwh={"SINGLE": Decimal("120")},
        reason="Customer phoned: moved to Vana 17",
    )


def priced(who: Any) -> None:
    """250 kWh in each of the last 13 months, default taxes, a cheaper package CHEAP."""
    tariff_operations.load_default_tariffs()
    month = Month.of(timezone.localdate())
    for back in range(13, 0, -1):
        m = month
        for _ in range(back):
            m = m.previous()
        add_reading(who.register, m, str(10000 + 250 * (13 - back)))
    fixed_product(code="CHEAP", price="0.100000")


def change_package(user: Any, who: Any, code: str = "CHEAP") -> SupplyContract:
    return customer_actions.change_package(
        actor=actor(user),
        customer_id=who.customer.pk,
        contract_id=who.contract.pk,
        product_code=code,
        reason="Customer asked for the cheapest package",
    )


class TestMoveOut:
    @pytest.mark.parametrize("role", ALLOWED)
    def test_the_contract_ends_with_the_final_reading_audited(self, mari: Any, role: str) -> None:
        clerk = in_role("clerk", role)
        ended = move_out(clerk, mari)

        today = timezone.localdate()
        assert (ended.valid_to, ended.status) == (today, SupplyContract.Status.TERMINATED)
        reading = Reading.objects.get(register=mari.register)
        assert reading.value_kwh == Decimal("4321.500")
        assert (reading.source, reading.created_by) == ("BACKOFFICE", clerk)
        entry = AuditEntry.objects.get(action="contracts.move_out")
        assert (entry.user, entry.customer_id, entry.request_id) == (
            clerk,
            mari.customer.pk,
            "req-1",
        )
        assert entry.reason == "Customer phoned: sold the flat"
        assert entry.before["valid_to"] is None and entry.after["valid_to"] == today.isoformat()
        assert entry.after["final_reading_kwh"] == {"SINGLE": "4321.5"}

    def test_finance_may_not(self, mari: Any) -> None:
        with pytest.raises(NotAllowed, match="may not end contracts"):
            move_out(in_role("fin", roles.FINANCE), mari)
        assert not AuditEntry.objects.exists() and not Reading.objects.exists()
        mari.contract.refresh_from_db()
        assert mari.contract.valid_to is None

    def test_later_than_the_back_office_window_is_refused(self, mari: Any) -> None:
        long_ago = timezone.localdate() - dt.timedelta(days=93)
        with pytest.raises(UnableToChangeContract, match="need a rebill") as refused:
            move_out(in_role("clerk", roles.AGENT), mari, day=long_ago)
        assert refused.value.field == "move_out_on"
        assert not AuditEntry.objects.exists()

    def test_a_late_move_the_portal_refuses_the_back_office_enters(self, mari: Any) -> None:
        three_weeks_ago = timezone.localdate() - dt.timedelta(days=21)
        ended = move_out(in_role("clerk", roles.AGENT), mari, day=three_weeks_ago)
        assert ended.valid_to == three_weeks_ago

    def test_another_customers_contract_is_refused(self, mari: Any) -> None:
        jaan = holder("jaan", 26000002, "10.00")
        with pytest.raises(customer_actions.NoSuchThing):
            customer_actions.move_out(
                actor=actor(in_role("clerk", roles.AGENT)),
                customer_id=mari.customer.pk,
                contract_id=jaan.contract.pk,
                move_out_on=timezone.localdate(),
                values_kwh={"SINGLE": Decimal("1")},
                reason="x",
            )

    def test_refused_during_the_freeze(self, mari: Any) -> None:
        case_work.switch_freeze_on(
            user=in_role("admin", roles.ADMINISTRATOR), message="Go-live", now=timezone.now()
        )
        with pytest.raises(freeze.FrozenNow):
            move_out(in_role("clerk", roles.AGENT), mari)

    def test_the_page_as_agent_and_as_finance(self, client: Any, mari: Any) -> None:
        url = f"/backoffice/customers/{mari.customer.pk}/contracts/{mari.contract.pk}/move-out/"
        data = {
            "move_out_on": timezone.localdate().isoformat(),
            "value_SINGLE": "4321.5",
            "reason": "Sold the flat",
        }
        client.force_login(in_role("fin", roles.FINANCE))
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
        client.force_login(in_role("agent", roles.AGENT))
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="et")
        assert page.status_code == 200 and "Väljakolimise kuupäev" in page.content.decode()
        done = client.post(url, data, HTTP_X_REQUEST_ID="abc-123")
        assert done.status_code == 302
        entry = AuditEntry.objects.get(action="contracts.move_out")
        assert (entry.username, entry.request_id) == ("agent", "abc-123")
        customer_page = client.get(
            f"/backoffice/customers/{mari.customer.pk}/", HTTP_ACCEPT_LANGUAGE="ru"
        )
        assert "Выезд: договор закончен" in customer_page.content.decode()

    def test_the_day_the_package_was_changed(self, mari: Any) -> None:
        """Moving out of the new package (from tomorrow) or of the old one the day the package
        was changed: the old one ends today, the new one is cancelled, audited once."""
        priced(mari)
        clerk = in_role("kati", roles.AGENT)
        new = change_package(clerk, mari)
        today = timezone.localdate()
        moved = customer_actions.move_out(
            actor=actor(clerk),
            customer_id=mari.customer.pk,
            contract_id=new.pk,
            move_out_on=today,
            values_kwh={"SINGLE": Decimal("14000")},
            reason="Sold the flat the same day",
        )
        assert moved.pk == mari.contract.pk
        point = mari.contract.metering_point
        rows = SupplyContract.objects.filter(metering_point=point).order_by("valid_from")
        assert [(c.pk, c.valid_from < (c.valid_to or dt.date.max), c.status) for c in rows] == [
            (mari.contract.pk, True, "TERMINATED"),
            (new.pk, True, "CANCELLED"),
        ]
        assert SupplyContract.objects.get(pk=mari.contract.pk).valid_to == today
        entry = AuditEntry.objects.get(action="contracts.move_out")
        assert entry.after["valid_to"] == today.isoformat()
        assert entry.after["cancelled"][0]["status"] == "CANCELLED"

    def test_of_the_old_package_the_day_it_was_changed(self, mari: Any) -> None:
        priced(mari)
        clerk = in_role("kati", roles.AGENT)
        new = change_package(clerk, mari)
        ended = move_out(clerk, mari, value="14000")  # the one the package was changed from
        assert (ended.valid_to, ended.status) == (timezone.localdate(), "TERMINATED")
        assert SupplyContract.objects.get(pk=new.pk).status == "CANCELLED"

    def test_a_cancelled_contract_does_not_end(self, mari: Any) -> None:
        SupplyContract.objects.filter(pk=mari.contract.pk).update(status="CANCELLED")
        today = timezone.localdate()
        with (
            translation.override("en"),
            pytest.raises(contract_operations.UnableToEndContract, match="cancelled"),
        ):
            contract_operations.end_for_move_out(
                contract_id=mari.contract.pk, valid_to=today, today=today
            )
        assert SupplyContract.objects.get(pk=mari.contract.pk).valid_to is None

    def test_before_a_package_change_that_has_started_is_refused(self, mari: Any) -> None:
        """A change that took effect ten days ago is not undone by a move out dated before it."""
        today = timezone.localdate()
        started = today - dt.timedelta(days=10)
        SupplyContract.objects.filter(pk=mari.contract.pk).update(
            valid_from=today - dt.timedelta(days=400), valid_to=started
        )
        later = SupplyContract.objects.create(
            customer=mari.customer,
            billing_account=mari.account,
            metering_point=mari.contract.metering_point,
            product=mari.contract.product,
            valid_from=started,
        )
        with (
            translation.override("en"),
            pytest.raises(UnableToChangeContract, match="has started already") as refused,
        ):
            move_out(in_role("kati", roles.AGENT), mari, day=today - dt.timedelta(days=20))
        assert refused.value.field == "valid_to"
        later.refresh_from_db()
        mari.contract.refresh_from_db()
        assert (later.status, mari.contract.valid_to) == ("ACTIVE", started)
        assert not Reading.objects.exists() and not AuditEntry.objects.exists()


class TestMoveIn:
    def test_the_point_is_found_by_eic_or_address(self, mari: Any) -> None:
        point, _register = new_point()
        today = timezone.localdate()
        by_eic = customer_actions.find_points(text=point.eic[:9].lower(), today=today)
        assert point in [found.point for found in by_eic]
        (by_address,) = customer_actions.find_points(text="vana 1", today=today)
        assert (by_address.point, by_address.registers) == (point, ["SINGLE"])
        assert customer_actions.find_points(text="va", today=today) == []

    @pytest.mark.parametrize("role", ALLOWED)
    def test_a_new_contract_with_the_move_in_reading(self, mari: Any, role: str) -> None:
        point, register = new_point()
        clerk = in_role("clerk", role)
        contract = move_in(clerk, mari, point)

        assert contract.metering_point == point and contract.customer == mari.customer
        assert (contract.valid_from, contract.signed_channel) == (
            timezone.localdate(),
            "BACKOFFICE",
        )
        reading = Reading.objects.get(register=register)
        assert (reading.value_kwh, reading.source) == (Decimal("120.000"), "BACKOFFICE")
        entry = AuditEntry.objects.get(action="contracts.move_in")
        assert (entry.user, entry.object_id, entry.reason) == (
            clerk,
            str(contract.pk),
            "Customer phoned: moved to Vana 17",
        )

    def test_finance_may_not(self, mari: Any) -> None:
        point, _register = new_point()
        with pytest.raises(NotAllowed, match="may not make contracts"):
            move_in(in_role("fin", roles.FINANCE), mari, point)
        assert not SupplyContract.objects.filter(metering_point=point).exists()

    def test_a_point_with_a_contract_is_refused_naming_the_date(self, mari: Any) -> None:
        jaan = holder("jaan", 26000002, "10.00")
        with pytest.raises(UnableToChangeContract) as refused:
            move_in(in_role("clerk", roles.AGENT), mari, jaan.contract.metering_point)
        assert refused.value.field == "valid_from"
        assert not AuditEntry.objects.exists()

    def test_the_page_searches_then_makes_the_contract(self, client: Any, mari: Any) -> None:
        point, _register = new_point()
        client.force_login(in_role("agent", roles.AGENT))
        url = f"/backoffice/customers/{mari.customer.pk}/move-in/"
        found = client.get(url, {"q": "Vana"}).content.decode()
        assert f"?eic={point.eic}" in found and "<select" not in found
        form = client.get(url, {"eic": point.eic}).content.decode()
        assert 'name="value_SINGLE"' in form
        done = client.post(
            url,
            {
                "eic": point.eic,
                "account": mari.account.pk,
                "product": mari.contract.product.code,
                "move_in_on": timezone.localdate().isoformat(),
                "value_SINGLE": "120",
                "reason": "Moved to Vana 17",
            },
        )
        assert done.status_code == 302
        assert SupplyContract.objects.get(metering_point=point).signed_channel == "BACKOFFICE"


class TestChangePackage:
    def test_the_ranking_then_the_change_audited(self, client: Any, mari: Any) -> None:
        priced(mari)
        client.force_login(in_role("agent", roles.AGENT))
        url = f"/backoffice/customers/{mari.customer.pk}/contracts/{mari.contract.pk}/package/"
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "3000.000 kWh in the last 12 months" in page
        # 250 kWh a month x 0.02 EUR/kWh cheaper = 5.00 + 24 % VAT = 6.20 a month, 74.40 a year
        assert page.index('value="CHEAP"') < page.index(f'value="{mari.contract.product.code}"')
        assert "-74.40" in page

        done = client.post(url, {"product": "CHEAP", "reason": "Asked for the cheapest"})
        assert done.status_code == 302
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        old, new = SupplyContract.objects.filter(metering_point=mari.contract.metering_point)
        assert old.valid_to == tomorrow
        assert (new.product.code, new.valid_from, new.signed_channel) == (
            "CHEAP",
            tomorrow,
            "BACKOFFICE",
        )
        entry = AuditEntry.objects.get(action="contracts.switch_package")
        assert (entry.username, entry.reason) == ("agent", "Asked for the cheapest")
        assert (entry.before["product"], entry.after["product"]) == (
            mari.contract.product.code,
            "CHEAP",
        )

    @pytest.mark.parametrize("role", ALLOWED)
    def test_each_allowed_role(self, mari: Any, role: str) -> None:
        fixed_product(code="CHEAP", price="0.100000")
        assert change_package(in_role("clerk", role), mari).product.code == "CHEAP"

    def test_finance_may_not(self, client: Any, mari: Any) -> None:
        fixed_product(code="CHEAP", price="0.100000")
        with pytest.raises(NotAllowed, match="may not change packages"):
            change_package(in_role("fin", roles.FINANCE), mari)
        client.force_login(get_user_model().objects.get(username="fin"))
        url = f"/backoffice/customers/{mari.customer.pk}/contracts/{mari.contract.pk}/package/"
        assert client.get(url).status_code == 403
        assert SupplyContract.objects.count() == 1

    def test_the_same_package_is_not_a_change(self, mari: Any) -> None:
        with pytest.raises(UnableToChangeContract, match="is on"):
            change_package(in_role("clerk", roles.AGENT), mari, mari.contract.product.code)


class TestConfirmationEmails:
    """The customer hears of a move or a package change made in the back office as from the
    portal: the same e-mail, in the customer's language (not the clerk's), after the commit."""

    def test_move_out_confirmed_in_russian_after_the_commit(
        self, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        mari.customer.preferred_language = "ru"
        mari.customer.save(update_fields=["preferred_language"])
        with django_capture_on_commit_callbacks(execute=True):
            move_out(in_role("clerk", roles.AGENT), mari)  # the clerk works in English
            assert mailbox.messages == []
        ((to, message),) = mailbox.messages
        assert to == [mari.customer.email]
        assert message["Subject"].strip() == "Vool: Ваш договор заканчивается"
        body = message.get_content()
        assert mari.contract.metering_point.eic in body and "Служба поддержки Vool" in body

    def test_move_in_and_package_change_confirmed_in_estonian(
        self, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        priced(mari)
        clerk = in_role("clerk", roles.AGENT)
        with django_capture_on_commit_callbacks(execute=True):
            change_package(clerk, mari)
        with django_capture_on_commit_callbacks(execute=True):
            move_in(clerk, mari, new_point()[0])
        subjects = [message["Subject"].strip() for _to, message in mailbox.messages]
        assert subjects == ["Vool: Teie pakett on vahetatud", "Vool: Teie uus leping"]

    def test_a_rolled_back_change_is_not_confirmed(
        self, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            move_out(in_role("clerk", roles.AGENT), mari)
            raise RuntimeError("the rest of the request failed")
        assert callbacks == [] and mailbox.messages == []

    def test_a_mail_server_refusal_does_not_undo_the_change(
        self, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        mailbox.refuse.add(mari.customer.email)
        with django_capture_on_commit_callbacks(execute=True):
            ended = move_out(in_role("clerk", roles.AGENT), mari)
        assert mailbox.messages == []
        assert SupplyContract.objects.get(pk=ended.pk).valid_to == ended.valid_to
        assert AuditEntry.objects.filter(action="contracts.move_out").count() == 1


def listed_emails(client: Any, who: Any) -> str:
    """The 360° page's "E-mails sent" table of ``who``, in English."""
    page = client.get(
        f"/backoffice/customers/{who.customer.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    start = page.index('id="h-emails"')
    return page[start : page.index("</table>", start)]


class TestEmailsSent:
    """Each confirmation e-mail is recorded (sent, or refused with why) and listed on the
    customer's 360° page under "Letters and e-mails sent", newest first."""

    def test_a_package_change_and_a_move_in_through_the_back_office_are_listed(
        self, client: Any, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        priced(mari)
        point, _register = new_point()
        client.force_login(in_role("agent", roles.AGENT))
        base = f"/backoffice/customers/{mari.customer.pk}"
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"{base}/contracts/{mari.contract.pk}/package/",
                {"product": "CHEAP", "reason": "Asked for the cheapest"},
            )
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"{base}/move-in/",
                {
                    "eic": point.eic,
                    "account": mari.account.pk,
                    "product": mari.contract.product.code,
                    "move_in_on": timezone.localdate().isoformat(),
                    "value_SINGLE": "120",
                    "reason": "Moved to Vana 17",
                },
            )
        assert len(mailbox.messages) == 2
        moved_in, changed = SentEmail.objects.order_by("-sent_at", "-pk")
        new_package = SupplyContract.objects.get(
            metering_point=mari.contract.metering_point, product__code="CHEAP"
        )
        assert (changed.kind, changed.status, changed.contract_id, changed.recipient) == (
            "PACKAGE_CHANGED",
            "SENT",
            new_package.pk,
            mari.customer.email,
        )
        assert (moved_in.kind, moved_in.contract.metering_point_id) == ("MOVED_IN", point.pk)
        assert (changed.language, changed.billing_account_id) == ("et", mari.account.pk)
        listed = listed_emails(client, mari)
        # newest first, the subject as the customer read it (Estonian), the label in English
        assert listed.index("Vool: Teie uus leping") < listed.index(
            "Vool: Teie pakett on vahetatud"
        )
        assert "Package change confirmed" in listed and "Move in confirmed" in listed
        assert listed.count("<td>Sent</td>") == 2

    def test_a_move_out_the_mail_server_refuses_is_listed_as_failed(
        self, client: Any, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        mailbox.refuse.add(mari.customer.email)
        with django_capture_on_commit_callbacks(execute=True):
            move_out(in_role("clerk", roles.AGENT), mari)
        email = SentEmail.objects.get()
        assert (email.kind, email.status, email.subject) == (
            "MOVED_OUT",
            "FAILED",
            "Vool: Teie leping lõpeb",
        )
        assert "550" in email.error and mari.customer.email in email.error
        client.force_login(email_reader())
        listed = listed_emails(client, mari)
        assert "Vool: Teie leping lõpeb" in listed and "Failed (recipient refused" in listed

    def test_no_address_is_recorded_not_lost(
        self, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        mari.customer.email = ""
        mari.customer.save(update_fields=["email"])
        with django_capture_on_commit_callbacks(execute=True):
            move_out(in_role("clerk", roles.AGENT), mari)
        email = SentEmail.objects.get()
        assert mailbox.messages == []
        assert (email.status, email.recipient, email.error) == (
            "FAILED",
            "",
            "The customer has no e-mail address.",
        )

    def test_shown_in_tallinn_time_and_paginated(self, client: Any, mari: Any) -> None:
        # 30 June 2026 21:30 UTC is 1 July 00:30 in Tallinn (summer time, UTC+3)
        first = dt.datetime(2026, 6, 30, 21, 30, tzinfo=dt.UTC)
        for minutes in range(21):
            document_operations.record_email(
                attempt=document_operations.EmailAttempt(
                    customer_id=mari.customer.pk,
                    kind="MOVED_OUT",
                    subject=f"Vool: e-mail {minutes}",
                    recipient=mari.customer.email,
                    language="et",
                ),
                sent_at=first + dt.timedelta(minutes=minutes),
            )
        client.force_login(email_reader())
        listed = listed_emails(client, mari)
        assert "<td>July 1, 2026, 12:50 a.m.</td>" in listed  # the newest first
        assert "Vool: e-mail 20<" in listed and "Vool: e-mail 0<" not in listed
        page = client.get(
            f"/backoffice/customers/{mari.customer.pk}/?emails=2", HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
        assert "Vool: e-mail 0<" in page and "<td>July 1, 2026, 12:30 a.m.</td>" in page

    def test_a_customer_sees_none_of_anothers(
        self, client: Any, mari: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        jaan = holder("jaan", 26000002, "10.00")
        with django_capture_on_commit_callbacks(execute=True):
            move_out(in_role("clerk", roles.AGENT), mari)
        client.force_login(email_reader())
        assert "Vool: Teie leping lõpeb" in listed_emails(client, mari)
        theirs = listed_emails(client, jaan)
        assert "Vool:" not in theirs and "No e-mails sent yet." in theirs

    def test_read_only_in_the_admin(self, client: Any, mari: Any) -> None:
        document_operations.record_email(
            attempt=document_operations.EmailAttempt(
                customer_id=mari.customer.pk,
                kind="PACKAGE_CHANGED",
                subject="Vool: Teie pakett on vahetatud",
                recipient=mari.customer.email,
                language="et",
            ),
            sent_at=timezone.now(),
        )
        email = SentEmail.objects.get()
        client.force_login(
            get_user_model().objects.create_superuser("root", "root@example.ee", "x")
        )
        listing = client.get("/admin/documents/sentemail/", HTTP_ACCEPT_LANGUAGE="en")
        assert "Vool: Teie pakett on vahetatud" in listing.content.decode()
        assert client.get("/admin/documents/sentemail/add/").status_code == 403
        change = client.post(
            f"/admin/documents/sentemail/{email.pk}/change/", {"subject": "Edited"}
        )
        assert change.status_code == 403
        assert SentEmail.objects.get().subject == "Vool: Teie pakett on vahetatud"


def email_reader() -> Any:
    return in_role("reader", roles.AGENT)


@pytest.fixture
def former(mari: Any) -> Any:
    """Mari's account got a new reference number; the supplier's details are set."""
    make_supplier()
    FormerReferenceNumber.objects.create(
        account=mari.account,
        reference_number=identifiers.make_reference_number(5501),
        replaced_on=dt.date(2026, 11, 1),
        source="legacy extract",
    )
    customer = mari.customer
    customer.preferred_language, customer.street_address = "et", "Lai 1"
    customer.postal_code, customer.city = "10101", "Tallinn"
    customer.save(update_fields=["preferred_language", "street_address", "postal_code", "city"])
    return mari


def send(user: Any, who: Any, kind: str = "new-reference-number") -> Any:
    return customer_actions.send_letter(
        actor=actor(user),
        customer_id=who.customer.pk,
        account_id=who.account.pk,
        kind=kind,
        reason="Customer asked for the letter again",
    )


class TestSendLetter:
    @pytest.mark.usefixtures("mailbox")
    def test_sent_once_audited_and_shown(self, client: Any, former: Any) -> None:
        client.force_login(in_role("agent", roles.AGENT))
        page = f"/backoffice/customers/{former.customer.pk}/"
        url = f"/backoffice/customers/{former.customer.pk}/letters/"
        data = {
            "account": former.account.pk,
            "kind": "new-reference-number",
            "reason": "Asked again",
        }
        assert client.post(url, data).status_code == 302

        letter = Letter.objects.get(billing_account=former.account)
        assert (letter.kind, letter.language) == ("new-reference-number", "et")
        entry = AuditEntry.objects.get(action="documents.send_letter")
        assert (entry.username, entry.customer_id, entry.reason) == (
            "agent",
            former.customer.pk,
            "Asked again",
        )
        assert entry.after["kind"] == "new-reference-number"
        shown = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "The account&#x27;s new reference number" in shown
        assert "Letter sent" in shown

        with pytest.raises(customer_actions.UnableToSendLetter, match="already"):
            send(in_role("clerk", roles.AGENT), former)
        assert Letter.objects.count() == 1
        assert AuditEntry.objects.filter(action="documents.send_letter").count() == 1

    def test_e_mailed_only_after_the_commit(
        self, former: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        former.account.invoice_channel = "EMAIL"
        former.account.save(update_fields=["invoice_channel"])
        with django_capture_on_commit_callbacks(execute=True):
            report = send(in_role("clerk", roles.AGENT), former)
            assert mailbox.messages == []  # recorded, not sent: the commit has not happened
            assert Letter.objects.get().status == Letter.Status.PENDING
        assert report.emailed == 1
        ((to, message),) = mailbox.messages
        assert to == [former.customer.email] and "viitenumber" in message["Subject"].lower()
        letter = Letter.objects.get()
        assert (letter.status, letter.destination) == (Letter.Status.SENT, former.customer.email)
        entry = AuditEntry.objects.get(action="documents.send_letter")
        assert entry.after["letters"] == [letter.pk]

    def test_a_rollback_sends_nothing(
        self, former: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        former.account.invoice_channel = "EMAIL"
        former.account.save(update_fields=["invoice_channel"])
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            send(in_role("clerk", roles.AGENT), former)
            raise RuntimeError("the rest of the request failed")
        assert callbacks == [] and mailbox.messages == []
        assert not Letter.objects.exists() and not AuditEntry.objects.exists()

    def test_a_refused_address_leaves_the_letter_recorded_as_failed(
        self, former: Any, mailbox: Mailbox, django_capture_on_commit_callbacks: Any
    ) -> None:
        former.account.invoice_channel = "EMAIL"
        former.account.save(update_fields=["invoice_channel"])
        mailbox.refuse.add(former.customer.email)
        with django_capture_on_commit_callbacks(execute=True):
            report = send(in_role("clerk", roles.AGENT), former)
        letter = Letter.objects.get()
        assert letter.status == Letter.Status.FAILED and "550" in letter.last_error
        assert letter.next_attempt_at is not None  # retried by a later send, as the others
        assert report.emailed == 0 and report.failures
        assert AuditEntry.objects.filter(action="documents.send_letter").count() == 1

    def test_a_letter_that_cannot_be_made_names_the_field(self, mari: Any) -> None:
        make_supplier()
        FormerReferenceNumber.objects.create(
            account=mari.account,
            reference_number=identifiers.make_reference_number(5501),
            replaced_on=dt.date(2026, 11, 1),
            source="legacy extract",
        )
        mari.customer.street_address = ""
        mari.customer.save(update_fields=["street_address"])
        with pytest.raises(customer_actions.UnableToSendLetter, match="street_address: is empty"):
            send(in_role("clerk", roles.AGENT), mari)
        assert not Letter.objects.exists() and not AuditEntry.objects.exists()

    def test_a_kind_that_does_not_concern_the_account(self, mari: Any) -> None:
        make_supplier()
        with pytest.raises(customer_actions.UnableToSendLetter, match="does not concern"):
            send(in_role("clerk", roles.AGENT), mari)
        assert not Letter.objects.exists() and not AuditEntry.objects.exists()

    def test_finance_may_not(self, client: Any, former: Any) -> None:
        with pytest.raises(NotAllowed, match="may not send letters"):
            send(in_role("fin", roles.FINANCE), former)
        client.force_login(get_user_model().objects.get(username="fin"))
        url = f"/backoffice/customers/{former.customer.pk}/letters/"
        data = {"account": former.account.pk, "kind": "new-reference-number", "reason": "x"}
        assert client.post(url, data).status_code == 403
        assert not Letter.objects.exists()
