"""Reads for metering points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from vool.domain.supply.models import GridOperator, MeteringPoint

REMOTE_INTERVAL: Final = MeteringPoint.MeteringMethod.REMOTE_INTERVAL  # read remotely, by interval
MANUAL_REGISTER: Final = MeteringPoint.MeteringMethod.MANUAL_REGISTER  # registers read by hand


def get_metering_point(*, eic: str) -> MeteringPoint | None:
    return MeteringPoint.objects.select_related("grid_operator").filter(eic=eic.strip()).first()


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


def grid_operator_by_eic(*, eic: str) -> GridOperator | None:
    return GridOperator.objects.filter(eic=eic).first()


def metering_point_for_update(*, eic: str) -> MeteringPoint | None:
    """The point ``eic``, locked for the rest of the transaction (None if unknown)."""
    return MeteringPoint.objects.select_for_update().filter(eic=eic).first()
