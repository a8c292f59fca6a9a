"""Consumption in the portal (issue 13 §2): per metering point by day (remote points) and by
month, a server-drawn SVG chart with a table of the same figures, CSV download; another
customer's point is 404 for the page and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from billing_factories import add_intervals, fixed_product, remote_account
from vool.common.localtime import Month
from vool.domain.contracts.models import SupplyContract
from vool.domain.metering.models import Reading
from vool.interfaces import charts

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)  # 31 days, the last one 25 hours long (DST ends)


@pytest.fixture
def remote_point(household):
    contract = remote_account(product=fixed_product(code="FIXR"), account=household.account)
    SupplyContract.objects.filter(pk=contract.pk).update(customer=household.customer)
    add_intervals(contract.metering_point, OCTOBER, wh=100)  # 0.4 kWh an hour
    return contract.metering_point


def get(client, household, path: str, language: str = "en"):
    client.force_login(household.user)
    return client.get(path, HTTP_ACCEPT_LANGUAGE=language)


class TestByDay:
    def test_every_day_of_october_with_the_25_hour_day(self, client, household, remote_point):
        response = get(
            client, household, f"/portal/consumption/{remote_point.pk}/?step=day&month=2026-10"
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count("<rect ") == 31
        assert '?day=2026-10-01">1\u00a0Oct\u00a02026</a></td>' in html  # to its hours
        assert "9.600\u00a0kWh" in html  # 96 quarters x 100 Wh
        assert "10.000\u00a0kWh" in html  # 25 Oct: 100 quarters
        assert 'role="img"' in html and '<title id="chart-title">' in html

    def test_csv_of_the_same_figures(self, client, household, remote_point):
        response = get(
            client,
            household,
            f"/portal/consumption/{remote_point.pk}/csv/?step=day&month=2026-10",
        )
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["metering_point", "start", "kwh", "estimated"]
        assert rows[1] == [remote_point.eic, "2026-10-01", "9.600", "no"]
        assert rows[25] == [remote_point.eic, "2026-10-25", "10.000", "no"]
        assert len(rows) == 32

    def test_estonian_numbers(self, client, household, remote_point):
        html = get(
            client,
            household,
            f"/portal/consumption/{remote_point.pk}/?step=day&month=2026-10",
            language="et",
        ).content.decode()
        assert "9,600\u00a0kWh" in html


class TestByMonth:
    def test_twelve_months_up_to_the_chosen_one(self, client, household, remote_point):
        response = get(
            client, household, f"/portal/consumption/{remote_point.pk}/csv/?month=2026-11"
        )
        rows = list(csv.reader(io.StringIO(response.content.decode())))[1:]
        assert [r[1] for r in rows][:2] == ["2025-12", "2026-01"]
        assert len(rows) == 12
        october = dict((r[1], r[2]) for r in rows)["2026-10"]
        assert Decimal(october) == Decimal("298.000")  # 2,980 quarters x 100 Wh
        assert rows[-1][2:] == ["0.000", "yes"]  # November: no data yet, flagged missing

    def test_a_manual_point_by_month_from_its_readings(self, client, household):
        register = household.register
        for period, value, day in (("2026-09", "1000", 30), ("2026-10", "1250.5", 31)):
            read_at = Month.parse(period).first_day.replace(day=day).isoformat() + "T09:00Z"
            Reading.objects.create(
                register=register,
                read_at=read_at,
                known_at=read_at,
                value_kwh=Decimal(value),
                source="PORTAL",
                period=period,
            )
        point = household.contract.metering_point_id
        response = get(client, household, f"/portal/consumption/{point}/csv/?month=2026-10")
        rows = dict((r[1], r[2]) for r in csv.reader(io.StringIO(response.content.decode())))
        assert rows["2026-10"] == "250.500"
        assert rows["2026-08"] == ""  # not known


class TestIsolation:
    def test_another_customers_point_is_404(self, client, household, stranger):
        point = stranger.contract.metering_point_id
        assert get(client, household, f"/portal/consumption/{point}/").status_code == 404
        assert get(client, household, f"/portal/consumption/{point}/csv/").status_code == 404

    def test_a_point_with_the_tenant_befores_ended_contract_is_still_theirs(
        self, client, household, stranger
    ):
        """The contract before on the same point (a move-in) ended: the point is the new
        customer's, and no longer the one whose contract ended."""
        point = household.contract.metering_point_id
        start = household.contract.valid_from
        SupplyContract.objects.filter(pk=stranger.contract.pk).update(
            metering_point_id=point,
            valid_from=start - dt.timedelta(days=365),
            valid_to=start,
        )
        assert get(client, household, f"/portal/consumption/{point}/").status_code == 200
        assert get(client, stranger, f"/portal/consumption/{point}/").status_code == 404

    def test_a_bad_month_is_404(self, client, household):
        point = household.contract.metering_point_id
        assert (
            get(client, household, f"/portal/consumption/{point}/?month=2026-13").status_code == 404
        )


class TestChart:
    def test_the_axis_top_is_round(self):
        assert charts._scale_top(Decimal("9.6")) == Decimal(10)
        assert charts._scale_top(Decimal("298")) == Decimal(500)
        assert charts._scale_top(Decimal("0")) == Decimal(1)

    def test_text_is_escaped(self):
        svg = charts.bar_chart(
            [charts.Bar("<b>", "<b>", Decimal(1))], title="a&b", description="d", unit="kWh"
        )
        assert "<b>" not in svg and "&lt;b&gt;" in svg and "a&amp;b" in svg
