"""The tunable rules of register readings, as one plain value. Pure: no Django.

The usecases build it from Django settings (``VOOL_READING_WINDOW_OPENS_DAYS_BEFORE_MONTH_END``,
``VOOL_READING_WINDOW_CLOSES_AFTER_DAY``, ``VOOL_READING_PLAUSIBILITY_FACTOR``,
``VOOL_READING_PLAUSIBILITY_MIN_KWH``); domain code takes it as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vool.domain.metering.plausibility import DEFAULT_FACTOR, DEFAULT_MIN_EXPECTED_KWH
from vool.domain.metering.registers import DEFAULT_MAX_ROLLOVER_FRACTION
from vool.domain.metering.window import DEFAULT_WINDOW, ReadingWindow

__all__ = ["DEFAULT_POLICY", "ReadingPolicy"]


@dataclass(frozen=True)
class ReadingPolicy:
    window: ReadingWindow = DEFAULT_WINDOW
    plausibility_factor: Decimal = DEFAULT_FACTOR
    plausibility_min_kwh: Decimal = DEFAULT_MIN_EXPECTED_KWH
    max_rollover_fraction: Decimal = DEFAULT_MAX_ROLLOVER_FRACTION
    history_days: int = 400  # how far back plausibility and estimation look


DEFAULT_POLICY = ReadingPolicy()
