"""Consumption of one day in the portal, by hour or by quarter hour (as the point is read):
the current interval data of a remote-read point through ``metering.queries.interval_series``,
so a DST day has its 23 or 25 hours (92 or 100 quarters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from vool.domain.metering import queries as metering_queries
from vool.domain.supply import queries as supply_queries
from vool.usecases.portal import NotTheirs, consumption_point_of

if TYPE_CHECKING:
    from vool.domain.customers.models import Customer
    from vool.domain.supply.models import MeteringPoint

__all__ = ["DayConsumption", "IntervalRow", "consumption_of_day"]


@dataclass(frozen=True)
class IntervalRow:
    start_at: dt.datetime  # UTC
    kwh: Decimal
    estimated: bool  # estimated or missing data


@dataclass(frozen=True)
class DayConsumption:
    point: MeteringPoint
    day: dt.date
    minutes: int  # 15 or 60
    rows: list[IntervalRow]

    @property
    def total_kwh(self) -> Decimal:
        return sum((r.kwh for r in self.rows), Decimal("0.000"))


def consumption_of_day(
    customer: Customer, *, point_id: int, day: dt.date, today: dt.date, hourly: bool = False
) -> DayConsumption:
    """The point's consumption on the local ``day`` at its own resolution (15 or 60 min),
    or by hour with ``hourly``. :class:`NotTheirs` for another customer's point or one read
    by hand (no interval data)."""
    point = consumption_point_of(customer, point_id=point_id, today=today)
    if point.metering_method != supply_queries.REMOTE_INTERVAL:
        raise NotTheirs(f"Metering point {point.eic} is read by hand: no interval data.")
    series = metering_queries.interval_series(
        metering_point=point,
        start=day,
        end=day + dt.timedelta(days=1),
        step="PT1H" if hourly else "PT15M",
    )
    minutes = 60 if hourly else point.interval_minutes
    rows = [
        IntervalRow(start, (Decimal(int(wh)) / 1000).quantize(Decimal("0.001")), bool(flag))
        for start, wh, flag in zip(series.starts, series.values_wh, series.quality, strict=True)
    ]
    return DayConsumption(point=point, day=day, minutes=minutes, rows=rows)
