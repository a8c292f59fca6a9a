"""Contracts in the portal (issue 13 §2, part 2): the current package and its terms; the
packages ranked on the customer's own last 12 months with the yearly difference and the day
the change applies; a confirmed switch makes a new contract through the contracts operation
(the old one ends the day before), is audited with who, when and from where, and confirmed by
e-mail (a real SMTP server); moving out (the final reading, the contract ends) and moving in
(a new point, the move-in reading). Another customer's contract is 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from factories import MeterFactory, MeteringPointFactory, ProductFactory, RegisterFactory
from vool.domain.audit.models import AuditEntry
from vool.domain.contracts.models import SupplyContract
from vool.domain.documents.models import SentEmail
from vool.domain.metering.models import Reading
from vool.domain.supply.models import MeteringPoint

pytestmark = pytest.mark.django_db


def packages_url(household) -> str:  # type: ignore[no-untyped-def]
    return f"/portal/contracts/{household.contract.pk}/packages/"


class TestContracts:
    def test_the_current_package_and_its_terms(self, client, household):
        client.force_login(household.user)
        page = client.get("/portal/contracts/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
        assert household.contract.product.name in page
        assert "0,12 €/kWh ilma käibemaksuta" in page
        assert "2,99\u00a0€" in page

    def test_another_customers_contract_is_404(self, client, household, stranger):
        client.force_login(household.user)
        other = stranger.contract.pk
        assert client.get(f"/portal/contracts/{other}/packages/").status_code == 404
        assert (
            client.post(f"/portal/contracts/{other}/packages/", {"product": "X"}).status_code == 404
        )
        assert client.get(f"/portal/contracts/{other}/move-out/").status_code == 404
        assert client.post(f"/portal/contracts/{other}/move-out/", {}).status_code == 404


class TestComparePackages:
    def test_ranked_on_their_own_year_with_the_difference(self, client, priced):
        client.force_login(priced.user)
        response = client.get(packages_url(priced), HTTP_ACCEPT_LANGUAGE="en")
        page = response.content.decode()
        assert response.status_code == 200
        assert "3,000.000\u00a0kWh in the last 12 months" in page
        # 250 kWh a month x 0.02 €/kWh cheaper = 5.00 + 24 % VAT = 6.20 a month, 74.40 a year
        assert page.index("offer-CHEAP") < page.index(f"offer-{priced.contract.product.code}")
        assert "-€74.40 a year against your package" in page
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        assert f"applies from {tomorrow.day}\u00a0" in page


class TestSwitchPackage:
    def test_confirmed_switch_makes_a_new_contract_audits_and_mails(self, client, priced, mailbox):
        client.force_login(priced.user)
        first = client.post(packages_url(priced), {"product": "CHEAP"}, HTTP_ACCEPT_LANGUAGE="et")
        assert first.status_code == 200
        assert "Kinnita paketi vahetus" in first.content.decode()
        assert (
            SupplyContract.objects.filter(metering_point=priced.contract.metering_point).count()
            == 1
        )

        done = client.post(
            packages_url(priced),
            {"product": "CHEAP", "confirmed": "on"},
            HTTP_ACCEPT_LANGUAGE="et",
            REMOTE_ADDR="192.0.2.7",
        )
        assert done.status_code == 302
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        old, new = SupplyContract.objects.filter(
            metering_point=priced.contract.metering_point
        ).order_by("valid_from")
        assert old.valid_to == tomorrow  # its last day is today
        assert (new.product.code, new.valid_from, new.valid_to) == ("CHEAP", tomorrow, None)
        assert new.signed_channel == "PORTAL" and new.billing_account == priced.account
        entry = AuditEntry.objects.get(action="contracts.switch_package")
        assert (entry.user, entry.source_address, entry.customer_id) == (
            priced.user,
            "192.0.2.7",
            priced.customer.pk,
        )
        assert entry.before["product"] == priced.contract.product.code
        assert entry.after["product"] == "CHEAP"
        ((to, message),) = mailbox.messages
        assert to == [priced.customer.email]
        assert message["Subject"] == "Vool: Teie pakett on vahetatud"
        assert f"{tomorrow:%d.%m.%Y}" in message.get_content()
        # recorded for the back office's 360° page: what it confirms, to whom, in which language
        email = SentEmail.objects.get()
        assert (email.kind, email.status, email.contract_id, email.language) == (
            "PACKAGE_CHANGED",
            "SENT",
            new.pk,
            "et",
        )
        assert (email.subject, email.recipient) == (message["Subject"], priced.customer.email)

    def test_their_own_package_is_not_a_change(self, client, priced):
        client.force_login(priced.user)
        code = priced.contract.product.code
        response = client.post(
            packages_url(priced), {"product": code, "confirmed": "on"}, HTTP_ACCEPT_LANGUAGE="ru"
        )
        assert response.status_code == 400
        assert "Выберите другой пакет" in response.content.decode()

    def test_a_package_not_open_to_them_is_refused(self, client, priced):
        ProductFactory(code="BIZ", segment="BUSINESS")
        client.force_login(priced.user)
        response = client.post(
            packages_url(priced), {"product": "BIZ", "confirmed": "on"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert response.status_code == 400
        assert "Choose one of the packages listed." in response.content.decode()
        assert not AuditEntry.objects.exists()


class TestMoveOut:
    def test_the_contract_ends_with_the_final_reading(self, client, household, mailbox):
        client.force_login(household.user)
        today = timezone.localdate()
        url = f"/portal/contracts/{household.contract.pk}/move-out/"
        data = {"move_out_on": today.isoformat(), "value_SINGLE": "4321,5"}
        confirm = client.post(url, data, HTTP_ACCEPT_LANGUAGE="et")
        assert confirm.status_code == 200 and "Kinnita väljakolimine" in confirm.content.decode()
        assert not Reading.objects.exists()

        done = client.post(url, {**data, "confirmed": "on"}, HTTP_ACCEPT_LANGUAGE="et")
        assert done.status_code == 302
        household.contract.refresh_from_db()
        assert household.contract.valid_to == today
        assert household.contract.status == SupplyContract.Status.TERMINATED
        reading = Reading.objects.get(register=household.register)
        assert reading.value_kwh == Decimal("4321.500") and reading.created_by == household.user
        assert AuditEntry.objects.get(action="contracts.move_out").source_address == "127.0.0.1"
        assert mailbox.messages[0][1]["Subject"] == "Vool: Teie leping lõpeb"

    def test_a_move_out_in_the_future_is_refused(self, client, household):
        client.force_login(household.user)
        later = timezone.localdate() + dt.timedelta(days=5)
        response = client.post(
            f"/portal/contracts/{household.contract.pk}/move-out/",
            {"move_out_on": later.isoformat(), "value_SINGLE": "10", "confirmed": "on"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 400
        assert "Report the move on the day or after it" in response.content.decode()
        estonian = client.post(
            f"/portal/contracts/{household.contract.pk}/move-out/",
            {"move_out_on": later.isoformat(), "value_SINGLE": "10", "confirmed": "on"},
            HTTP_ACCEPT_LANGUAGE="et",
        )
        assert "Ei ole võimalik: Teatage kolimisest" in estonian.content.decode()
        household.contract.refresh_from_db()
        assert household.contract.valid_to is None and not Reading.objects.exists()

    def test_the_day_the_package_was_changed(self, client, priced):
        """The new package from tomorrow is cancelled, the old one ends today: no overlap, no
        contract ending on or before its start."""
        client.force_login(priced.user)
        changed = client.post(packages_url(priced), {"product": "CHEAP", "confirmed": "on"})
        assert changed.status_code == 302
        point = priced.contract.metering_point
        new = SupplyContract.objects.get(metering_point=point, product__code="CHEAP")
        today = timezone.localdate()
        done = client.post(
            f"/portal/contracts/{new.pk}/move-out/",
            {"move_out_on": today.isoformat(), "value_SINGLE": "14000", "confirmed": "on"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert done.status_code == 302
        rows = SupplyContract.objects.filter(metering_point=point).order_by("valid_from")
        assert [(c.product.code, c.valid_to, c.status) for c in rows] == [
            (priced.contract.product.code, today, "TERMINATED"),
            ("CHEAP", None, "CANCELLED"),
        ]
        entry = AuditEntry.objects.get(action="contracts.move_out")
        assert entry.object_id == str(priced.contract.pk)
        assert [c["id"] for c in entry.after["cancelled"]] == [new.pk]


def new_point() -> MeteringPoint:
    point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
    RegisterFactory(meter=MeterFactory(metering_point=point))
    return point


class TestMoveIn:
    def test_a_contract_for_a_new_point_with_the_move_in_reading(self, client, household):
        point = new_point()
        client.force_login(household.user)
        today = timezone.localdate()
        data = {
            "eic": point.eic,
            "move_in_on": today.isoformat(),
            "account": household.account.pk,
            "product": household.contract.product.code,
            "value_SINGLE": "77",
        }
        assert client.post("/portal/contracts/move-in/", data).status_code == 200
        assert not SupplyContract.objects.filter(metering_point=point).exists()
        done = client.post("/portal/contracts/move-in/", {**data, "confirmed": "on"})
        assert done.status_code == 302
        contract = SupplyContract.objects.get(metering_point=point)
        assert (contract.customer, contract.valid_from, contract.signed_channel) == (
            household.customer,
            today,
            "PORTAL",
        )
        assert Reading.objects.get(register__meter__metering_point=point).value_kwh == 77
        assert AuditEntry.objects.filter(action="contracts.move_in", object_id=contract.pk).exists()

    def test_a_point_someone_still_has_is_refused(self, client, household, stranger):
        client.force_login(household.user)
        data = {
            "eic": stranger.contract.metering_point.eic,
            "move_in_on": timezone.localdate().isoformat(),
            "account": household.account.pk,
            "product": household.contract.product.code,
            "value_SINGLE": "77",
            "confirmed": "on",
        }
        response = client.post("/portal/contracts/move-in/", data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "already has a contract" in response.content.decode()
        assert not Reading.objects.exists()

    def test_another_customers_account_is_refused(self, client, household, stranger):
        point = new_point()
        client.force_login(household.user)
        data = {
            "eic": point.eic,
            "move_in_on": timezone.localdate().isoformat(),
            "account": stranger.account.pk,
            "product": household.contract.product.code,
            "value_SINGLE": "77",
            "confirmed": "on",
        }
        response = client.post("/portal/contracts/move-in/", data)
        assert response.status_code == 400  # not a choice of this customer's accounts
        assert not SupplyContract.objects.filter(metering_point=point).exists()
