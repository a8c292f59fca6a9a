"""Reads for metering points."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from vool.domain.supply.models import MeteringPoint


def get_metering_point(*, eic: str) -> MeteringPoint | None:
    return MeteringPoint.objects.select_related("grid_operator").filter(eic=eic.strip()).first()


@dataclass(frozen=True)
class PointTariffFacts:
    """What pricing needs to know of a metering point: how it is read and its network tariff."""

    point_id: int
    eic: str
    remote: bool  # read remotely, interval by interval (else manual register readings)
    grid_operator_code: str
    network_package_code: str
    main_fuse_a: int
    is_apartment: bool


def tariff_facts(*, point_ids: Collection[int]) -> dict[int, PointTariffFacts]:
    """:class:`PointTariffFacts` of each point of ``point_ids``, by id."""
    return {
        row[0]: PointTariffFacts(
            row[0], row[1], row[2] == MeteringPoint.MeteringMethod.REMOTE_INTERVAL, *row[3:]
        )
        for row in MeteringPoint.objects.filter(pk__in=list(point_ids)).values_list(
            "id",
            "eic",
            "metering_method",
            "grid_operator__code",
            "network_package_code",
            "main_fuse_a",
            "is_apartment",
        )
    }
