"""The hub client against a local HTTP stand-in of the hub (tests/datahub_server.py): a real
server on 127.0.0.1, real HTTP; only the waits are counted instead of slept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub
from vool.integrations.datahub import resources
from vool.integrations.datahub.client import HttpHub, HubConfig, HubRefused, HubUnavailable

T0 = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def hub() -> Iterator[LocalHub]:
    with LocalHub() as local:
        yield local


def client(hub: LocalHub, *, secret: str = CLIENT_SECRET, page_size: int = 2) -> HttpHub:
    config = HubConfig(
        base_url=hub.url,
        token_url=f"{hub.url}/token",
        client_id=CLIENT_ID,
        client_secret=secret,
        api_version="v2",
        max_retries=3,
        backoff_s=0.5,
        max_backoff_s=8,
        page_size=page_size,
        timeout_s=5,
    )
    return HttpHub(config, sleep=lambda s: None)


def publish_points(hub: LocalHub, count: int) -> None:
    for i in range(count):
        hub.state.publish(
            "METERING_POINT", T0 + dt.timedelta(minutes=i), {"meteringPoint": {"meterEic": f"P{i}"}}
        )


class TestPaging:
    def test_pages_follow_until_the_last_with_one_token(self, hub: LocalHub) -> None:
        publish_points(hub, 5)
        with client(hub) as api:
            pages = []
            for number in range(3):
                doc = api.search(
                    resource_type="METERING_POINT",
                    start=T0,
                    end=T0 + dt.timedelta(days=1),
                    page=number,
                )
                pages.append(resources.parse_page(doc, resource_type="METERING_POINT"))
        assert [len(p.entries) for p in pages] == [2, 2, 1]
        assert [p.last for p in pages] == [False, False, True]
        assert len(hub.state.tokens) == 1
        assert hub.state.searches()[0]["periodStart"] == "2026-11-02T08:00:00.000Z"

    def test_a_window_longer_than_the_hub_allows_is_refused_with_its_code(
        self, hub: LocalHub
    ) -> None:
        with client(hub) as api, pytest.raises(HubRefused) as caught:
            api.search(
                resource_type="METERING_DATA", start=T0, end=T0 + dt.timedelta(hours=2), page=0
            )
        assert (caught.value.status, caught.value.code) == (400, "INVALID_PERIOD")


class TestRetries:
    def test_a_rate_limit_answer_waits_what_retry_after_says(self, hub: LocalHub) -> None:
        publish_points(hub, 1)
        limited = {"code": "TOO_MANY_REQUESTS", "message": "slow down"}
        hub.state.faults = [
            (429, {"Retry-After": "3"}, limited),
            (429, {"Retry-After": "1"}, limited),
        ]
        with client(hub) as api:
            doc = api.search(
                resource_type="METERING_POINT", start=T0, end=T0 + dt.timedelta(days=1), page=0
            )
            assert api.waits == [3.0, 1.0]
        assert len(resources.parse_page(doc, resource_type="METERING_POINT").entries) == 1

    def test_server_errors_are_retried_with_growing_back_off(self, hub: LocalHub) -> None:
        hub.state.faults = [(503, {}, {"message": "busy"}), (502, {}, {"message": "gateway"})]
        with client(hub) as api:
            api.search(resource_type="AGREEMENT", start=T0, end=T0 + dt.timedelta(days=1), page=0)
            assert api.waits == [0.5, 1.0]

    def test_a_hub_that_keeps_failing_is_unavailable_after_the_retries(self, hub: LocalHub) -> None:
        hub.state.faults = [(500, {}, {"message": "down"})] * 10
        with client(hub) as api, pytest.raises(HubUnavailable, match="after 4 attempts"):
            api.search(resource_type="AGREEMENT", start=T0, end=T0 + dt.timedelta(days=1), page=0)
        assert len(hub.state.searches()) == 4

    def test_an_expired_token_is_renewed_once(self, hub: LocalHub) -> None:
        with client(hub) as api:
            api.search(resource_type="AGREEMENT", start=T0, end=T0 + dt.timedelta(days=1), page=0)
            hub.state.tokens.clear()  # the hub forgets it (expired, rotated)
            api.search(resource_type="AGREEMENT", start=T0, end=T0 + dt.timedelta(days=1), page=0)
        assert len(hub.state.tokens) == 1

    def test_wrong_credentials_are_refused_without_retrying(self, hub: LocalHub) -> None:
        with client(hub, secret="wrong") as api, pytest.raises(HubRefused) as caught:
            api.search(resource_type="AGREEMENT", start=T0, end=T0 + dt.timedelta(days=1), page=0)
        assert (caught.value.status, caught.value.code) == (401, "invalid_client")

    def test_a_hub_that_cannot_be_reached_is_unavailable(self) -> None:
        with LocalHub() as gone:
            url = gone.url
        config = HubConfig(
            base_url=url, token_url=f"{url}/token", client_id="x", client_secret="y", max_retries=2
        )
        api = HttpHub(config, sleep=lambda s: None)
        with pytest.raises(HubUnavailable, match="after 3 attempts"):
            api.submit_agreement({"meterEic": "x"})
        assert api.waits == [1.0, 2.0]
