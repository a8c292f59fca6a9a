"""Reads for metering points."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from django.db import connection

from vool.domain.bulk import in_batches
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
    # Two searches, each answered by its own index, then merged: as one query with OR,
    # PostgreSQL walks the EIC's unique index in order, filtering every row until it has
    # ``limit`` (175 ms for a common EIC prefix at 520,341 points; benchmarks/RESULTS.md).
    by_address = MeteringPoint.objects.filter(street_address__icontains=text).order_by("eic")
    found = {p.pk: p for p in [*_eic_starts_with(text.upper(), limit), *by_address[:limit]]}
    return sorted(found.values(), key=lambda point: point.eic)[:limit]


# The prefix index (varchar_pattern_ops, supply/0002) read in its own order: PostgreSQL reads
# the prefix's range of the index and stops at the limit. EICs are ASCII letters, digits and
# hyphens, which that order sorts as the EIC order everywhere else.
_EIC_PREFIX_IN_INDEX_ORDER: Final = (
    "SELECT * FROM supply_meteringpoint WHERE eic::text LIKE %s ORDER BY eic USING ~<~ LIMIT %s"
)


def _eic_starts_with(prefix: str, limit: int) -> list[MeteringPoint]:
    if connection.vendor != "postgresql":
        return list(MeteringPoint.objects.filter(eic__startswith=prefix).order_by("eic")[:limit])
    pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(MeteringPoint.objects.raw(_EIC_PREFIX_IN_INDEX_ORDER, [pattern, limit]))


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
    for batch in in_batches(names, _EIC_CHUNK):
        found.update(MeteringPoint.objects.filter(eic__in=batch).values_list("eic", "pk"))
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
