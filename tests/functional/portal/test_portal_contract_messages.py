"""The contracts operations' refusals reach the portal in the customer's language (issue 13
§3): moving out on the day the contract starts (``end_contract``) and moving in to a point
that another contract holds (``check_contract``), in English and Estonian."""

from __future__ import annotations

import pytest
from django.utils import timezone

from vool.domain.contracts.models import SupplyContract
from vool.domain.metering.models import Reading

pytestmark = pytest.mark.django_db


def move_out_on_the_first_day(client, household, language: str) -> str:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    SupplyContract.objects.filter(pk=household.contract.pk).update(valid_from=today)
    client.force_login(household.user)
    response = client.post(
        f"/portal/contracts/{household.contract.pk}/move-out/",
        {"move_out_on": today.isoformat(), "value_SINGLE": "10", "confirmed": "on"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    household.contract.refresh_from_db()
    assert household.contract.valid_to is None and not Reading.objects.exists()
    return response.content.decode()


class TestEndContract:
    def test_in_english(self, client, household):
        page = move_out_on_the_first_day(client, household, "en")
        today = timezone.localdate()
        assert f"The contract starts on {today:%m/%d/%Y}; it can end only after that." in page

    def test_in_estonian(self, client, household):
        page = move_out_on_the_first_day(client, household, "et")
        today = timezone.localdate()
        assert f"Leping algab {today:%d.%m.%Y}; see saab lõppeda alles pärast seda." in page
        assert "The contract starts" not in page


def move_in_to_the_strangers_point(client, household, stranger, language: str) -> str:  # type: ignore[no-untyped-def]
    client.force_login(household.user)
    data = {
        "eic": stranger.contract.metering_point.eic,
        "move_in_on": timezone.localdate().isoformat(),
        "account": household.account.pk,
        "product": household.contract.product.code,
        "value_SINGLE": "77",
        "confirmed": "on",
    }
    response = client.post("/portal/contracts/move-in/", data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    return response.content.decode()


class TestOverlap:
    def test_in_english(self, client, household, stranger):
        page = move_in_to_the_strangers_point(client, household, stranger, "en")
        eic = stranger.contract.metering_point.eic
        assert (
            f"Metering point {eic} already has a contract from 01/01/2025 without an end "
            "that overlaps." in page
        )

    def test_in_estonian(self, client, household, stranger):
        page = move_in_to_the_strangers_point(client, household, stranger, "et")
        eic = stranger.contract.metering_point.eic
        assert (
            f"Mõõtepunktil {eic} on juba tähtajatu leping alates 01.01.2025, mis kattub sellega."
            in page
        )


def move_out_with_a_reading_too_big(client, household, language: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A move-out whose reading has more digits than the meter shows: the metering rules'
    refusal, as the customer's language writes it."""
    meter = household.contract.metering_point.meters.get()
    client.force_login(household.user)
    response = client.post(
        f"/portal/contracts/{household.contract.pk}/move-out/",
        {
            "move_out_on": timezone.localdate().isoformat(),
            "value_SINGLE": str(10**meter.digits),
            "confirmed": "on",
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    household.contract.refresh_from_db()
    assert household.contract.valid_to is None
    return response.content.decode(), meter.serial_number


class TestMoveReading:
    def test_in_estonian(self, client, household):
        page, serial = move_out_with_a_reading_too_big(client, household, "et")
        assert f"ei mahu arvestile {serial}" in page
        assert "does not fit meter" not in page

    def test_in_russian(self, client, household):
        page, serial = move_out_with_a_reading_too_big(client, household, "ru")
        assert f"не помещается на счётчик {serial}" in page
