"""The monthly reading window. Pure: no Django, no clock.

Customers report their meter readings from 00:00 on the last day of a month to 24:00 on the
3rd day of the next month, Tallinn time (both configurable). A reading taken in that window is
the month-end reading of the month that just ended; any other reading is an interim reading.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from vool.common.localtime import Month, local_date, local_midnight

__all__ = ["DEFAULT_WINDOW", "ReadingWindow"]


@dataclass(frozen=True)
class ReadingWindow:
    """``opens_days_before_month_end=1`` opens the window at 00:00 on the month's last day;
    ``closes_after_day=3`` closes it at 24:00 on the 3rd day of the next month (exclusive)."""

    opens_days_before_month_end: int
    closes_after_day: int

    def __post_init__(self) -> None:
        if not 0 <= self.opens_days_before_month_end <= 27:
            raise ValueError("The window opens 0 to 27 days before the end of the month")
        if not 0 <= self.closes_after_day <= 27:
            raise ValueError("The window closes after day 0 to 27 of the next month")
        if self.opens_days_before_month_end + self.closes_after_day == 0:
            raise ValueError("The reading window must be at least one day long")

    def bounds(self, month: Month) -> tuple[dt.datetime, dt.datetime]:
        """UTC ``[opens_at, closes_at)`` of the window for the month-end reading of ``month``."""
        next_first = month.next().first_day
        opens = local_midnight(next_first - dt.timedelta(days=self.opens_days_before_month_end))
        closes = local_midnight(next_first + dt.timedelta(days=self.closes_after_day))
        return opens, closes

    def closes_at(self, month: Month) -> dt.datetime:
        return self.bounds(month)[1]

    def month_end_of(self, read_at: dt.datetime) -> Month | None:
        """The month whose month-end reading ``read_at`` is, or ``None`` for an interim one."""
        month = Month.of(local_date(read_at))
        for candidate in (month, month.previous()):
            opens, closes = self.bounds(candidate)
            if opens <= read_at < closes:
                return candidate
        return None

    def is_closed(self, month: Month, *, as_of: dt.datetime) -> bool:
        """Whether the window for ``month`` has closed at ``as_of``."""
        return as_of >= self.closes_at(month)


# The rule as Estonian retailers run it, and the one place its days are written: the settings
# (``VOOL_READING_WINDOW_*``) default to it; domain functions take the window as configured.
DEFAULT_WINDOW = ReadingWindow(opens_days_before_month_end=1, closes_after_day=3)
