"""Network bills from the hub (NETWORK_BILL) read into records, once per bill id, and checked
against the network kWh Vool billed on joint invoices (issue 15). The messages are ours,
written from eng/30-data-distribution.md's description ("day/night kWh per direction"); the
field names are documented in docs/architecture.md."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from billing_factories import add_intervals, fixed_product, load_test_tariffs, remote_account
from cases_factories import in_role
from datahub_server import LocalHub
from vool.common.localtime import Month
from vool.config.celery import app as celery_app
from vool.domain.audit.models import AuditEntry
from vool.domain.cases import operations as case_operations
from vool.domain.cases import roles
from vool.domain.hub import operations as hub_operations
from vool.domain.hub.models import HubEntry, NetworkBill, NetworkBillDifference
from vool.domain.supply.models import MeteringPoint
from vool.integrations.datahub.client import HttpHub
from vool.interfaces.jobs import datahub as datahub_jobs
from vool.usecases import bill_run, case_work, datahub, freeze, network_bills, work_queues
from vool.usecases.backoffice_actions import NotAllowed

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SINCE = dt.datetime(2026, 11, 9, 22, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
OCTOBER = Month(2026, 10)
# October 2026 in Tallinn: 31 days, the 25th has 25 hours: (31 x 96 + 4) x 100 Wh = 298 kWh
OCTOBER_KWH = Decimal("298.000")


def bill(bill_id: str, eic: str, day_out: Any, night_out: Any, **extra: Any) -> dict[str, Any]:
    """A NETWORK_BILL for October (local midnights in UTC)."""
    return {
        "billId": bill_id,
        "meteringPointEic": eic,
        "gridOperatorEic": "38ZEE-1000007L-E",
        "periodStart": "2026-09-30T21:00:00Z",
        "periodEnd": "2026-10-31T22:00:00Z",
        "quantities": [
            {"timeBand": "DAY", "direction": "OUT", "kwh": day_out},
            {"timeBand": "NIGHT", "direction": "OUT", "kwh": night_out},
            {"timeBand": "DAY", "direction": "IN", "kwh": 0},
        ],
        "lines": [
            {
                "description": "Võrgutasu päev",
                "quantity": day_out,
                "unit": "kWh",
                "unitPrice": 0.0518,
                "amount": 10.36,
            }
        ],
        "netAmount": 10.36,
        **extra,
    }


def sync(api: HttpHub, now: dt.datetime = NOW) -> datahub.SyncReport:
    return datahub.sync(hub=api, now=now, since=SINCE, resource_types=["NETWORK_BILL"])


def joint(point: MeteringPoint) -> None:
    hub_operations.add_joint_invoice(
        point=point, valid_from=dt.date(2026, 1, 1), valid_to=None, reference="", now=NOW
    )


class TestStored:
    def test_a_bill_is_read_into_fields_once_and_a_correction_replaces_it(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        contract = remote_account(product=fixed_product())
        eic = contract.metering_point.eic
        local.state.publish("NETWORK_BILL", SINCE, [bill("NB-1", eic, 200, 98.125)])
        local.state.publish("NETWORK_BILL", SINCE, [bill("NB-1", eic, 200, 98.125)])
        report = sync(api)
        assert (report.done, report.queued, report.network_bills) == (2, 0, 1)
        stored = NetworkBill.objects.get()
        assert (stored.period_start, stored.period_end) == (
            dt.date(2026, 10, 1),
            OCTOBER.next().first_day,
        )
        assert (stored.day_out_kwh, stored.night_out_kwh, stored.day_in_kwh) == (
            Decimal("200.000"),
            Decimal("98.125"),
            Decimal("0.000"),
        )
        assert stored.net_amount == Decimal("10.36") and stored.lines[0]["unit_price"] == "0.0518"
        # the grid operator corrects the bill (the same id, another figure)
        local.state.publish("NETWORK_BILL", NOW, [bill("NB-1", eic, 200, 98)])
        report = sync(api, now=NOW + dt.timedelta(days=1))
        assert report.network_bills == 1
        stored.refresh_from_db()
        assert NetworkBill.objects.count() == 1 and stored.night_out_kwh == Decimal("98.000")

    @pytest.mark.parametrize(
        ("content", "problem"),
        [
            ([bill("NB-2", "38ZEE-UNKNOWN-00", 1, 1)], "38ZEE-UNKNOWN-00 is not a metering point"),
            ([bill("NB-2", "{eic}", -1, 1)], r"\({eic}\), quantities\[0\], kwh: -1 is negative"),
            ([bill("NB-2", "{eic}", "1.2345", 1)], "kwh: 1.2345 has more than 3 decimals"),
            (  # a float would make it 98.0: the page is read exactly (issue 15)
                [bill("NB-2", "{eic}", 1, Decimal("98.0000000000000001"))],
                r"kwh: 98\.0000000000000001 has more than 3 decimals",
            ),
            (
                [bill("NB-2", "{eic}", 1, 1, periodStart="2026-10-01T00:00:00Z")],
                r"\({eic}\), periodStart: .* is not a local midnight",
            ),
            ([{"meteringPointEic": "{eic}"}], r"\({eic}\), periodStart: is missing"),
        ],
    )
    def test_a_bad_bill_is_queued_whole_naming_point_and_field(
        self, local: LocalHub, api: HttpHub, content: list[dict[str, Any]], problem: str
    ) -> None:
        eic = remote_account(product=fixed_product()).metering_point.eic
        for item in content:
            if item["meteringPointEic"] == "{eic}":
                item["meteringPointEic"] = eic
        good = bill("NB-3", eic, 1, 1)
        local.state.publish("NETWORK_BILL", SINCE, [good, *content])
        report = sync(api)
        assert report.queued == 1
        assert not NetworkBill.objects.exists()  # the good bill of the entry is not stored
        entry = HubEntry.objects.get()
        assert entry.status == "QUEUED"
        assert re.search(problem.replace("{eic}", re.escape(eic)), entry.problem), entry.problem


class TestCheck:
    def test_differences_between_the_hub_and_our_joint_invoices(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        load_test_tariffs()
        product = fixed_product()
        same, differs, no_bill, not_joint = (remote_account(product=product) for _ in range(4))
        for contract in (same, differs, no_bill, not_joint):
            add_intervals(contract.metering_point, OCTOBER, wh=100)
        for contract in (same, differs, no_bill):
            joint(contract.metering_point)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        local.state.publish(
            "NETWORK_BILL",
            SINCE,
            [
                bill("NB-S", same.metering_point.eic, 200, 98),  # 298 kWh as billed
                bill("NB-D", differs.metering_point.eic, 200, 99),
                bill("NB-N", not_joint.metering_point.eic, 200, 98),
            ],
        )
        sync(api)
        report = network_bills.check(period=OCTOBER)
        assert (report.bills, report.joint_points, report.matching) == (3, 3, 1)
        found = {(d.eic, d.kind, d.band, d.hub_kwh, d.billed_kwh) for d in report.differences}
        assert found == {
            (differs.metering_point.eic, "KWH_DIFFER", "ALL", Decimal("299.000"), OCTOBER_KWH),
            (no_bill.metering_point.eic, "NO_HUB_BILL", "", None, None),
            (not_joint.metering_point.eic, "NO_JOINT_INVOICE", "", None, None),
        }
        differ = next(d for d in report.differences if d.kind == "KWH_DIFFER")
        assert differ.difference == Decimal("-1.000")
        # the command says the same and fails
        out = StringIO()
        with pytest.raises(SystemExit) as stopped:
            call_command("datahub", "network-bills", "check", "--period", "2026-10", stdout=out)
        assert stopped.value.code == 1
        text = out.getvalue()
        assert "3 network bill(s), 3 point(s) with a joint invoice; 1 bill(s) match" in text
        assert (
            f"{differs.metering_point.eic} KWH_DIFFER bill NB-D ALL: hub 299.000 kWh, "
            "billed 298.000 kWh (difference -1.000)"
        ) in text
        # and keeps them as the back-office queue
        assert "Back-office queue: 3 new, 0 still open, 0 closed (no longer differ)." in text
        assert NetworkBillDifference.objects.filter(status="OPEN").count() == 3

    def test_a_month_that_matches(self, local: LocalHub, api: HttpHub) -> None:
        load_test_tariffs()
        contract = remote_account(product=fixed_product())
        add_intervals(contract.metering_point, OCTOBER, wh=100)
        joint(contract.metering_point)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        local.state.publish(
            "NETWORK_BILL", SINCE, bill("NB-S", contract.metering_point.eic, "250.5", "47.5")
        )
        sync(api)
        out = StringIO()
        call_command("datahub", "network-bills", "check", "--period", "2026-10", stdout=out)
        assert "1 bill(s) match, 0 difference(s)" in out.getvalue()


class TestTheBackOfficeQueue:
    """The differences the check finds are a back-office work queue: counted on the queues page
    and per kind, filtered by kind and month, assigned, explained with a reason (audited), and
    closed by a later check that no longer finds them."""

    URL = "/backoffice/queues/network-bills/"

    def three_differences(self, local: LocalHub, api: HttpHub) -> dict[str, str]:
        load_test_tariffs()
        product = fixed_product()
        differs, no_bill, not_joint = (remote_account(product=product) for _ in range(3))
        for contract in (differs, no_bill, not_joint):
            add_intervals(contract.metering_point, OCTOBER, wh=100)
        for contract in (differs, no_bill):
            joint(contract.metering_point)
        bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
        local.state.publish(
            "NETWORK_BILL",
            SINCE,
            [
                bill("NB-D", differs.metering_point.eic, 200, 99),  # 299 kWh, we billed 298
                bill("NB-N", not_joint.metering_point.eic, 200, 98),
            ],
        )
        sync(api)
        return {
            "KWH_DIFFER": differs.metering_point.eic,
            "NO_HUB_BILL": no_bill.metering_point.eic,
            "NO_JOINT_INVOICE": not_joint.metering_point.eic,
        }

    def test_found_kept_explained_and_closed_by_a_later_check(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        eics = self.three_differences(local, api)
        first = network_bills.record_check(period=OCTOBER, now=NOW)
        assert first.recorded == hub_operations.RecordedDifferences(new=3, still_open=0, gone=0)
        again = network_bills.record_check(period=OCTOBER, now=NOW + dt.timedelta(hours=1))
        assert again.recorded == hub_operations.RecordedDifferences(new=0, still_open=3, gone=0)
        rows = {d.kind: d for d in NetworkBillDifference.objects.all()}
        assert {k: d.metering_point.eic for k, d in rows.items()} == eics
        differ = rows["KWH_DIFFER"]
        assert (differ.band, differ.hub_kwh, differ.billed_kwh, differ.difference) == (
            "ALL",
            Decimal("299.000"),
            OCTOBER_KWH,
            Decimal("-1.000"),
        )
        assert (differ.period, differ.bill_id) == (dt.date(2026, 10, 1), "NB-D")

        clerk = in_role("kati", roles.BILLING_SPECIALIST)
        case_work.explain_bill_differences(
            user=clerk,
            difference_ids=[rows["NO_JOINT_INVOICE"].pk],
            reason="The agreement is signed, entered next week",
            now=NOW,
        )
        audit = AuditEntry.objects.get(action="hub.explain_bill_difference")
        assert (audit.object_id, audit.reason) == (
            str(rows["NO_JOINT_INVOICE"].pk),
            "The agreement is signed, entered next week",
        )
        # explained already: refused, naming it, nothing changes
        with pytest.raises(case_operations.UnableToWorkCase, match="pole enam avatud"):
            case_work.explain_bill_differences(
                user=clerk,
                difference_ids=[rows["NO_JOINT_INVOICE"].pk, differ.pk],
                reason="x",
                now=NOW,
            )
        # the grid operator corrects its bill: the kWh match, the difference is gone
        local.state.publish("NETWORK_BILL", NOW, [bill("NB-D", eics["KWH_DIFFER"], 200, 98)])
        sync(api, now=NOW + dt.timedelta(days=1))
        later = network_bills.record_check(period=OCTOBER, now=NOW + dt.timedelta(days=1))
        assert later.recorded == hub_operations.RecordedDifferences(new=0, still_open=1, gone=1)
        assert {d.kind: d.status for d in NetworkBillDifference.objects.all()} == {
            "KWH_DIFFER": "GONE",
            "NO_HUB_BILL": "OPEN",
            "NO_JOINT_INVOICE": "EXPLAINED",  # still found, but explained: stays closed
        }

    def test_the_page_counts_filters_assigns_and_explains(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        eics = self.three_differences(local, api)
        network_bills.record_check(period=OCTOBER, now=NOW)
        kati = in_role("kati", roles.BILLING_SPECIALIST)
        client = Client()
        client.force_login(kati)
        with translation.override("en"):
            queues = client.get("/backoffice/queues/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
            assert re.search(r'id="count-network-bills">3<', queues), queues
            page = client.get(self.URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Open network bill differences: 3" in page
        estonian = client.get(self.URL, {"kind": "NO_HUB_BILL"}, HTTP_ACCEPT_LANGUAGE="et")
        assert "Avatud võrguarvete erinevusi: 1" in estonian.content.decode()
        assert "The kWh differ (1)</option>" in page and ">2026-10</option>" in page
        assert all(eic in page for eic in eics.values())
        only = client.get(self.URL, {"kind": "KWH_DIFFER", "month": "2026-10"}).content.decode()
        assert eics["KWH_DIFFER"] in only and eics["NO_HUB_BILL"] not in only
        assert eics["KWH_DIFFER"] not in client.get(self.URL, {"month": "2026-09"}).content.decode()
        ids = dict(NetworkBillDifference.objects.values_list("kind", "pk"))
        # assigned to me: counted as mine on the queues page
        assert (
            client.post(self.URL, {"selected": [ids["NO_HUB_BILL"]], "assign": "me"}).status_code
            == 302
        )
        counts = work_queues.counts(today=dt.date(2026, 11, 10), user_id=kati.pk)["network_bills"]
        assert (counts.total, counts.mine, counts.unassigned) == (3, 1, 2)
        # explaining needs a reason
        client.post(self.URL, {"selected": [ids["KWH_DIFFER"]], "explain": "1", "reason": " "})
        assert NetworkBillDifference.objects.get(pk=ids["KWH_DIFFER"]).status == "OPEN"
        done = client.post(
            self.URL,
            {"selected": [ids["KWH_DIFFER"]], "explain": "1", "reason": "Their meter reading"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        ).content.decode()
        assert "1 difference explained." in done
        assert NetworkBillDifference.objects.get(pk=ids["KWH_DIFFER"]).status == "EXPLAINED"
        assert "Open network bill differences: 2" in done

    def test_each_point_links_to_the_search_that_finds_its_customer(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        eics = self.three_differences(local, api)
        network_bills.record_check(period=OCTOBER, now=NOW)
        client = Client()
        client.force_login(in_role("kati", roles.BILLING_SPECIALIST))
        page = client.get(self.URL).content.decode()
        eic = eics["KWH_DIFFER"]
        link = f'href="/backoffice/?q={eic}"'
        assert link in page, page
        found = client.get("/backoffice/", {"q": eic}, follow=True)
        point = MeteringPoint.objects.get(eic=eic)
        customer = point.contracts.get().billing_account.customer
        assert found.redirect_chain, "an EIC search jumps to the customer's page"
        assert found.redirect_chain[-1][0].endswith(f"/backoffice/customers/{customer.pk}/")

    def test_the_daily_task_checks_the_month_before(self, local: LocalHub, api: HttpHub) -> None:
        entry = celery_app.conf.beat_schedule["network-bill-check"]
        assert entry["task"] == datahub_jobs.CHECK_TASK
        assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {30})
        self.three_differences(local, api)
        done = datahub_jobs.check_network_bills.run(today="2026-11-06")
        assert done == "2026-10: 3 new, 0 still open, 0 no longer differ"
        assert NetworkBillDifference.objects.filter(period=dt.date(2026, 10, 1)).count() == 3
        again = datahub_jobs.check_network_bills.run(today="2026-11-07")
        assert again == "2026-10: 0 new, 3 still open, 0 no longer differ"
        assert not NetworkBillDifference.objects.exclude(period=dt.date(2026, 10, 1)).exists()

    def test_two_bills_of_a_point_in_a_month_are_two_differences(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        eics = self.three_differences(local, api)
        second = bill("NB-D2", eics["KWH_DIFFER"], 1, 1)  # a second bill from the same day
        local.state.publish("NETWORK_BILL", NOW, [second])
        sync(api, now=NOW + dt.timedelta(days=1))
        report = network_bills.record_check(period=OCTOBER, now=NOW)
        assert report.recorded == hub_operations.RecordedDifferences(new=4, still_open=0, gone=0)
        assert sorted(
            NetworkBillDifference.objects.filter(kind="KWH_DIFFER").values_list(
                "bill_id", "hub_kwh"
            )
        ) == [("NB-D", Decimal("299.000")), ("NB-D2", Decimal("2.000"))]

    def test_nothing_is_explained_during_the_freeze(self, local: LocalHub, api: HttpHub) -> None:
        self.three_differences(local, api)
        network_bills.record_check(period=OCTOBER, now=NOW)
        admin = in_role("admin", roles.ADMINISTRATOR)
        case_work.switch_freeze_on(user=admin, message="Go-live", now=NOW)
        with pytest.raises(freeze.FrozenNow):
            case_work.explain_bill_differences(
                user=admin,
                difference_ids=list(NetworkBillDifference.objects.values_list("pk", flat=True)),
                reason="x",
                now=NOW,
            )
        assert not NetworkBillDifference.objects.exclude(status="OPEN").exists()

    def test_a_role_without_the_permission_does_not_see_the_queue(
        self, local: LocalHub, api: HttpHub
    ) -> None:
        self.three_differences(local, api)
        network_bills.record_check(period=OCTOBER, now=NOW)
        client = Client()
        client.force_login(in_role("finn", roles.FINANCE))
        assert client.get(self.URL).status_code == 403
        agent = in_role("aino", roles.AGENT)
        with pytest.raises(NotAllowed):
            case_work.explain_bill_differences(
                user=agent,
                difference_ids=list(NetworkBillDifference.objects.values_list("pk", flat=True)),
                reason="x",
                now=NOW,
            )
        assert not NetworkBillDifference.objects.exclude(status="OPEN").exists()
