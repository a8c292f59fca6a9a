"""Reads for supply contracts."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from vool.common.ranges import DateRange
from vool.domain.contracts.models import SupplyContract


def overlapping_contract(
    *, metering_point_id: int, period: DateRange, exclude_id: int | None = None
) -> SupplyContract | None:
    """A live contract on the point whose ``[from, to)`` overlaps ``period``, if any."""
    live = SupplyContract.objects.filter(metering_point_id=metering_point_id).exclude(
        status=SupplyContract.Status.CANCELLED
    )
    if exclude_id is not None:
        live = live.exclude(pk=exclude_id)
    overlap = Q(valid_to__isnull=True) | Q(valid_to__gt=period.start)
    if period.end is not None:
        overlap &= Q(valid_from__lt=period.end)
    return live.filter(overlap).order_by("valid_from").first()


def active_contracts_of_point_on(*, eic: str, day: dt.date) -> list[SupplyContract]:
    """The active contracts of metering point ``eic`` begun before ``day`` and not ended by it
    (those a switch away from ``day`` cuts short)."""
    return list(
        SupplyContract.objects.filter(
            metering_point__eic=eic,
            status=SupplyContract.Status.ACTIVE,
            valid_from__lt=day,
        ).exclude(valid_to__lte=day)
    )
