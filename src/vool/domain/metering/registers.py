"""Register arithmetic: the advance between two readings, across a rollover. Pure: no Django.

A register with ``digits`` digits before the decimal point counts up to ``10**digits`` and
starts again at 0 ("rolls over"). A reading lower than the previous one is therefore either a
rollover or a mistake. It is taken as a rollover only if the consumption across the rollover
is small compared with the register's range (at most ``max_rollover_fraction`` of it,
default 10 %: 100,000 kWh on a 6-digit meter); otherwise it is refused.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from vool.common.localtime import Month, local_date

__all__ = [
    "ESTIMATED",
    "Advance",
    "ReadingBelowPrevious",
    "ReadingRow",
    "RegisterRow",
    "reading_date",
    "register_advance",
]

DEFAULT_MAX_ROLLOVER_FRACTION = Decimal("0.1")


class ReadingBelowPrevious(ValueError):
    """The reading is lower than the previous one and is not a plausible rollover."""

    def __init__(self, message: str, *, current_kwh: Decimal, previous_kwh: Decimal) -> None:
        super().__init__(message)
        self.current_kwh = current_kwh
        self.previous_kwh = previous_kwh


@dataclass(frozen=True)
class Advance:
    kwh: Decimal  # register units advanced (before the meter multiplier)
    rolled_over: bool


def _shown(value: Decimal) -> str:
    """1300.000 -> "1300", 12.50 -> "12.5" (as a person writes it)."""
    return f"{value.normalize():f}"


def register_advance(
    *,
    previous_kwh: Decimal,
    current_kwh: Decimal,
    digits: int,
    max_rollover_fraction: Decimal = DEFAULT_MAX_ROLLOVER_FRACTION,
) -> Advance:
    """How far the register advanced from ``previous_kwh`` to ``current_kwh``."""
    capacity = Decimal(10) ** digits
    for name, value in (("previous", previous_kwh), ("current", current_kwh)):
        if value < 0 or value >= capacity:
            raise ValueError(
                f"The {name} reading {_shown(value)} does not fit a {digits}-digit register "
                f"(0 to {capacity - 1})"
            )
    if current_kwh >= previous_kwh:
        return Advance(kwh=current_kwh - previous_kwh, rolled_over=False)
    across = capacity - previous_kwh + current_kwh
    if across <= capacity * max_rollover_fraction:
        return Advance(kwh=across, rolled_over=True)
    raise ReadingBelowPrevious(
        f"The reading {_shown(current_kwh)} is lower than the previous reading "
        f"{_shown(previous_kwh)}. "
        f"Please check the number on the meter.",
        current_kwh=current_kwh,
        previous_kwh=previous_kwh,
    )


def reading_date(*, period: str, read_at: dt.datetime) -> dt.date:
    """The local date a reading stands for: a month-end reading (``period`` "YYYY-MM") the 1st
    of the next month (the boundary between the two bills), any other its local date."""
    if period:
        return _boundary_after(period)
    return local_date(read_at)


@functools.lru_cache(maxsize=4096)
def _boundary_after(period: str) -> dt.date:
    """The 1st of the month after ``period`` (cached: a bulk estimate asks for the same few
    months hundreds of thousands of times)."""
    return Month.parse(period).next().first_day


# -- named rows of registers and readings (what the bill reads) -----------------------------

ESTIMATED = "ESTIMATED"  # Reading.Source of an estimate


class RegisterRow(NamedTuple):
    """A register of a meter installed on a point (``removed``: the meter's removal date)."""

    register_id: int
    kind: str
    digits: int
    multiplier: Decimal
    removed: dt.date | None


class ReadingRow(NamedTuple):
    """A register reading as the bill reads it."""

    reading_id: int
    read_at: dt.datetime
    value_kwh: Decimal
    source: str
    period: str  # the month it is the month-end reading of, or ""
    status: str
    details: dict[str, Any] | None

    @property
    def estimated(self) -> bool:
        return self.source == ESTIMATED

    @property
    def day(self) -> dt.date:
        return local_date(self.read_at)

    @property
    def stands_for(self) -> dt.date:
        """The boundary it marks: a month-end reading the 1st of the next month, any other
        its local day."""
        return reading_date(period=self.period, read_at=self.read_at)

    def unwrapped(self, digits: int) -> Decimal:
        """The value as if the register never rolled over (metering records ``wraps``)."""
        wraps = int((self.details or {}).get("wraps", 0))
        return Decimal(self.value_kwh) + wraps * Decimal(10) ** digits
