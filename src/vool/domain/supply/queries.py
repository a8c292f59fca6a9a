"""Reads for metering points."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from django.db.models import Q

from vool.domain.supply.models import GridOperator, MeteringPoint

REMOTE_INTERVAL: Final = MeteringPoint.MeteringMethod.REMOTE_INTERVAL  # read remotely, by interval
MANUAL_REGISTER: Final = MeteringPoint.MeteringMethod.MANUAL_REGISTER  # registers read by hand


def get_metering_point(*, eic: str) -> MeteringPoint | None:
    return MeteringPoint.objects.select_related("grid_operator").filter(eic=eic.strip()).first()


def metering_points_by_id(*, ids: Collection[int]) -> dict[int, MeteringPoint]:
    """The metering points of ``ids`` by id (unknown ids are left out)."""
    return MeteringPoint.objects.in_bulk(sorted(set(ids)))


def find_metering_points(*, text: str, limit: int = 10) -> list[MeteringPoint]:
    """Metering points whose EIC starts with ``text`` (case does not matter) or whose street
    address contains it, by EIC; at most ``limit``, for choosing one point by search."""
    text = text.strip()
    if len(text) < 3:
        return []
    matches = Q(eic__startswith=text.upper()) | Q(street_address__icontains=text)
    return list(MeteringPoint.objects.filter(matches).order_by("eic")[:limit])


def count_metering_points(*, remote_only: bool = False) -> int:
    """How many metering points there are (``remote_only``: read remotely, by interval)."""
    points = MeteringPoint.objects.all()
    if remote_only:
        points = points.filter(metering_method=MeteringPoint.MeteringMethod.REMOTE_INTERVAL)
    return points.count()


_EIC_CHUNK = 5000


def point_ids_by_eic(*, eics: Iterable[str]) -> dict[str, int]:
    """The ids of the metering points among ``eics`` (unknown EICs are left out)."""
    names = sorted(set(eics))
    found: dict[str, int] = {}
    for i in range(0, len(names), _EIC_CHUNK):
        found.update(
            MeteringPoint.objects.filter(eic__in=names[i : i + _EIC_CHUNK]).values_list("eic", "pk")
        )
    return found


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
    rows = MeteringPoint.objects.filter(pk__in=list(point_ids)).values(
        "id",
        "eic",
        "metering_method",
        "grid_operator__code",
        "network_package_code",
        "main_fuse_a",
        "is_apartment",
    )
    return {
        row["id"]: PointTariffFacts(
            point_id=row["id"],
            eic=row["eic"],
            remote=row["metering_method"] == MeteringPoint.MeteringMethod.REMOTE_INTERVAL,
            grid_operator_code=row["grid_operator__code"],
            network_package_code=row["network_package_code"],
            main_fuse_a=row["main_fuse_a"],
            is_apartment=row["is_apartment"],
        )
        for row in rows
    }


def grid_operator_by_eic(*, eic: str) -> GridOperator | None:
    return GridOperator.objects.filter(eic=eic).first()


def metering_point_for_update(*, eic: str) -> MeteringPoint | None:
    """The point ``eic``, locked for the rest of the transaction (None if unknown)."""
    return MeteringPoint.objects.select_for_update().filter(eic=eic).first()
