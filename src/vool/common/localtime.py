"""Estonian civil time (Europe/Tallinn) and the UTC instants that bound local days and months.

Rules kept here so nobody has to remember them elsewhere:

* Instants are stored and compared in UTC; Tallinn time is for people and for deciding which
  local day or month an instant belongs to.
* A local day is 23, 24 or 25 hours long (DST starts on the last Sunday of March at 03:00 local,
  ends on the last Sunday of October at 04:00 local), so it has 92/96/100 quarter hours.
* Arithmetic on two datetimes that share a ``ZoneInfo`` is wall-clock arithmetic in Python, so
  everything here converts to UTC before subtracting, adding or comparing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "TALLINN",
    "UTC",
    "Month",
    "as_local",
    "day_bounds",
    "interval_starts",
    "intervals_in_day",
    "intervals_in_range",
    "local_date",
    "local_midnight",
]

TALLINN: Final = ZoneInfo("Europe/Tallinn")
UTC: Final = dt.UTC  # the same object as datetime.timezone.utc

_INTERVAL_MINUTES: Final = (15, 60)
_MONTH_RE: Final = re.compile(r"(\d{4})-(\d{2})")


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} is naive; give it a time zone (UTC)")


def _require_date(value: date, name: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def as_local(value: datetime) -> datetime:
    """The same instant in Tallinn time; a naive datetime raises :class:`ValueError`."""
    _require_aware(value, "datetime")
    return value.astimezone(TALLINN)


def local_date(value: datetime) -> date:
    """The Tallinn calendar date of an aware instant."""
    return as_local(value).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant of 00:00 Tallinn time on ``day`` (midnight is never skipped by DST)."""
    _require_date(day, "day")
    return datetime(day.year, day.month, day.day, tzinfo=TALLINN).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """UTC ``[start, end)`` of the Tallinn local ``day``."""
    _require_date(day, "day")
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def _interval(minutes: int) -> timedelta:
    if isinstance(minutes, bool) or minutes not in _INTERVAL_MINUTES:
        raise ValueError(f"Interval length must be 15 or 60 minutes, not {minutes!r}")
    return timedelta(minutes=minutes)


def _aligned_utc(value: datetime, name: str, minutes: int) -> datetime:
    _require_aware(value, name)
    utc = value.astimezone(UTC)
    if utc.minute % minutes or utc.second or utc.microsecond:
        raise ValueError(
            f"{name} {value.isoformat()} is not on a {minutes}-minute boundary "
            f"(expected minutes divisible by {minutes} and no seconds)"
        )
    return utc


def _checked_range(
    start: datetime, end: datetime, minutes: int
) -> tuple[datetime, datetime, timedelta]:
    step = _interval(minutes)
    start_utc = _aligned_utc(start, "start", minutes)
    end_utc = _aligned_utc(end, "end", minutes)
    if end_utc < start_utc:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    return start_utc, end_utc, step


def interval_starts(start: datetime, end: datetime, *, minutes: int) -> list[datetime]:
    """UTC starts of the ``minutes``-long (15 or 60) intervals in ``[start, end)``.

    ``start`` and ``end`` must be aware and on interval boundaries; ``end == start`` gives ``[]``.
    """
    start_utc, end_utc, step = _checked_range(start, end, minutes)
    count = (end_utc - start_utc) // step
    return [start_utc + i * step for i in range(count)]


def intervals_in_range(start: datetime, end: datetime, *, minutes: int) -> int:
    """How many ``minutes``-long (15 or 60) intervals lie in ``[start, end)``."""
    start_utc, end_utc, step = _checked_range(start, end, minutes)
    return (end_utc - start_utc) // step


def intervals_in_day(day: date, *, minutes: int) -> int:
    """Intervals in the Tallinn local ``day``: 92/96/100 quarters or 23/24/25 hours."""
    return intervals_in_range(*day_bounds(day), minutes=minutes)


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, e.g. the billing period ``Month(2026, 3)`` shown as ``"2026-03"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        for name in ("year", "month"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Month {name} must be an int, not {type(value).__name__}")
        if not 1 <= self.month <= 12:
            raise ValueError(f"Month number must be 1..12, not {self.month}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"Year must be 1..9999, not {self.year}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``"YYYY-MM"`` (e.g. ``"2026-03"``)."""
        match = _MONTH_RE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"Invalid month {text!r}: expected YYYY-MM, e.g. 2026-03")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"Invalid month {text!r}: the month must be 01..12")
        if year < 1:
            raise ValueError(f"Invalid month {text!r}: the year must be 0001..9999")
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        """The month containing ``day``; an aware datetime counts in Tallinn time."""
        if isinstance(day, datetime):
            day = local_date(day)
        _require_date(day, "day")
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        """Number of calendar days in the month (28..31)."""
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> Month:
        if self.month == 12:
            return Month(self.year + 1, 1)
        return Month(self.year, self.month + 1)

    def previous(self) -> Month:
        if self.month == 1:
            return Month(self.year - 1, 12)
        return Month(self.year, self.month - 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """UTC ``[start, end)`` of the month in Tallinn time."""
        return local_midnight(self.first_day), local_midnight(self.next().first_day)

    @staticmethod
    def range(start: Month, end: Month) -> list[Month]:
        """The months from ``start`` (inclusive) to ``end`` (exclusive); ``[]`` if end <= start."""
        months: list[Month] = []
        current = start
        while current < end:
            months.append(current)
            current = current.next()
        return months
