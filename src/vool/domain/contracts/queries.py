"""Reads for supply contracts."""

from __future__ import annotations

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
