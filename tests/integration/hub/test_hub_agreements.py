"""Supply agreements of contracts concluded in the back office (issue 15 §2), against the
local stand-in: submitted with the legal lead time, confirmed when the hub distributes them
back, refused with the reason when the lead time cannot be met, left pending for the sync when
the hub cannot be reached; the hub state shown on the customer's page, and a withdrawal within
14 days (permission-checked, audited) cancelling agreement and contract."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub
from factories import MeteringPointFactory, ProductFactory, SupplyContractFactory
from vool.domain.audit.models import AuditEntry
from vool.domain.contracts.models import SupplyContract
from vool.domain.hub.models import AgreementSubmission
from vool.integrations.datahub.client import HttpHub, HubConfig
from vool.usecases import datahub, hub_agreements

pytestmark = pytest.mark.django_db

NEW_EIC = "38ZEE-00625607-9"
CLERK = ("view_customer", "add_supplycontract", "change_supplycontract")


def configured(url: str) -> HttpHub:
    config = HubConfig(
        base_url=url,
        token_url=f"{url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_version="v2",
        max_retries=1,
        backoff_s=0.01,
        timeout_s=5,
    )
    return HttpHub(config, sleep=lambda s: None)


@pytest.fixture
def local(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """The hub connection on, configured to the local stand-in (no waiting between retries)."""
    with LocalHub() as hub:
        settings.VOOL_DATAHUB_ENABLED = True
        monkeypatch.setattr(datahub, "hub_from_settings", lambda: configured(hub.url))
        yield hub


def staff(username: str, *codenames: str) -> Any:
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user.pk))
    return client


@pytest.fixture
def existing() -> SupplyContract:
    """A customer already supplied elsewhere at another point; the new point is known."""
    MeteringPointFactory(eic=NEW_EIC)
    ProductFactory()
    return SupplyContractFactory()  # type: ignore[no-any-return]


def conclude(client: Client, contract: SupplyContract, *, days: int, elsewhere: bool) -> Any:
    start = timezone.localdate() + dt.timedelta(days=days)
    data = {
        "account": contract.billing_account_id,
        "eic": NEW_EIC,
        "product": "FIX",
        "valid_from": start.isoformat(),
    }
    if elsewhere:
        data["open_supply_elsewhere"] = "on"
    return client.post(
        f"/backoffice/customers/{contract.customer_id}/contracts/new/",
        data,
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_X_REQUEST_ID="req-1",
    )


def page(client: Client, contract: SupplyContract) -> str:
    return client.get(  # type: ignore[no-any-return]
        f"/backoffice/customers/{contract.customer_id}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()


class TestConclude:
    def test_submitted_with_the_lead_time_then_confirmed_by_the_hub(
        self, local: LocalHub, existing: SupplyContract
    ) -> None:
        clerk = staff("kati", *CLERK)
        assert conclude(clerk, existing, days=20, elsewhere=True).status_code == 302
        new = SupplyContract.objects.get(metering_point__eic=NEW_EIC)
        submission = AgreementSubmission.objects.get(contract=new)
        [(agreement_id, sent)] = local.state.agreements.items()
        assert (submission.status, submission.agreement_id) == ("SUBMITTED", agreement_id)
        assert (sent["meterEic"], sent["agreementType"]) == (NEW_EIC, "SUPPLY")
        entry = AuditEntry.objects.get(action="contracts.conclude")
        assert (entry.username, entry.request_id, entry.after["open_supply_elsewhere"]) == (
            "kati",
            "req-1",
            True,
        )
        assert "Submitted" in page(clerk, existing)

        # the hub distributes the agreement back: it is in force
        now = timezone.now()
        local.state.publish(
            "AGREEMENT",
            now - dt.timedelta(hours=1),
            [{**sent, "agreementId": agreement_id}],
        )
        datahub.sync(
            hub=configured(local.url),
            now=now,
            since=now - dt.timedelta(hours=2),
            resource_types=["AGREEMENT"],
            lag=dt.timedelta(0),
        )
        submission.refresh_from_db()
        assert submission.status == "CONFIRMED"
        html = page(clerk, existing)
        assert "Confirmed by the data hub" in html and "Withdraw from the contract" in html

    def test_a_lead_time_that_cannot_be_met_is_refused_with_the_reason(
        self, local: LocalHub, existing: SupplyContract
    ) -> None:
        clerk = staff("kati", *CLERK)
        conclude(clerk, existing, days=3, elsewhere=True)  # 14 days are needed
        submission = AgreementSubmission.objects.get()
        assert submission.status == "REFUSED" and not local.state.agreements
        earliest = timezone.localdate() + dt.timedelta(days=14)
        assert f"can start on {earliest} at the earliest (14 days ahead" in submission.problem
        html = page(clerk, existing)
        assert "Refused" in html and f"{earliest} at the earliest" in html

    def test_the_hub_unreachable_leaves_it_for_the_sync(
        self, local: LocalHub, existing: SupplyContract
    ) -> None:
        local.state.faults.extend([(503, {}, {"message": "maintenance"})] * 2)
        conclude(staff("kati", *CLERK), existing, days=2, elsewhere=False)
        submission = AgreementSubmission.objects.get()
        assert submission.status == "PENDING" and not local.state.agreements
        now = timezone.now()
        report = hub_agreements.send_pending_agreements(
            hub=configured(local.url), today=timezone.localdate(), now=now
        )
        submission.refresh_from_db()
        assert (report.submitted, submission.status) == (1, "SUBMITTED")
        assert list(local.state.agreements) == [submission.agreement_id]

    def test_with_the_hub_off_nothing_is_queued(self, existing: SupplyContract) -> None:
        conclude(staff("kati", *CLERK), existing, days=20, elsewhere=True)
        assert SupplyContract.objects.filter(metering_point__eic=NEW_EIC).exists()
        assert not AgreementSubmission.objects.exists()

    def test_without_the_permission_nothing_is_concluded(
        self, local: LocalHub, existing: SupplyContract
    ) -> None:
        response = conclude(staff("juku", "view_customer"), existing, days=20, elsewhere=True)
        assert response.status_code == 403
        assert "add_supplycontract" in response.content.decode()
        assert not SupplyContract.objects.filter(metering_point__eic=NEW_EIC).exists()
        assert not local.state.agreements


class TestWithdraw:
    def withdraw(self, client: Client, contract: SupplyContract, reason: str) -> Any:
        return client.post(
            f"/backoffice/customers/{contract.customer_id}/contracts/{contract.pk}/withdraw/",
            {"reason": reason},
            HTTP_X_REQUEST_ID="req-2",
        )

    def test_within_fourteen_days_agreement_and_contract_are_cancelled(
        self, local: LocalHub, existing: SupplyContract
    ) -> None:
        clerk = staff("kati", *CLERK)
        conclude(clerk, existing, days=20, elsewhere=True)
        new = SupplyContract.objects.get(metering_point__eic=NEW_EIC)
        response = self.withdraw(clerk, new, "the customer called: changed their mind")
        assert response.status_code == 302
        new.refresh_from_db()
        assert new.status == "CANCELLED"
        assert [a["state"] for a in local.state.agreements.values()] == ["CANCELLED"]
        assert AgreementSubmission.objects.get().status == "CANCELLED"
        entry = AuditEntry.objects.get(action="contract.cancel")
        assert (entry.username, entry.request_id, entry.reason) == (
            "kati",
            "req-2",
            "withdrawal: the customer called: changed their mind",
        )

    def test_a_role_without_the_permission_is_refused(
        self, local: LocalHub, existing: SupplyContract
    ) -> None:
        conclude(staff("kati", *CLERK), existing, days=20, elsewhere=True)
        new = SupplyContract.objects.get(metering_point__eic=NEW_EIC)
        reader = staff("juku", "view_customer", "add_supplycontract")
        assert "Withdraw from the contract" not in page(reader, existing)
        response = self.withdraw(reader, new, "x")
        assert response.status_code == 403
        new.refresh_from_db()
        assert new.status == "ACTIVE"
        assert [a["state"] for a in local.state.agreements.values()] == ["ACTIVE"]
        assert not AuditEntry.objects.filter(action="contract.cancel").exists()

    def test_a_contract_concluded_long_ago_is_refused(
        self, local: LocalHub, existing: SupplyContract
    ) -> None:
        clerk = staff("kati", *CLERK)
        conclude(clerk, existing, days=40, elsewhere=True)
        new = SupplyContract.objects.get(metering_point__eic=NEW_EIC)
        SupplyContract.objects.filter(pk=new.pk).update(
            created_at=timezone.now() - dt.timedelta(days=15)
        )
        response = self.withdraw(clerk, new, "too late")
        assert response.status_code == 302
        new.refresh_from_db()
        assert new.status == "ACTIVE"
        assert "Withdraw from the contract" not in page(clerk, existing)
