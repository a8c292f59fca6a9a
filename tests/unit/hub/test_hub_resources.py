"""The hub's data-distribution pages and resources as plain values (messages written from
eng/30-data-distribution.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


class TestExactPage:
    """The hub's bytes: every number exactly, each entry's content text as the hub wrote it."""

    BODY = (
        b'{"content": [\n  {"id": "e1", "createdTime": "2026-11-02T08:00:00Z",\n'
        b'   "content" : [ {"kwh": 1.0000000000000001, "eur": 2.10, "n": 3} ] },\n'
        b'  {"id": 2, "createdTime": "2026-11-02T09:00:00Z", "content": {"s": "\\u00e4"}}\n'
        b'], "number": 0, "totalPages": 1}'
    )

    def test_numbers_are_decimal_and_the_content_text_is_the_hubs(self) -> None:
        page = resources.parse_page(self.BODY, resource_type="METERING_DATA")
        first, second = page.entries
        assert first.content == [
            {"kwh": Decimal("1.0000000000000001"), "eur": Decimal("2.10"), "n": 3}
        ]
        assert first.content_text == '[ {"kwh": 1.0000000000000001, "eur": 2.10, "n": 3} ]'
        assert second.content_text == '{"s": "\\u00e4"}' and second.content == {"s": "ä"}
        assert resources.decode_content(first.content_text) == first.content
        assert page.last is True

    @pytest.mark.parametrize(
        ("body", "problem"),
        [
            (b"[]", r"page: expected '\{'"),
            (b'{"content": [], "content": []}', "appears twice|not a new string"),
            (b'{"content": [{"id": 1, "id": 2}]}', r"content\[0\]: the key 'id'"),
            (b'{"content": [{"content": NaN}]}', "JSON has no NaN"),
            (b'{"content": []} {}', "more follows"),
            (b'{"content": [1,]}', r"content\[1\]: does not parse"),
            (b'{"content": [], "last": true', "expected"),
            (b"\xff", "not UTF-8"),
            (b'{"content": [{"content": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}", "parse"),
        ],
    )
    def test_a_page_that_is_not_strict_json_is_refused(self, body: bytes, problem: str) -> None:
        with pytest.raises(resources.BadResource, match=problem):
            resources.parse_page(body, resource_type="X")

    @given(
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.decimals(allow_nan=False, allow_infinity=False)
            | st.text(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=10,
        )
    )
    def test_any_content_reads_back_exactly_from_its_text(self, content: object) -> None:
        body = resources.exact_json(
            {"content": [{"id": "a", "createdTime": "2026-11-02T08:00:00Z", "content": content}]}
        )
        [entry] = resources.parse_page(body.encode(), resource_type="X").entries
        assert entry.content_text == resources.exact_json(content)
        assert _numbers(resources.decode_content(entry.content_text)) == _numbers(content)


def _numbers(value: object) -> object:
    """Every number as a Decimal (a Decimal with no fraction reads back as an int)."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return ("number", Decimal(value))
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


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
