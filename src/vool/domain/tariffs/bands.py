"""Time bands (day, night, peaks) of intervals, from dated window rules. Pure: no Django.

A band is decided by the interval's *start* in local Tallinn time, its weekday and the
Estonian public holidays (``holidays``, country EE): a *rest day* is a Saturday, a Sunday or
a public holiday; every other day is a *working day*. A window's ``day_type`` is ``ANY``,
``WORKDAY``, ``REST_DAY`` or ``WEEKDAY`` (Monday to Friday whether or not a public holiday:
the rule before March 2022 billed a weekday holiday like any weekday).

A :class:`BandScheme` holds dated :class:`BandRules`; the rules valid on the interval's local
date apply. Within the rules the first :class:`BandWindow` that matches wins, otherwise the
default band. The current Elektrilevi day/night rule (since 1 March 2022) is::

    BandRules(valid_from=date(2022, 3, 1), valid_to=None, default_band="NIGHT",
              windows=(BandWindow("DAY", 7 * 60, 22 * 60, day_type="WORKDAY"),))

and the older one (day 07-23 in winter time, 08-24 in summer time, Monday to Friday,
holidays included) is two ``WEEKDAY`` windows with ``season="STANDARD_TIME"`` and
``season="SUMMER_TIME"``. Nothing here is a
constant of the law: the rules are data (see ``data/defaults.json``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

# Imported here, not on first use: loading the calendars takes ~0.5 s, better paid at start-up
# than by the first request.
from holidays.countries.estonia import Estonia

from vool.common.localtime import TALLINN

__all__ = [
    "ALL",
    "BandRules",
    "BandScheme",
    "BandWindow",
    "NoBandRules",
    "is_rest_day",
]

ALL: Final = "ALL"  # the one band of a flat (unbanded) price

DayType = Literal["ANY", "WORKDAY", "REST_DAY", "WEEKDAY"]
Season = Literal["ANY", "SUMMER_TIME", "STANDARD_TIME"]


class NoBandRules(Exception):
    """No band rules of a scheme cover a date."""


@lru_cache(maxsize=64)
def _ee_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(Estonia(years=year).keys())


def is_rest_day(day: dt.date) -> bool:
    """Saturday, Sunday or an Estonian public holiday."""
    return day.weekday() >= 5 or day in _ee_holidays(day.year)


@dataclass(frozen=True)
class BandWindow:
    """``band`` applies from ``start_minute`` to ``end_minute`` (local minutes after midnight,
    ``[start, end)``, end 1440 = 24:00) on days of ``day_type``, in ``months`` (``None`` = every
    month) and ``season`` (summer time = daylight saving time in force)."""

    band: str
    start_minute: int
    end_minute: int
    day_type: DayType = "ANY"
    months: frozenset[int] | None = None
    season: Season = "ANY"

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= 1440:
            raise ValueError(
                f"Band window {self.band}: need 0 <= start < end <= 1440 minutes, "
                f"not {self.start_minute}..{self.end_minute}"
            )

    def matches(
        self, *, minute: int, rest_day: bool, weekend: bool, month: int, summer_time: bool
    ) -> bool:
        if not self.start_minute <= minute < self.end_minute:
            return False
        if self.day_type == "WORKDAY" and rest_day:
            return False
        if self.day_type == "REST_DAY" and not rest_day:
            return False
        if self.day_type == "WEEKDAY" and weekend:
            return False
        if self.months is not None and month not in self.months:
            return False
        if self.season == "SUMMER_TIME" and not summer_time:
            return False
        return not (self.season == "STANDARD_TIME" and summer_time)


@dataclass(frozen=True)
class BandRules:
    """The windows of a scheme valid on local dates ``[valid_from, valid_to)``."""

    valid_from: dt.date
    valid_to: dt.date | None
    default_band: str
    windows: tuple[BandWindow, ...] = ()

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True)
class BandScheme:
    """A named set of bands (``bands`` in display order) and their dated rules."""

    code: str
    bands: tuple[str, ...]
    rules: tuple[BandRules, ...] = field(default=())

    def __post_init__(self) -> None:
        for rules in self.rules:
            used = {rules.default_band, *(w.band for w in rules.windows)}
            unknown = used - set(self.bands)
            if unknown:
                raise ValueError(f"Band scheme {self.code}: unknown bands {sorted(unknown)}")

    def rules_on(self, day: dt.date) -> BandRules:
        for rules in self.rules:
            if rules.covers(day):
                return rules
        raise NoBandRules(f"Band scheme {self.code} has no rules valid on {day.isoformat()}")

    def band_at(self, start_utc: dt.datetime) -> str:
        """The band of an interval starting at the aware instant ``start_utc``."""
        local = start_utc.astimezone(TALLINN)
        day = local.date()
        rules = self.rules_on(day)
        minute = local.hour * 60 + local.minute
        rest = is_rest_day(day)
        weekend = day.weekday() >= 5
        summer = bool(local.dst())
        for window in rules.windows:
            if window.matches(
                minute=minute, rest_day=rest, weekend=weekend, month=day.month, summer_time=summer
            ):
                return window.band
        return rules.default_band

    def band_indices(self, starts_utc: Sequence[dt.datetime]) -> npt.NDArray[np.int8]:
        """Index into :attr:`bands` of each interval start (vectorised per local day; the
        same answers as :meth:`band_at`)."""
        n = len(starts_utc)
        position = {band: i for i, band in enumerate(self.bands)}
        if n == 0:
            return np.zeros(0, dtype=np.int8)
        epoch = np.fromiter((int(t.timestamp()) for t in starts_utc), dtype=np.int64, count=n)
        if n > 1 and bool((np.diff(epoch) <= 0).any()):  # not sorted: one at a time
            return np.fromiter(
                (position[self.band_at(t)] for t in starts_utc), dtype=np.int8, count=n
            )
        offset = np.zeros(n, dtype=np.int64)
        summer = np.zeros(n, dtype=np.bool_)
        rest = np.zeros(n, dtype=np.bool_)
        weekend = np.zeros(n, dtype=np.bool_)
        month = np.zeros(n, dtype=np.int8)
        rules_of = np.full(n, -1, dtype=np.int16)
        day = starts_utc[0].astimezone(TALLINN).date()
        last = starts_utc[-1].astimezone(TALLINN).date()
        while day <= last:
            following = day + dt.timedelta(days=1)
            lo, hi = np.searchsorted(epoch, [_midnight(day), _midnight(following)])
            if lo < hi:
                first_local = starts_utc[lo].astimezone(TALLINN)
                last_local = starts_utc[hi - 1].astimezone(TALLINN)
                if first_local.utcoffset() == last_local.utcoffset():
                    offset[lo:hi] = _seconds(first_local.utcoffset())
                    summer[lo:hi] = bool(first_local.dst())
                else:  # a DST change: interval by interval
                    for i in range(lo, hi):
                        local = starts_utc[i].astimezone(TALLINN)
                        offset[i] = _seconds(local.utcoffset())
                        summer[i] = bool(local.dst())
                rest[lo:hi] = is_rest_day(day)
                weekend[lo:hi] = day.weekday() >= 5
                month[lo:hi] = day.month
                index = next((k for k, r in enumerate(self.rules) if r.covers(day)), -1)
                if index < 0:
                    raise NoBandRules(
                        f"Band scheme {self.code} has no rules valid on {day.isoformat()}"
                    )
                rules_of[lo:hi] = index
            day = following
        minute = ((epoch + offset) // 60) % 1440
        out = np.zeros(n, dtype=np.int8)
        for k, rules in enumerate(self.rules):
            selected = rules_of == k
            if not selected.any():
                continue
            out[selected] = position[rules.default_band]
            for window in reversed(rules.windows):  # the first matching window wins
                match = selected & (minute >= window.start_minute) & (minute < window.end_minute)
                if window.day_type == "WORKDAY":
                    match &= ~rest
                elif window.day_type == "REST_DAY":
                    match &= rest
                elif window.day_type == "WEEKDAY":
                    match &= ~weekend
                if window.months is not None:
                    match &= np.isin(month, list(window.months))
                if window.season == "SUMMER_TIME":
                    match &= summer
                elif window.season == "STANDARD_TIME":
                    match &= ~summer
                out[match] = position[window.band]
        return out


def _midnight(day: dt.date) -> int:
    """Unix seconds of 00:00 Tallinn time on ``day``."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=TALLINN).timestamp())


def _seconds(offset: dt.timedelta | None) -> int:
    return int(offset.total_seconds()) if offset is not None else 0
