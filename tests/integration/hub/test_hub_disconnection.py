"""Dunning's disconnection step through the data hub (issue 15 §2), against the local
stand-in: the DISCONNECTION level sends one DISCONNECT per supplied point, once; the grid
operator's answers are recorded; payment in full reconnects (or calls off a request not
carried out yet); a vulnerable customer, a hold or a paid debt sends nothing; with the hub
off the requests wait and the sync sends them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from datahub_server import LocalHub
from factories import MeteringPointFactory, SupplyContractFactory
from receivables_factories import (
    account,
    credit,
    issued_invoice,
    our_bank_account,
    statement_file,
    statutory_rates,
)
from vool.domain.customers.models import BillingAccount
from vool.domain.hub import operations as hub_operations
from vool.domain.hub.models import ConnectionRequest
from vool.domain.receivables import dunning
from vool.domain.receivables.models import DisconnectionRequest, DunningHold, DunningLevel
from vool.domain.supply.models import MeteringPoint
from vool.integrations.datahub.client import HttpHub
from vool.usecases import datahub, disconnections, import_bank_statement

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DUE = dt.date(2026, 10, 1)
CUT_OFF = dt.date(2026, 11, 5)  # the DISCONNECTION level's run (35 days after due)
MARI_EIC = "38ZEE-00625607-9"
SAUNA_EIC = "38ZEE-1000009--Z"


def at(day: dt.date, hour: int = 6) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture(autouse=True)
def levels() -> None:
    statutory_rates()
    DunningLevel.objects.all().delete()
    for level, days, disconnection in (
        ("REMINDER", 10, None),
        ("WARNING", 20, 14),
        ("DISCONNECTION", 35, None),
    ):
        DunningLevel.objects.create(
            level=level,
            days_after_due=days,
            disconnection_after_days=disconnection,
            minimum_amount=Decimal("5.00"),
            valid_from=dt.date(2026, 1, 1),
        )


def owing(
    reference: str,
    *eics: str,
    gross: str = "40.00",
    number: int = 1,
    joint: tuple[str, ...] | None = None,
) -> BillingAccount:
    """An account supplied at ``eics`` with one unpaid invoice due on 1 October; the points
    ``joint`` (default: all) have a joint invoice (we bill their network fee) from January."""
    billing_account = account(reference)
    for eic in eics:
        point = MeteringPointFactory(eic=eic)
        SupplyContractFactory(billing_account=billing_account, metering_point=point)
        if joint is None or eic in joint:
            hub_operations.add_joint_invoice(
                point=point,
                valid_from=dt.date(2026, 1, 1),
                valid_to=None,
                reference=f"JI-{eic}",
                now=at(dt.date(2026, 1, 1)),
            )
    issued_invoice(billing_account, number=number, gross=gross, due=DUE, period="2026-08")
    return billing_account


def dun(hub: Any, day: dt.date) -> disconnections.DunningOutcome:
    return disconnections.run_dunning(run_date=day, as_of=at(day), by="test", hub=hub)


def up_to_the_cut_off(hub: Any) -> disconnections.DunningOutcome:
    dun(hub, dt.date(2026, 10, 11))  # reminder
    dun(hub, dt.date(2026, 10, 21))  # warning
    return dun(hub, CUT_OFF)


def pay(tmp_path: Path, reference: str, amount: str, *, key: str = "P1") -> None:
    if key == "P1":
        our_bank_account()
    import_bank_statement.import_bank_file(
        path=statement_file(
            tmp_path / f"{key}.xml",
            credit(key, amount, reference=reference),
            statement_id=f"STMT-{key}",
        ),
        as_of=at(dt.date(2026, 11, 9)),
    )


def answer(local: LocalHub, request_id: str, state: str, when: dt.datetime) -> None:
    local.state.publish(
        "CONNECTION_STATE",
        when,
        {"requestId": request_id, "state": state, "stateTime": when.isoformat()},
    )


class TestDisconnection:
    def test_the_cut_off_sends_one_disconnect_per_point_and_records_the_answers(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        mari = owing("10000016", MARI_EIC, SAUNA_EIC)
        dun(api, dt.date(2026, 10, 11))
        dun(api, dt.date(2026, 10, 21))
        assert not local.state.connection_requests  # reminder and warning: letters only
        outcome = dun(api, CUT_OFF)
        assert outcome.result.requests == 1
        assert outcome.hub is not None and len(outcome.hub.disconnect_requests) == 2
        sent = {body["meterEic"]: body for body in local.state.connection_requests.values()}
        assert sorted(sent) == sorted([MARI_EIC, SAUNA_EIC])
        assert {body["state"] for body in sent.values()} == {"DISCONNECT"}
        assert "10000016: 40.00 EUR open after the warning" in sent[MARI_EIC]["comment"]
        ours = ConnectionRequest.objects.get(metering_point__eic=MARI_EIC)
        assert (ours.action, ours.state, ours.billing_account_id) == (
            "DISCONNECT",
            "REQUESTED",
            mari.pk,
        )
        request = DisconnectionRequest.objects.get()
        assert request.status == "SENT" and ours.request_id in request.note

        # the grid operator plans it, then disconnects; the sync records both answers
        answer(local, ours.request_id, "PLANNED", at(CUT_OFF, 8))
        answer(local, ours.request_id, "DISCONNECTED", at(CUT_OFF, 10))
        datahub.sync(
            hub=api,
            now=at(CUT_OFF, 12),
            since=at(CUT_OFF, 0),
            resource_types=["CONNECTION_STATE"],
        )
        ours.refresh_from_db()
        assert ours.state == "DISCONNECTED"
        assert [a.state for a in ours.answers.order_by("answered_at")] == [
            "PLANNED",
            "DISCONNECTED",
        ]

    def test_never_twice_for_a_point(self, local: LocalHub, api: HttpHub) -> None:
        owing("10000016", MARI_EIC)
        up_to_the_cut_off(api)
        # the same date again, the sync's step, and a later run: nothing more is sent
        dun(api, CUT_OFF)
        again = disconnections.send_all(hub=api, today=CUT_OFF, now=at(CUT_OFF, 9))
        assert (again.disconnect_requests, again.connect_requests) == ([], [])
        # a second overdue invoice reaches the cut-off later: the point is asked for already
        issued_invoice(
            BillingAccount.objects.get(), number=2, gross="30.00", due=dt.date(2026, 10, 10)
        )
        for day in (dt.date(2026, 10, 25), dt.date(2026, 11, 1), dt.date(2026, 11, 20)):
            dun(api, day)
        assert len(local.state.connection_requests) == 1
        second = DisconnectionRequest.objects.order_by("pk").last()
        assert second is not None and second.status == "SENT"
        assert second.note == f"{MARI_EIC}: already requested"

    def test_payment_in_full_after_the_disconnection_reconnects(
        self, local: LocalHub, api: HttpHub, tmp_path: Path
    ) -> None:
        mari = owing("10000016", MARI_EIC)
        [disconnect] = up_to_the_cut_off(api).hub.disconnect_requests  # type: ignore[union-attr]
        answer(local, disconnect, "DISCONNECTED", at(CUT_OFF, 10))
        datahub.sync(
            hub=api, now=at(CUT_OFF, 12), since=at(CUT_OFF, 0), resource_types=["CONNECTION_STATE"]
        )
        pay(tmp_path, "10000016", "30.00")  # part of it: still disconnected
        partly = disconnections.send_reconnections(hub=api, now=at(dt.date(2026, 11, 9)))
        assert (partly.connect_requests, partly.cancelled) == ([], [])
        pay(tmp_path, "10000016", "10.00", key="P2")
        report = disconnections.send_all(
            hub=api, today=dt.date(2026, 11, 9), now=at(dt.date(2026, 11, 9), 12)
        )
        [connect] = report.connect_requests
        assert local.state.connection_requests[connect] == {
            "meterEic": MARI_EIC,
            "state": "CONNECT",
            "comment": f"the invoices of disconnection request {disconnect} are paid",
        }
        reconnect = ConnectionRequest.objects.get(request_id=connect)
        assert (reconnect.action, reconnect.billing_account_id) == ("CONNECT", mari.pk)
        # once only
        later = disconnections.send_all(
            hub=api, today=dt.date(2026, 11, 10), now=at(dt.date(2026, 11, 10))
        )
        assert later.connect_requests == [] and len(local.state.connection_requests) == 2

    def test_paid_before_it_is_carried_out_the_request_is_called_off(
        self, local: LocalHub, api: HttpHub, tmp_path: Path
    ) -> None:
        owing("10000016", MARI_EIC)
        [disconnect] = up_to_the_cut_off(api).hub.disconnect_requests  # type: ignore[union-attr]
        pay(tmp_path, "10000016", "40.00")
        report = disconnections.send_all(
            hub=api, today=dt.date(2026, 11, 9), now=at(dt.date(2026, 11, 9), 12)
        )
        assert (report.cancelled, report.connect_requests) == ([disconnect], [])
        assert local.state.connection_requests[disconnect]["state"] == "CANCELLED"
        request = ConnectionRequest.objects.get(request_id=disconnect)
        assert request.state == "CANCELLED"
        assert request.answers.get().comment == "called off by the supplier: the invoices were paid"


class TestNotSent:
    def test_vulnerable_held_or_without_a_point(self, local: LocalHub, api: HttpHub) -> None:
        vulnerable = owing("10000016", MARI_EIC, number=1)
        vulnerable.customer.is_vulnerable = True
        vulnerable.customer.save()
        held = owing("10000029", SAUNA_EIC, number=2)
        owing("10000032", number=3)  # no contract: supplied at no point
        dun(api, dt.date(2026, 10, 11))
        dun(api, dt.date(2026, 10, 21))
        # a clerk's hold set between the warning and the cut-off, from the cut-off's day
        dunning.add_hold(
            kind=DunningHold.Kind.CLERK,
            billing_account_id=held.pk,
            reason="payment plan agreed on the phone",
            by="clerk.anu",
            valid_from=CUT_OFF + dt.timedelta(days=1),
            valid_to=None,
            as_of=at(CUT_OFF),
        )
        outcome = dun(api, CUT_OFF)  # the hold starts tomorrow: the letter is written today
        assert outcome.result.requests == 3
        # the vulnerable customer and the account without a point: nothing sent
        assert [b["meterEic"] for b in local.state.connection_requests.values()] == [SAUNA_EIC]
        assert outcome.hub is not None and sorted(outcome.hub.not_sent) == [
            "10000016",
            "10000032",
        ]
        assert "vulnerable" in outcome.hub.not_sent["10000016"]
        assert "no metering point" in outcome.hub.not_sent["10000032"]
        # the held account's request was sent on the day; a hold active when the request is
        # still pending would stop it (below, with the hub off)
        assert DisconnectionRequest.objects.get(billing_account=held).status == "SENT"
        statuses = dict(DisconnectionRequest.objects.values_list("billing_account_id", "status"))
        assert statuses[vulnerable.pk] == "CANCELLED"

    def test_a_request_the_hub_refuses_is_noted_and_not_retried(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        owing("10000016", MARI_EIC)
        dun(api, dt.date(2026, 10, 11))
        dun(api, dt.date(2026, 10, 21))
        refusal = {"code": "METER_NOT_FOUND", "message": "no supply agreement of yours"}
        local.state.faults.append((400, {}, refusal))
        outcome = dun(api, CUT_OFF)
        assert outcome.hub is not None and "METER_NOT_FOUND" in outcome.hub.not_sent["10000016"]
        request = DisconnectionRequest.objects.get()
        assert request.status == "CANCELLED"
        assert request.note.startswith(f"{MARI_EIC}: the data hub refused the request")
        assert not ConnectionRequest.objects.exists()
        disconnections.send_all(hub=api, today=CUT_OFF, now=at(CUT_OFF, 9))
        assert not local.state.connection_requests  # not sent again

    def test_with_the_hub_off_the_requests_wait_for_the_sync(
        self, local: LocalHub, api: HttpHub, settings: Any
    ) -> None:
        settings.VOOL_DATAHUB_ENABLED = False
        owing("10000016", MARI_EIC, number=1)
        held = owing("10000029", SAUNA_EIC, number=2)
        outcome = up_to_the_cut_off(None)
        assert outcome.hub is None
        assert set(DisconnectionRequest.objects.values_list("status", flat=True)) == {"PENDING"}
        dunning.add_hold(
            kind=DunningHold.Kind.VULNERABLE,
            billing_account_id=held.pk,
            reason="home oxygen concentrator",
            by="clerk.anu",
            valid_from=CUT_OFF + dt.timedelta(days=1),
            valid_to=None,
            as_of=at(CUT_OFF),
        )
        # the hub is switched on; the sync's step sends what waits, the next day
        report = disconnections.send_all(
            hub=api, today=CUT_OFF + dt.timedelta(days=1), now=at(CUT_OFF, 23)
        )
        assert [b["meterEic"] for b in local.state.connection_requests.values()] == [MARI_EIC]
        assert report.not_sent == {
            "10000029": "not sent: a VULNERABLE dunning hold is active: home oxygen concentrator"
        }


class TestOnlyWithAJointInvoice:
    """ESTONIA.md §6: a supplier may have a point disconnected for non-payment only when it
    bills the point's network fee too (a joint-invoice agreement on the day)."""

    def test_an_account_without_a_joint_invoice_is_listed_and_nothing_is_sent(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        owing("10000016", MARI_EIC, joint=())
        with translation.override("en"):
            outcome = up_to_the_cut_off(api)
        assert outcome.result.requests == 1
        assert not local.state.connection_requests
        why = outcome.without_joint_invoice["10000016"]
        assert MARI_EIC in why and "joint-invoice" in why and "2026-11-05" in why
        request = DisconnectionRequest.objects.get()
        assert (request.status, request.note) == ("CANCELLED", why)
        # a later sync does not send it either
        disconnections.send_all(hub=api, today=CUT_OFF, now=at(CUT_OFF, 9))
        assert not local.state.connection_requests

    def test_the_reason_is_translated(self, local: LocalHub, api: HttpHub) -> None:
        owing("10000016", MARI_EIC, joint=())
        with translation.override("et"):
            outcome = up_to_the_cut_off(api)
        why = outcome.without_joint_invoice["10000016"]
        assert why.startswith("ei saadetud") and MARI_EIC in why
        with translation.override("ru"):
            assert "не отправлено" in disconnections.no_joint_invoice_reason(
                [MARI_EIC], day=CUT_OFF
            )

    def test_with_the_hub_off_the_run_lists_the_account_at_once(
        self, local: LocalHub, settings: Any
    ) -> None:
        settings.VOOL_DATAHUB_ENABLED = False
        owing("10000016", MARI_EIC, joint=(), number=1)
        owing("10000029", SAUNA_EIC, number=2)
        outcome = up_to_the_cut_off(None)
        assert outcome.hub is None
        assert list(outcome.without_joint_invoice) == ["10000016"]
        statuses = dict(
            DisconnectionRequest.objects.values_list("billing_account__reference_number", "status")
        )
        assert statuses == {"10000016": "CANCELLED", "10000029": "PENDING"}

    def test_vool_dunning_run_lists_the_account(self, settings: Any) -> None:
        settings.VOOL_DATAHUB_ENABLED = False
        owing("10000016", MARI_EIC, joint=())
        for day in ("2026-10-11", "2026-10-21"):
            call_command("dunning", "run", "--date", day, stdout=StringIO())
        out = StringIO()
        with translation.override("en"):
            call_command("dunning", "run", "--date", CUT_OFF.isoformat(), stdout=out)
        text = out.getvalue()
        assert "1 account(s) not to be disconnected (no joint invoice):" in text
        assert f"  10000016: not sent: we do not bill the network fee of {MARI_EIC}" in text

    def test_only_the_points_with_a_joint_invoice_are_asked_for(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        owing("10000016", MARI_EIC, SAUNA_EIC, joint=(SAUNA_EIC,))
        outcome = up_to_the_cut_off(api)
        assert [b["meterEic"] for b in local.state.connection_requests.values()] == [SAUNA_EIC]
        assert outcome.hub is not None and len(outcome.hub.disconnect_requests) == 1
        assert MARI_EIC in outcome.without_joint_invoice["10000016"]
        assert SAUNA_EIC not in outcome.without_joint_invoice["10000016"]
        request = DisconnectionRequest.objects.get()
        assert request.status == "SENT" and MARI_EIC in request.note

    def test_an_agreement_ended_before_the_day_does_not_count(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        owing("10000016", MARI_EIC, joint=())
        point = MeteringPoint.objects.get(eic=MARI_EIC)
        hub_operations.add_joint_invoice(
            point=point,
            valid_from=dt.date(2026, 1, 1),
            valid_to=CUT_OFF,  # exclusive: the agreement does not cover the cut-off day
            reference="JI-1",
            now=at(dt.date(2026, 1, 1)),
        )
        outcome = up_to_the_cut_off(api)
        assert "10000016" in outcome.without_joint_invoice
        assert not local.state.connection_requests

    @translation.override("en")
    def test_joint_invoice_periods_of_a_point_do_not_overlap(self) -> None:
        point = MeteringPointFactory(eic=MARI_EIC)
        hub_operations.add_joint_invoice(
            point=point,
            valid_from=dt.date(2026, 1, 1),
            valid_to=dt.date(2026, 6, 1),
            reference="A",
            now=at(dt.date(2026, 1, 1)),
        )
        with pytest.raises(hub_operations.InvalidJointInvoice, match="overlaps"):
            hub_operations.add_joint_invoice(
                point=point,
                valid_from=dt.date(2026, 5, 1),
                valid_to=None,
                reference="B",
                now=at(dt.date(2026, 1, 1)),
            )
        with pytest.raises(hub_operations.InvalidJointInvoice, match=MARI_EIC):
            hub_operations.add_joint_invoice(
                point=point,
                valid_from=dt.date(2026, 7, 1),
                valid_to=dt.date(2026, 7, 1),
                reference="C",
                now=at(dt.date(2026, 1, 1)),
            )
        hub_operations.add_joint_invoice(  # touching ends: fine
            point=point,
            valid_from=dt.date(2026, 6, 1),
            valid_to=None,
            reference="B",
            now=at(dt.date(2026, 1, 1)),
        )
