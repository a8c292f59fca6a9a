"""The hub's data-distribution pages and resources as plain values (messages written from
eng/30-data-distribution.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from vool.integrations.datahub import resources
from vool.integrations.datahub.client import format_instant, retry_after_s

NOW = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


class TestPage:
    def test_spring_paging_says_whether_more_follow(self) -> None:
        doc = {
            "content": [
                {"id": 7, "createdTime": "2026-11-02T08:00:00Z", "reason": "CREATED", "content": []}
            ],
            "number": 0,
            "totalPages": 2,
        }
        page = resources.parse_page(doc, resource_type="AGREEMENT")
        assert page.last is False
        assert page.entries[0].id == "7" and page.entries[0].resource_type == "AGREEMENT"

    def test_an_entry_without_a_zone_is_refused_naming_it(self) -> None:
        doc = {"content": [{"id": "a", "createdTime": "2026-11-02T08:00:00"}], "last": True}
        with pytest.raises(resources.BadResource, match=r"content\[0\], createdTime: .* no time"):
            resources.parse_page(doc, resource_type="AGREEMENT")


class TestPoint:
    def test_the_documented_example(self) -> None:
        point = resources.parse_point(
            {
                "meteringPoint": {
                    "meterEic": "38ZGO-10000018-5",
                    "meteringType": "NON_REMOTE_READING",
                },
                "meterLocation": {
                    "adrId": 3182855,
                    "locality": "Järvakandi alev",
                    "streetAddress": ", Uus tn, , 20-3",
                    "postcode": "79101",
                },
                "electricityCharacteristics": {
                    "connectionState": "DISCONNECTED",
                    "resolution": "PT15M",
                    "production": True,
                },
            }
        )
        assert (point.eic, point.remote_read, point.street_address, point.city) == (
            "38ZGO-10000018-5",
            False,
            "Uus tn 20-3",
            "Järvakandi alev",
        )
        assert (point.connection_state, point.production, point.address_id) == (
            "DISCONNECTED",
            True,
            3182855,
        )

    def test_an_unknown_resolution_is_refused(self) -> None:
        with pytest.raises(resources.BadResource, match="resolution"):
            resources.parse_point(
                {
                    "meteringPoint": {"meterEic": "X"},
                    "electricityCharacteristics": {"resolution": "P1D"},
                }
            )


class TestAgreement:
    def test_the_documented_example(self) -> None:
        [agreement] = resources.parse_agreements(
            [
                {
                    "agreementId": "einar-2024-04-03T16:25:08.569885+03:00-EST",
                    "meterEic": "38ZGO-1000001B-X",
                    "agreementType": "SUPPLY",
                    "preliminaryTerminationFee": False,
                    "commodityType": "ELECTRICITY",
                    "validFrom": "2024-04-03T21:00:00Z",
                    "validTo": "2024-04-17T21:00:00Z",
                }
            ]
        )
        assert agreement.valid_to == dt.datetime(2024, 4, 17, 21, 0, tzinfo=dt.UTC)


class TestClientHelpers:
    def test_instants_go_out_in_utc_with_milliseconds(self) -> None:
        local = dt.datetime(2026, 11, 10, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        assert format_instant(local) == "2026-11-09T22:00:00.000Z"

    def test_retry_after_as_seconds_or_an_http_date(self) -> None:
        assert retry_after_s("7", now=NOW, default=1) == 7
        assert retry_after_s("Mon, 02 Nov 2026 12:00:30 GMT", now=NOW, default=1) == 30
        assert retry_after_s("soon", now=NOW, default=1.5) == 1.5


class TestNetworkBill:
    BILL = {
        "billId": "NB-7",
        "meteringPointEic": "38ZEE-00625607-9",
        "gridOperatorEic": "38ZEE-1000007L-E",
        "periodStart": "2026-09-30T21:00:00Z",
        "periodEnd": "2026-11-01",
        "quantities": [
            {"timeBand": "DAY", "direction": "OUT", "kwh": 123.456},
            {"timeBand": "night", "direction": "in", "kwh": "0,5".replace(",", ".")},
        ],
    }

    def test_read_exactly_with_the_pairs_not_given_zero(self) -> None:
        (bill,) = resources.parse_network_bills(self.BILL)
        assert (bill.period_start, bill.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        assert str(bill.kwh[("DAY", "OUT")]) == "123.456"
        assert str(bill.kwh[("NIGHT", "IN")]) == "0.5"
        assert bill.kwh[("NIGHT", "OUT")] == 0 and bill.kwh[("DAY", "IN")] == 0
        assert bill.lines == () and bill.net_amount is None

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            ({"billId": ""}, r"\(38ZEE-00625607-9\), billId: is missing"),
            ({"periodEnd": "2026-10-01"}, "periodEnd: 2026-10-01 is not after periodStart"),
            (
                {"quantities": [{"timeBand": "DAY", "direction": "OUT", "kwh": 1}] * 2},
                r"quantities\[1\]: DAY OUT is given twice",
            ),
            (
                {"quantities": [{"timeBand": "PEAK", "direction": "OUT", "kwh": 1}]},
                "timeBand: 'PEAK' is not DAY or NIGHT",
            ),
            (
                {"quantities": [{"timeBand": "DAY", "direction": "OUT", "kwh": True}]},
                "kwh: is missing or not a number",
            ),
            ({"netAmount": "1.005"}, "netAmount: 1.005 has more than 2 decimals"),
            ({"lines": [{"description": "x"}]}, r"lines\[0\], amount: is missing"),
        ],
    )
    def test_bad_input_names_the_point_and_field(
        self, change: dict[str, object], problem: str
    ) -> None:
        with pytest.raises(resources.BadResource, match=problem):
            resources.parse_network_bills([{**self.BILL, **change}])
