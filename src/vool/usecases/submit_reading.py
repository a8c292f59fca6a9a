"""Submitting register readings: the one way in for the portal, the back office, the phone
channel, the CLI and files. Builds the reading rules from the settings and calls the metering
operations; all registers of a meter are taken together or not at all.

Settings (defaults in brackets): ``VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END`` and
``VOOL_READING_WINDOW_CLOSES_AFTER_DAY`` [``metering.window.DEFAULT_WINDOW``],
``VOOL_READING_PLAUSIBILITY_FACTOR`` [3],
``VOOL_READING_PLAUSIBILITY_MIN_KWH`` [10].
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from vool.common.localtime import local_date
from vool.domain.metering import operations
from vool.domain.metering import queries as metering_queries
from vool.domain.metering.operations import SubmittedReading, UnableToSubmitReading
from vool.domain.metering.policy import ReadingPolicy
from vool.domain.metering.window import DEFAULT_WINDOW, ReadingWindow
from vool.integrations.safe_input import cut

if TYPE_CHECKING:  # types only: metering points are read through supply.queries
    from vool.domain.supply.models import MeteringPoint

__all__ = [
    "UnableToSubmitReading",
    "reading_policy",
    "reading_value_problem",
    "submit_meter_readings",
]


def reading_policy() -> ReadingPolicy:
    """The reading rules as configured (see the module doc)."""
    return ReadingPolicy(
        window=ReadingWindow(
            opens_days_before_month_end=int(
                getattr(
                    settings,
                    "VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END",
                    DEFAULT_WINDOW.opens_days_before_month_end,
                )
            ),
            closes_after_day=int(
                getattr(
                    settings,
                    "VOOL_READING_WINDOW_CLOSES_AFTER_DAY",
                    DEFAULT_WINDOW.closes_after_day,
                )
            ),
        ),
        plausibility_factor=Decimal(str(getattr(settings, "VOOL_READING_PLAUSIBILITY_FACTOR", 3))),
        plausibility_min_kwh=Decimal(
            str(getattr(settings, "VOOL_READING_PLAUSIBILITY_MIN_KWH", 10))
        ),
    )


_MAX_KWH = Decimal(10) ** 12


def reading_value_problem(value: Decimal) -> str | None:
    """Why ``value`` cannot be a register reading (a finite, non-negative number of kWh with
    at most 3 decimals), or ``None``."""
    if not value.is_finite() or not 0 <= value < _MAX_KWH:
        return f"{cut(value)} kWh is not a meter reading (0 or more, below {_MAX_KWH:,})"
    if value != value.quantize(Decimal("0.001")):
        return f"{cut(value)} kWh has more than 3 decimals"
    return None


def submit_meter_readings(
    *,
    metering_point: MeteringPoint,
    values_kwh: Mapping[str, Decimal],
    read_at: dt.datetime,
    source: str,
    as_of: dt.datetime,
    created_by: Any = None,
) -> list[SubmittedReading]:
    """Readings of the meter installed at ``metering_point``, one value per register kind
    (``{"SINGLE": ...}`` or ``{"DAY": ..., "NIGHT": ...}``), all or none."""
    for kind, value in sorted(values_kwh.items()):
        problem = reading_value_problem(value)
        if problem is not None:
            raise UnableToSubmitReading(f"{kind}: {problem}.")
    policy = reading_policy()
    with transaction.atomic():
        if metering_point.metering_method == metering_point.MeteringMethod.REMOTE_INTERVAL and (
            source not in (operations.Source.REMOTE, operations.Source.MIGRATION)
        ):
            raise UnableToSubmitReading(
                f"Metering point {metering_point.eic} is read remotely: its consumption comes "
                f"from the meter's interval data and it needs no readings."
            )
        meter = metering_queries.meter_on(
            metering_point_id=metering_point.pk, day=local_date(read_at)
        )
        if meter is None:
            raise UnableToSubmitReading(f"Metering point {metering_point.eic} has no meter.")
        registers = {r.kind: r for r in meter.registers.all()}
        if set(values_kwh) != set(registers):
            raise UnableToSubmitReading(
                f"Meter {meter.serial_number} has the registers {', '.join(sorted(registers))}; "
                f"give a value for each."
            )
        return [
            operations.submit_reading(
                register=registers[kind],
                value_kwh=value,
                read_at=read_at,
                source=source,
                as_of=as_of,
                created_by=created_by,
                policy=policy,
            )
            for kind, value in sorted(values_kwh.items())
        ]
