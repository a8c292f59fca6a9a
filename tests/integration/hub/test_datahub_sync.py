"""The data-hub conversation end to end against the local stand-in (tests/datahub_server.py):
polling, master data, metering data, switching in and away (with the final bill), connection
state, and resuming a sync that was stopped. The messages are written from the hub's
documentation (eng/30-data-distribution.md, eng/12-metering-data.md, eng/21-...)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from billing_factories import add_intervals, fixed_product, load_test_tariffs, remote_account
from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub
from factories import GridOperatorFactory, MeteringPointFactory, SupplyContractFactory
from vool.common.localtime import Month
from vool.domain.audit.models import AuditEntry
from vool.domain.billing.models import Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.hub import operations as hub_operations
from vool.domain.hub.models import (
    AgreementSubmission,
    ConnectionRequest,
    HubCursor,
    HubEntry,
    PointHubState,
)
from vool.domain.metering.models import IntervalDay, MeteringImport
from vool.domain.supply.models import MeteringPoint
from vool.integrations.datahub.client import HttpHub, HubConfig, HubUnavailable
from vool.usecases import bill_run, datahub

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SINCE = dt.datetime(2026, 11, 1, 22, 0, tzinfo=UTC)  # 2 Nov 00:00 in Tallinn
NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
NEW_EIC = "38ZEE-00625607-9"
OTHER_EIC = "38ZEE-1000009--Z"


@pytest.fixture
def local() -> Iterator[LocalHub]:
    with LocalHub() as hub:
        yield hub


@pytest.fixture
def api(local: LocalHub) -> Iterator[HttpHub]:
    config = HubConfig(
        base_url=local.url,
        token_url=f"{local.url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_version="v2",
        page_size=2,
        max_retries=2,
        backoff_s=0.1,
        timeout_s=5,
    )
    with HttpHub(config, sleep=lambda s: None) as client:
        yield client


def sync(api: HttpHub, *types: str, now: dt.datetime = NOW, **kw: object) -> datahub.SyncReport:
    return datahub.sync(hub=api, now=now, since=SINCE, resource_types=types or datahub.SYNCED, **kw)  # type: ignore[arg-type]


def point_message(eic: str, **characteristics: object) -> dict[str, object]:
    """A METERING_POINT resource as eng/30-data-distribution.md shows it."""
    return {
        "meteringPoint": {"meterEic": eic, "meteringType": "REMOTE_READING"},
        "meterLocation": {
            "adrId": 3182855,
            "county": "Rapla maakond",
            "municipality": "Kehtna vald",
            "locality": "Järvakandi alev",
            "streetAddress": ", Uus tn, , 20-3",
            "postcode": "79101",
        },
        "electricityCharacteristics": {
            "connectionState": "CONNECTED",
            "resolution": "PT15M",
            "production": True,
            "gridOperatorEic": "38ZEE-1000007L-E",
            **characteristics,
        },
    }


def quarter_hours(eic: str, start: dt.datetime, kwh: list[str]) -> list[dict[str, object]]:
    """V2 metering data: one point, a period per quarter hour (eng/12-metering-data.md)."""
    return [
        {
            "meteringPointEic": eic,
            "periods": [
                {
                    "pS": (start + dt.timedelta(minutes=15 * i)).isoformat(),
                    "rTime": "2026-11-02T07:00:00Z",
                    "outQty": {"rType": "M", "kwh": float(k)},
                    "netQtyOut": float(k),
                    "netQtyIn": 0,
                }
                for i, k in enumerate(kwh)
            ],
        }
    ]


class TestMasterData:
    def test_a_new_point_is_created_and_a_known_one_updated(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        GridOperatorFactory()
        known = MeteringPointFactory(eic=OTHER_EIC, street_address="Vana 1", city="Tartu")
        at = SINCE + dt.timedelta(hours=2)
        local.state.publish("METERING_POINT", at, point_message(NEW_EIC, networkPackage="V2"))
        local.state.publish(
            "METERING_POINT", at, point_message(OTHER_EIC, connectionState="DISCONNECTED")
        )
        report = sync(api, "METERING_POINT")
        assert (report.done, report.queued) == (2, 0)
        new = MeteringPoint.objects.get(eic=NEW_EIC)
        assert (new.street_address, new.city, new.postal_code) == (
            "Uus tn 20-3",
            "Järvakandi alev",
            "79101",
        )
        assert (new.network_package_code, new.resolution, new.metering_method) == (
            "V2",
            "PT15M",
            "REMOTE_INTERVAL",
        )
        known.refresh_from_db()
        assert (known.street_address, known.city) == ("Uus tn 20-3", "Järvakandi alev")
        state = PointHubState.objects.get(metering_point=known)
        assert (state.connection_state, state.address_id, state.production) == (
            "DISCONNECTED",
            3182855,
            True,
        )

    def test_a_point_of_an_unknown_grid_operator_is_queued(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        local.state.publish("METERING_POINT", SINCE, point_message(NEW_EIC, networkPackage="V2"))
        report = sync(api, "METERING_POINT")
        assert report.queued == 1
        entry = HubEntry.objects.get()
        assert entry.status == "QUEUED"
        assert "the grid operator 38ZEE-1000007L-E is not known" in entry.problem
        assert not MeteringPoint.objects.exists()


class TestMeteringData:
    def test_entries_are_imported_and_a_bad_one_is_queued_whole(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        MeteringPointFactory(eic=NEW_EIC)
        local.state.publish(
            "METERING_DATA",
            SINCE + dt.timedelta(minutes=10),
            quarter_hours(NEW_EIC, SINCE, ["0.5", "0.25"]),
        )
        bad = quarter_hours(NEW_EIC, SINCE + dt.timedelta(hours=1), ["0.1"]) + quarter_hours(
            OTHER_EIC, SINCE, ["1"]
        )
        local.state.publish("METERING_DATA", SINCE + dt.timedelta(minutes=70), bad)
        report = sync(api, "METERING_DATA")
        assert (report.done, report.queued) == (1, 1)
        [day] = IntervalDay.objects.all()
        assert day.total_wh == 750
        queued = HubEntry.objects.get(status="QUEUED")
        assert f"{OTHER_EIC} is not a metering point of ours" in queued.problem
        # an hour is the longest window the hub allows for metering data
        windows = {(s["periodStart"], s["periodEnd"]) for s in local.state.searches()}
        assert ("2026-11-01T22:00:00.000Z", "2026-11-01T23:00:00.000Z") in windows
        assert len(windows) == 14  # 22:00 .. 11:55 next day, an hour at a time

    def test_the_sync_resumes_after_being_stopped_and_stores_nothing_twice(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        MeteringPointFactory(eic=NEW_EIC)
        for hour in range(3):
            for quarter in range(2):  # two entries an hour, one quarter hour each
                start = SINCE + dt.timedelta(hours=hour, minutes=15 * quarter)
                local.state.publish(
                    "METERING_DATA",
                    start + dt.timedelta(minutes=20),
                    quarter_hours(NEW_EIC, start, ["0.1"]),
                )
        local.state.publish(
            "METERING_DATA",
            SINCE + dt.timedelta(minutes=21),
            quarter_hours(NEW_EIC, SINCE + dt.timedelta(minutes=30), ["0.1"]),
        )  # a third entry in the first hour: that window has two pages
        # the hub goes down at the third search, for longer than the client retries
        pages: list[datahub.SyncProgress] = []
        real_search = api.search

        def failing_search(**kw):  # type: ignore[no-untyped-def]
            if len(pages) == 2:
                local.state.faults = [(503, {}, {"message": "maintenance"})] * 3
            return real_search(**kw)

        api.search = failing_search  # type: ignore[method-assign]
        with pytest.raises(HubUnavailable):
            sync(api, "METERING_DATA", progress=pages.append)
        assert [(p.page, p.new_entries) for p in pages] == [(0, 2), (1, 1)]
        cursor = HubCursor.objects.get(resource_type="METERING_DATA")
        assert cursor.window_start == SINCE + dt.timedelta(hours=1) and cursor.page == 0
        api.search = real_search  # type: ignore[method-assign]
        # stopped again after one page (as a kill between two pages would)
        again = sync(api, "METERING_DATA", max_pages=1)
        assert (again.pages, again.finished) == (1, False)
        rest = sync(api, "METERING_DATA")
        assert rest.finished
        assert HubEntry.objects.count() == 7 and HubEntry.objects.filter(status="DONE").count() == 7
        assert MeteringImport.objects.count() == 7
        # each entry once: seven versions of the day, the last holding all seven quarters
        day = IntervalDay.objects.get(is_current=True)
        assert (IntervalDay.objects.count(), day.version, day.total_wh) == (7, 7, 700)

    def test_an_entry_seen_again_is_not_handled_again(self, local: LocalHub, api: HttpHub) -> None:
        MeteringPointFactory(eic=NEW_EIC)
        local.state.publish("METERING_DATA", SINCE, quarter_hours(NEW_EIC, SINCE, ["0.2"]))
        sync(api, "METERING_DATA")
        HubCursor.objects.all().delete()  # as if the position were lost
        report = sync(api, "METERING_DATA")
        assert (report.new_entries, report.done) == (0, 0)
        assert MeteringImport.objects.count() == 1


class TestSwitching:
    def test_a_new_contract_is_submitted_with_the_legal_lead_time(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        today = dt.date(2026, 11, 2)
        soon = SupplyContractFactory(valid_from=dt.date(2026, 11, 10))
        with pytest.raises(datahub.UnableToSubmitAgreement, match="2026-11-16 at the earliest"):
            datahub.submit_agreement(
                hub=api, contract=soon, open_supply_elsewhere=True, today=today, now=NOW
            )
        # from general service one day ahead is enough
        submission = datahub.submit_agreement(
            hub=api, contract=soon, open_supply_elsewhere=False, today=today, now=NOW
        )
        [(agreement_id, sent)] = local.state.agreements.items()
        assert submission.agreement_id == agreement_id
        assert (sent["meterEic"], sent["agreementType"], sent["validFrom"]) == (
            soon.metering_point.eic,
            "SUPPLY",
            "2026-11-09T22:00:00.000Z",  # 10 Nov 00:00 in Tallinn
        )

    def test_a_withdrawal_within_fourteen_days_cancels_agreement_and_contract(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        contract = SupplyContractFactory(valid_from=dt.date(2026, 12, 1))
        SupplyContract.objects.filter(pk=contract.pk).update(created_at=NOW)
        contract.refresh_from_db()
        datahub.submit_agreement(
            hub=api,
            contract=contract,
            open_supply_elsewhere=True,
            today=dt.date(2026, 11, 2),
            now=NOW,
        )
        datahub.withdraw_agreement(
            hub=api,
            contract=contract,
            today=dt.date(2026, 11, 10),
            now=NOW + dt.timedelta(days=8),
            user=None,
            reason="the customer changed their mind",
        )
        contract.refresh_from_db()
        assert contract.status == "CANCELLED"
        assert [a["state"] for a in local.state.agreements.values()] == ["CANCELLED"]
        assert AuditEntry.objects.get(action="contract.cancel").reason == (
            "withdrawal: the customer changed their mind"
        )

    def test_a_withdrawal_after_fourteen_days_is_refused(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        contract = SupplyContractFactory(valid_from=dt.date(2026, 12, 20))
        SupplyContract.objects.filter(pk=contract.pk).update(created_at=NOW)
        contract.refresh_from_db()
        datahub.submit_agreement(
            hub=api,
            contract=contract,
            open_supply_elsewhere=True,
            today=dt.date(2026, 11, 2),
            now=NOW,
        )
        with (
            translation.override("en"),
            pytest.raises(datahub.UnableToWithdraw, match=r"until 11/16/2026\.$"),
        ):
            datahub.withdraw_agreement(
                hub=api,
                contract=contract,
                today=dt.date(2026, 11, 17),
                now=NOW,
                user=None,
                reason="x",
            )
        with translation.override("ru"), pytest.raises(datahub.UnableToWithdraw) as refused:
            datahub.withdraw_agreement(
                hub=api,
                contract=contract,
                today=dt.date(2026, 11, 17),
                now=NOW,
                user=None,
                reason="x",
            )
        assert str(refused.value).endswith("отказаться можно в течение 14 дней, до 16.11.2026.")

    def test_switching_away_ends_the_contract_and_the_run_makes_the_final_bill(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        load_test_tariffs()
        contract = remote_account(product=fixed_product())
        add_intervals(contract.metering_point, Month(2026, 10), wh=100)
        hub_operations.record_agreement(
            contract=contract, agreement_id="agr-ours", open_supply_elsewhere=False, now=NOW
        )
        # the hub ends our agreement: another supplier supplies from 16 October
        october = dt.datetime(2026, 10, 2, 8, 0, tzinfo=UTC)
        local.state.publish(
            "AGREEMENT",
            october,
            [
                {
                    "agreementId": "agr-ours",
                    "meterEic": contract.metering_point.eic,
                    "agreementType": "SUPPLY",
                    "preliminaryTerminationFee": False,
                    "commodityType": "ELECTRICITY",
                    "validFrom": "2024-12-31T22:00:00Z",
                    "validTo": "2026-10-15T21:00:00Z",
                }
            ],
            reason="SUPPLIER_CHANGE",
        )
        report = datahub.sync(
            hub=api,
            now=dt.datetime(2026, 10, 2, 12, 0, tzinfo=UTC),
            since=dt.datetime(2026, 10, 1, 0, 0, tzinfo=UTC),
            resource_types=["AGREEMENT"],
        )
        assert report.contracts_ended == [contract.pk]
        contract.refresh_from_db()
        assert (contract.valid_to, contract.status) == (dt.date(2026, 10, 16), "TERMINATED")
        audit = AuditEntry.objects.get(action="contract.end")
        assert audit.username == "" and "another supplier takes the point" in audit.reason
        assert AgreementSubmission.objects.get().status == "ENDED"
        bill_run.run_billing(period=Month(2026, 10), today=dt.date(2026, 11, 5))
        invoice = Invoice.objects.get(billing_account=contract.billing_account, status="ISSUED")
        lines = [
            (ln.component, ln.quantity, ln.amount) for ln in invoice.lines.order_by("position")
        ]
        # 1-15 October: 15 x 96 quarter hours x 100 Wh = 144 kWh; fees for 15 of 31 days
        assert lines == [
            ("ENERGY", Decimal("144.000"), Decimal("17.28")),
            ("PRODUCT_FEE", Decimal("15.000"), Decimal("1.45")),
            ("NETWORK_ENERGY", Decimal("144.000"), Decimal("7.20")),
            ("NETWORK_FEE", Decimal("15.000"), Decimal("1.94")),
            ("EXCISE", Decimal("144.000"), Decimal("0.29")),
        ]
        # November: no contract any more, no bill
        bill_run.run_billing(period=Month(2026, 11), today=dt.date(2026, 12, 5))
        assert Invoice.objects.filter(billing_account=contract.billing_account).count() == 1

    def test_another_suppliers_agreement_on_our_point_ends_our_contract(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        contract = SupplyContractFactory(valid_from=dt.date(2025, 1, 1))
        local.state.publish(
            "AGREEMENT",
            SINCE,
            [
                {
                    "agreementId": "theirs-1",
                    "meterEic": contract.metering_point.eic,
                    "agreementType": "SUPPLY",
                    "commodityType": "ELECTRICITY",
                    "validFrom": "2026-11-19T22:00:00Z",
                }
            ],
        )
        sync(api, "AGREEMENT")
        contract.refresh_from_db()
        assert contract.valid_to == dt.date(2026, 11, 20)


class TestConnectionState:
    def test_a_disconnection_request_round_trips(self, local: LocalHub, api: HttpHub) -> None:
        point = MeteringPointFactory(eic=NEW_EIC)
        request = datahub.request_connection_state(
            hub=api,
            metering_point=point,
            action="DISCONNECT",
            reason="invoice 2026-000123 unpaid after the warning",
            user=None,
            now=NOW,
        )
        [(request_id, sent)] = local.state.connection_requests.items()
        assert (request.request_id, sent["meterEic"], sent["state"]) == (
            request_id,
            NEW_EIC,
            "DISCONNECT",
        )
        for hours, state in ((1, "PLANNED"), (3, "DISCONNECTED")):
            local.state.publish(
                "CONNECTION_STATE",
                SINCE + dt.timedelta(hours=hours),
                {
                    "requestId": request_id,
                    "state": state,
                    "stateTime": (SINCE + dt.timedelta(hours=hours)).isoformat(),
                },
            )
        sync(api, "CONNECTION_STATE")
        request.refresh_from_db()
        assert request.state == "DISCONNECTED"
        assert [a.state for a in request.answers.order_by("answered_at")] == [
            "PLANNED",
            "DISCONNECTED",
        ]

    def test_an_answer_to_a_request_we_did_not_make_is_queued(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        local.state.publish("CONNECTION_STATE", SINCE, {"requestId": "cs-x", "state": "REFUSED"})
        sync(api, "CONNECTION_STATE")
        assert HubEntry.objects.get().status == "QUEUED"
        assert not ConnectionRequest.objects.exists()


class TestKeptAndSettings:
    def test_customers_are_kept_for_later(self, local: LocalHub, api: HttpHub) -> None:
        local.state.publish("CUSTOMER", SINCE, [{"customerId": "C-1"}])
        report = sync(api, "CUSTOMER")
        assert report.kept == 1 and HubEntry.objects.get().status == "KEPT"

    def test_the_hub_is_off_by_default(self) -> None:
        with pytest.raises(datahub.HubDisabled, match="VOOL_DATAHUB_ENABLED"):
            datahub.hub_from_settings()


class TestScheduler:
    def test_the_beat_syncs_every_quarter_hour(self) -> None:
        from vool.config.celery import app as celery_app

        entry = celery_app.conf.beat_schedule["datahub-sync"]
        assert entry["task"] == "vool.datahub.sync"
        assert entry["schedule"].minute == {0, 15, 30, 45}

    def test_the_task_is_a_no_op_while_the_hub_is_off(self) -> None:
        from vool.interfaces.jobs import datahub as datahub_jobs

        assert datahub_jobs.sync_datahub.run() == "DISABLED"

    def test_the_task_syncs_when_the_hub_is_on(self, local: LocalHub, settings: object) -> None:
        from vool.interfaces.jobs import datahub as datahub_jobs

        for name, value in {
            "VOOL_DATAHUB_ENABLED": True,
            "VOOL_DATAHUB_BASE_URL": local.url,
            "VOOL_DATAHUB_TOKEN_URL": f"{local.url}/token",
            "VOOL_DATAHUB_CLIENT_ID": CLIENT_ID,
            "VOOL_DATAHUB_CLIENT_SECRET": CLIENT_SECRET,
        }.items():
            setattr(settings, name, value)
        local.state.publish(
            "CUSTOMER", dt.datetime.now(UTC) - dt.timedelta(hours=2), [{"customerId": "C-1"}]
        )
        result = datahub_jobs.sync_datahub.run(since_hours=3)
        assert ", 1 new," in result
        assert HubEntry.objects.get().status == "KEPT"
