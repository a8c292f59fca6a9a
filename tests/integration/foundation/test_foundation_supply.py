from __future__ import annotations

import pytest
from django.utils import translation

from factories import GridOperatorFactory
from vool.domain.supply import operations
from vool.domain.supply.models import MeteringPoint

pytestmark = pytest.mark.django_db


def create(eic: str, **overrides):
    fields = {
        "eic": eic,
        "grid_operator": GridOperatorFactory(),
        "street_address": "Narva mnt 1",
        "city": "Tallinn",
        "main_fuse_a": 25,
        "network_package_code": "V2",
        "metering_method": MeteringPoint.MeteringMethod.REMOTE_INTERVAL,
    }
    fields.update(overrides)
    return operations.create_metering_point(**fields)


class TestCreateMeteringPoint:
    def test_published_eic_is_accepted(self):
        point = create("38ZEE-1000007L-E")
        assert point.eic == "38ZEE-1000007L-E"
        assert point.interval_minutes == 15

    def test_bad_eic_names_the_field(self):
        with pytest.raises(operations.InvalidMeteringPoint) as caught:
            create("38ZEE-1000007L-F")
        assert caught.value.message_dict == {
            "eic": ["EIC-kood 38ZEE-1000007L-F: kontrollnumber on vale (peaks olema E)."]
        }
        assert MeteringPoint.objects.count() == 0

    def test_duplicate_eic_names_the_field(self):
        create("38ZEE-1000007L-E")
        with pytest.raises(operations.InvalidMeteringPoint) as caught:
            create("38ZEE-1000007L-E")
        assert "already exists" in caught.value.message_dict["eic"][0]
        assert MeteringPoint.objects.count() == 1

    @pytest.mark.parametrize(
        ("language", "message"),
        [
            ("en", "The main fuse must be between 1 and 6300 A."),
            ("et", "Peakaitse peab olema vahemikus 1 kuni 6300 A."),
        ],
    )
    def test_fuse_must_be_positive_in_the_users_language(self, language, message):
        with (
            translation.override(language),
            pytest.raises(operations.InvalidMeteringPoint) as caught,
        ):
            create("38ZEE-1000007L-E", main_fuse_a=0)
        assert caught.value.messages == [message]
