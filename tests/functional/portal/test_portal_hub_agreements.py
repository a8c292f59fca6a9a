"""The portal and the data hub (issue 15 §2): a move-in's agreement goes to the hub (a move-in
reported on the day cannot meet the 1-day lead time: refused, shown); a new contract's hub
state is shown and the customer withdraws within 14 days (cancelled in the hub and in Vool,
audited with the address); another customer's contract is 404 and stays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub
from factories import MeterFactory, MeteringPointFactory, RegisterFactory, SupplyContractFactory
from vool.domain.audit.models import AuditEntry
from vool.domain.contracts.models import SupplyContract
from vool.domain.hub.models import AgreementSubmission
from vool.domain.supply.models import MeteringPoint
from vool.integrations.datahub.client import HttpHub, HubConfig
from vool.usecases import datahub, hub_agreements

pytestmark = pytest.mark.django_db


@pytest.fixture
def local(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    with LocalHub() as hub:
        settings.VOOL_DATAHUB_ENABLED = True
        config = HubConfig(
            base_url=hub.url,
            token_url=f"{hub.url}/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_version="v2",
            max_retries=1,
            backoff_s=0.01,
        )
        monkeypatch.setattr(
            datahub, "hub_from_settings", lambda: HttpHub(config, sleep=lambda s: None)
        )
        yield hub


def new_contract(household: Any, *, days: int) -> SupplyContract:
    """A contract concluded today for another point of the household, starting in ``days``,
    its agreement sent to the hub as a concluded contract's is."""
    contract = SupplyContractFactory(
        billing_account=household.account,
        product=household.contract.product,
        valid_from=timezone.localdate() + dt.timedelta(days=days),
    )
    hub_agreements.queue_for_new_contract(
        contract=contract, open_supply_elsewhere=True, now=timezone.now()
    )
    hub_agreements.send_queued(contract=contract, now=timezone.now())
    return contract  # type: ignore[no-any-return]


class TestMoveIn:
    def test_the_agreement_goes_to_the_hub_and_its_refusal_is_shown(
        self, client: Any, household: Any, local: LocalHub
    ) -> None:
        point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
        RegisterFactory(meter=MeterFactory(metering_point=point))
        client.force_login(household.user)
        data = {
            "eic": point.eic,
            "move_in_on": timezone.localdate().isoformat(),
            "account": household.account.pk,
            "product": household.contract.product.code,
            "value_SINGLE": "77",
            "confirmed": "on",
        }
        assert client.post("/portal/contracts/move-in/", data).status_code == 302
        submission = AgreementSubmission.objects.get(contract__metering_point=point)
        assert submission.status == "REFUSED" and not local.state.agreements
        assert "1 day ahead from general service" in submission.problem
        page = client.get("/portal/contracts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "customer service will contact you" in page


class TestWithdraw:
    def test_the_hub_state_is_shown_and_the_customer_withdraws(
        self, client: Any, household: Any, local: LocalHub
    ) -> None:
        contract = new_contract(household, days=20)
        client.force_login(household.user)
        page = client.get("/portal/contracts/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
        until = timezone.localdate() + dt.timedelta(days=14)
        assert "Esitatud" in page  # Submitted
        assert f"{until.day}." in page and f"/portal/contracts/{contract.pk}/withdraw/" in page
        url = f"/portal/contracts/{contract.pk}/withdraw/"
        first = client.post(url, {}, HTTP_ACCEPT_LANGUAGE="en")
        assert first.status_code == 200 and "Confirm the withdrawal" in first.content.decode()
        contract.refresh_from_db()
        assert contract.status == "ACTIVE"
        done = client.post(url, {"confirmed": "on"}, REMOTE_ADDR="192.0.2.9")
        assert done.status_code == 302
        contract.refresh_from_db()
        assert contract.status == "CANCELLED"
        assert [a["state"] for a in local.state.agreements.values()] == ["CANCELLED"]
        entry = AuditEntry.objects.get(action="contract.cancel")
        assert (entry.user, entry.source_address, entry.reason) == (
            household.user,
            "192.0.2.9",
            "withdrawal: the customer withdrew in the portal",
        )

    def test_another_customers_contract_is_404_and_stays(
        self, client: Any, household: Any, stranger: Any, local: LocalHub
    ) -> None:
        theirs = new_contract(stranger, days=20)
        client.force_login(household.user)
        url = f"/portal/contracts/{theirs.pk}/withdraw/"
        assert client.post(url, {"confirmed": "on"}).status_code == 404
        assert client.post(url, {}).status_code == 404
        theirs.refresh_from_db()
        assert theirs.status == "ACTIVE"
        assert [a["state"] for a in local.state.agreements.values()] == ["ACTIVE"]

    def test_after_the_fourteen_days_no_button_and_refused(
        self, client: Any, household: Any, local: LocalHub
    ) -> None:
        contract = new_contract(household, days=30)
        SupplyContract.objects.filter(pk=contract.pk).update(
            created_at=timezone.now() - dt.timedelta(days=15)
        )
        client.force_login(household.user)
        url = f"/portal/contracts/{contract.pk}/withdraw/"
        page = client.get("/portal/contracts/").content.decode()
        assert url not in page
        response = client.post(url, {"confirmed": "on"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
        assert "cannot be withdrawn in the portal" in response.content.decode()
        contract.refresh_from_db()
        assert contract.status == "ACTIVE"
