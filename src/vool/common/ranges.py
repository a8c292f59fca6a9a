"""Half-open ranges ``[start, end)`` of dates and of aware datetimes.

A contract valid from 1 March "until 1 April" is ``DateRange(date(2026, 3, 1), date(2026, 4, 1))``:
it covers 31 days and does not overlap a contract that starts on 1 April.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = ["DateRange", "DateTimeRange", "any_overlap"]


def _check_date(value: object, name: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def _utc(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} is naive; give it a time zone (UTC)")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class DateRange:
    """Dates ``start <= d < end``; ``end=None`` means open-ended (until further notice)."""

    start: date
    end: date | None

    def __post_init__(self) -> None:
        _check_date(self.start, "start")
        if self.end is not None:
            _check_date(self.end, "end")
            if self.end <= self.start:
                raise ValueError(
                    f"A date range must end after it starts: end {self.end.isoformat()} "
                    f"is not after start {self.start.isoformat()}"
                )

    def __str__(self) -> str:
        end = self.end.isoformat() if self.end is not None else "…"
        return f"[{self.start.isoformat()}, {end})"

    def contains(self, d: date) -> bool:
        _check_date(d, "d")
        return self.start <= d and (self.end is None or d < self.end)

    def overlaps(self, other: DateRange) -> bool:
        """Whether at least one day is in both ranges (touching ends do not overlap)."""
        return (other.end is None or self.start < other.end) and (
            self.end is None or other.start < self.end
        )

    def intersection(self, other: DateRange) -> DateRange | None:
        """The days in both ranges, or ``None`` if there are none."""
        if not self.overlaps(other):
            return None
        ends = [e for e in (self.end, other.end) if e is not None]
        return DateRange(max(self.start, other.start), min(ends) if ends else None)

    @property
    def days(self) -> int | None:
        """Number of days, or ``None`` for an open-ended range."""
        if self.end is None:
            return None
        return (self.end - self.start).days

    def clip(self, start: date, end: date) -> DateRange | None:
        """The part of this range inside ``[start, end)``, or ``None`` if there is none."""
        return self.intersection(DateRange(start, end))


def any_overlap(ranges: Iterable[DateRange]) -> tuple[DateRange, DateRange] | None:
    """The first overlapping pair, ordered by start date, or ``None`` if all are disjoint.

    Ranges are swept in order of start date (then end, open last); the pair returned is the
    earlier-starting range and the first later one that begins before it ends.
    """
    ordered = sorted(
        ranges, key=lambda r: (r.start, r.end is None, r.end if r.end is not None else r.start)
    )
    reach: DateRange | None = None  # the range seen so far that ends last
    for current in ordered:
        if reach is not None and reach.overlaps(current):
            return reach, current
        if reach is None or (
            reach.end is not None and (current.end is None or current.end > reach.end)
        ):
            reach = current
    return None


@dataclass(frozen=True)
class DateTimeRange:
    """Instants ``start <= t < end`` of aware datetimes, stored in UTC.

    Storing UTC matters: Python compares and subtracts two datetimes that share a tzinfo by wall
    clock, which is wrong across a DST change.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start = _utc(self.start, "start")
        end = _utc(self.end, "end")
        if end <= start:
            raise ValueError(
                f"A time range must end after it starts: end {end.isoformat()} "
                f"is not after start {start.isoformat()}"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"

    def contains(self, t: datetime) -> bool:
        moment = _utc(t, "t")
        return self.start <= moment < self.end

    def overlaps(self, other: DateTimeRange) -> bool:
        """Whether the ranges share any instant (touching ends do not overlap)."""
        return self.start < other.end and other.start < self.end

    def intersection(self, other: DateTimeRange) -> DateTimeRange | None:
        """The instants in both ranges, or ``None`` if there are none."""
        if not self.overlaps(other):
            return None
        return DateTimeRange(max(self.start, other.start), min(self.end, other.end))

    @property
    def duration(self) -> timedelta:
        return self.end - self.start
