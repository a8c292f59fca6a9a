"""Reads for metering points."""

from __future__ import annotations

from vool.domain.supply.models import MeteringPoint


def get_metering_point(*, eic: str) -> MeteringPoint | None:
    return MeteringPoint.objects.select_related("grid_operator").filter(eic=eic.strip()).first()
