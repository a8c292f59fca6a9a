"""Consumption of a day by quarter hour or hour (issue 13 §2): a remote point's own 15-minute
data (100 quarters on the day DST ends, 92 on the day it starts), by hour on request, local
times; a 60-minute point by hour; a manual point or another customer's point is 404."""

from __future__ import annotations

import re

import pytest

from billing_factories import add_intervals, fixed_product, remote_account
from factories import MeteringPointFactory
from vool.common.localtime import Month
from vool.domain.contracts.models import SupplyContract
from vool.domain.supply.models import MeteringPoint

pytestmark = pytest.mark.django_db


def remote(household, *, minutes: int, month: Month) -> MeteringPoint:  # type: ignore[no-untyped-def]
    resolution = MeteringPoint.Resolution.PT15M if minutes == 15 else MeteringPoint.Resolution.PT60M
    point = MeteringPointFactory(resolution=resolution)
    contract = remote_account(product=fixed_product(code=f"R{minutes}"), account=household.account)
    SupplyContract.objects.filter(pk=contract.pk).update(
        customer=household.customer, metering_point=point
    )
    add_intervals(point, month, wh=100, minutes=minutes)
    return point


def rows(page: str) -> list[tuple[str, str]]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r"<tr><td>(\d\d:\d\d)</td><td class=\"num\">([^<]*)</td></tr>", body)


class TestDayConsumption:
    def test_quarter_hours_of_the_day_dst_ends(self, client, household):
        point = remote(household, minutes=15, month=Month(2026, 10))
        client.force_login(household.user)
        url = f"/portal/consumption/{point.pk}/day/?day=2026-10-25"
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        found = rows(page)
        assert len(found) == 100  # 25 hours: 03:00-03:59 twice
        assert found[0] == ("00:00", "0.100\u00a0kWh")
        assert [t for t, _ in found].count("03:00") == 2
        assert "In all: 10.000\u00a0kWh" in page

    def test_by_hour_on_the_day_dst_starts(self, client, household):
        point = remote(household, minutes=15, month=Month(2026, 3))
        client.force_login(household.user)
        url = f"/portal/consumption/{point.pk}/day/?day=2026-03-29&step=hour"
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="et").content.decode()
        found = rows(page)
        assert len(found) == 23 and "03:00" not in [t for t, _ in found]
        assert found[0] == ("00:00", "0,400\u00a0kWh")
        assert "Tarbimine tundide kaupa" in page

    def test_an_hourly_point_by_hour(self, client, household):
        point = remote(household, minutes=60, month=Month(2026, 10))
        client.force_login(household.user)
        page = client.get(f"/portal/consumption/{point.pk}/day/?day=2026-10-05").content.decode()
        assert len(rows(page)) == 24
        assert "By quarter hour" not in page

    def test_a_manual_point_or_another_customers_point_is_404(self, client, household, stranger):
        client.force_login(household.user)
        own_manual = household.contract.metering_point_id
        assert client.get(f"/portal/consumption/{own_manual}/day/").status_code == 404
        other = remote(stranger, minutes=15, month=Month(2026, 10))
        url = f"/portal/consumption/{other.pk}/day/?day=2026-10-05"
        assert client.get(url).status_code == 404
        assert client.get(f"/portal/consumption/{other.pk}/day/?day=bad").status_code == 404
