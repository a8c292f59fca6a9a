"""Reads for bills and the portal: consumption per register and period, interval series.

Consumption of a period is the difference of two consecutive boundary readings (actual or
estimated): the month-end reading of the month before and the month-end reading of the month,
across rollovers (``wraps``) and meter exchanges (old meter up to its final reading plus the new
one from its initial reading), times the meter multiplier. An actual reading after estimates
therefore trues the estimates up by itself: the bill after it gets
``actual since the last actual reading - what the estimates since assumed``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from vool.common.localtime import Month, intervals_in_day, local_date, local_midnight
from vool.domain.metering import intervals
from vool.domain.metering.models import (
    IntervalCorrection,
    IntervalDay,
    Meter,
    Reading,
    Register,
)
from vool.domain.metering.operations import unwrapped_kwh
from vool.domain.metering.registers import ReadingRow, RegisterRow
from vool.domain.supply.models import MeteringPoint

__all__ = [
    "IntervalSeries",
    "NetDayTotals",
    "RegisterConsumption",
    "consumption_for_period",
    "day_versions",
    "interval_corrections",
    "interval_days_known_at",
    "interval_series",
    "net_by_day",
    "open_corrections",
    "reading_history",
    "readings_by_id",
    "readings_known_at",
    "readings_waiting_for_review",
    "register_readings",
    "registers_on_points",
]


@dataclass(frozen=True)
class RegisterConsumption:
    kind: str
    kwh: Decimal | None  # None: no accepted month-end reading yet (not billable)
    start_reading_id: int | None
    end_reading_id: int | None
    start_date: dt.date | None
    end_date: dt.date | None
    estimated: bool  # the start or the end is an estimate
    pending_review: bool  # a month-end reading of the month waits for review


def _chain_kwh(chain: list[Reading], digits: dict[int, int], mult: dict[int, Decimal]) -> Decimal:
    total = Decimal(0)
    for a, b in itertools.pairwise(chain):
        if a.register_id != b.register_id:
            continue  # a meter exchange: final reading of the old, initial of the new
        meter_digits = digits[b.register_id]
        delta = unwrapped_kwh(b, meter_digits) - unwrapped_kwh(a, meter_digits)
        total += delta * mult[b.register_id]
    return total


def consumption_for_period(
    *, metering_point: MeteringPoint, month: Month
) -> dict[str, RegisterConsumption]:
    """Consumption per register kind (SINGLE, DAY, NIGHT) of ``month``, in kWh."""
    return consumption_for_months(metering_point=metering_point, months=[month])[month]


def consumption_for_months(
    *, metering_point: MeteringPoint, months: Sequence[Month]
) -> dict[Month, dict[str, RegisterConsumption]]:
    """:func:`consumption_for_period` of each of ``months``, from one read of the point's
    registers and readings (two queries, whatever the number of months)."""
    registers = list(
        Register.objects.filter(meter__metering_point=metering_point).select_related("meter")
    )
    readings = list(
        Reading.objects.filter(register__in=registers, superseded_by__isnull=True)
        .exclude(status=Reading.Status.REJECTED)
        .select_related("register")
        .order_by("read_at", "id")
    )
    return {month: _month_consumption(month, registers, readings) for month in months}


def _month_consumption(
    month: Month, registers: list[Register], readings: list[Reading]
) -> dict[str, RegisterConsumption]:
    digits = {r.pk: r.meter.digits for r in registers}
    mult = {r.pk: r.meter.multiplier for r in registers}
    result: dict[str, RegisterConsumption] = {}
    for kind in sorted({r.kind for r in registers}):
        of_kind = [r for r in readings if r.register.kind == kind]
        pending = any(
            r.period == str(month) and r.status == Reading.Status.PENDING_REVIEW for r in of_kind
        )
        accepted = [r for r in of_kind if r.status == Reading.Status.ACCEPTED]
        ends = [r for r in accepted if r.period == str(month)]
        end = ends[-1] if ends else None
        # the previous bill's boundary: the latest month-end reading of an earlier month, or
        # (first bill) the first reading of this kind
        starts = [r for r in accepted if r.period and r.period < str(month)]
        start = starts[-1] if starts else (accepted[0] if accepted else None)
        if end is None or start is None or start.read_at > end.read_at:
            result[kind] = RegisterConsumption(
                kind, None, None, None, None, None, estimated=False, pending_review=pending
            )
            continue
        i, j = accepted.index(start), accepted.index(end)
        chain = accepted[i : j + 1]
        result[kind] = RegisterConsumption(
            kind=kind,
            kwh=_chain_kwh(chain, digits, mult),
            start_reading_id=start.pk,
            end_reading_id=end.pk,
            start_date=(
                Month.parse(start.period).next().first_day
                if start.period
                else local_date(start.read_at)
            ),
            end_date=month.next().first_day,
            estimated=Reading.Source.ESTIMATED in (start.source, end.source),
            pending_review=pending,
        )
    return result


Step = Literal["PT15M", "PT1H", "P1D", "P1M"]
_STEPS: Final = ("PT15M", "PT1H", "P1D", "P1M")


class _StoredDay(NamedTuple):
    """One stored day of a series: its resolution and its packed values and quality flags."""

    minutes: int
    values_wh: bytes
    quality: bytes


@dataclass(frozen=True)
class IntervalSeries:
    """A series of a metering point: ``starts`` (UTC) with ``values_wh`` and ``quality``
    (the worst flag of the intervals inside). ``total_wh`` is the same at every step.

    ``starts`` is built on first use (a year of quarter hours is 35,000 datetimes, which
    the package comparison never reads): at ``PT15M``/``PT1H`` from ``first`` and
    ``step_minutes``, at ``P1D``/``P1M`` the local midnights given."""

    step: str
    values_wh: npt.NDArray[np.int64]
    quality: npt.NDArray[np.uint8]
    first: dt.datetime | None = None
    step_minutes: int = 0
    period_starts: tuple[dt.datetime, ...] = ()

    @cached_property
    def starts(self) -> list[dt.datetime]:
        if self.first is None:
            return list(self.period_starts)
        step = dt.timedelta(minutes=self.step_minutes)
        return [self.first + step * i for i in range(len(self.values_wh))]

    @property
    def total_wh(self) -> int:
        return int(self.values_wh.sum(dtype=np.int64))


def interval_series(
    *,
    metering_point: MeteringPoint,
    start: dt.date,
    end: dt.date,
    step: str = "PT15M",
    direction: str = IntervalDay.Direction.CONSUMPTION,
) -> IntervalSeries:
    """Current interval data of local days ``[start, end)`` at ``PT15M`` (the stored
    resolution, 15 or 60 min), ``PT1H``, ``P1D`` or ``P1M``. Days without data count as
    missing with value 0. ``PT15M`` on a 60-minute point returns the hours."""
    if step not in _STEPS:
        raise ValueError(f"Step must be one of {', '.join(_STEPS)}, not {step!r}")
    minutes = metering_point.interval_minutes
    rows = {
        d: _StoredDay(res, bytes(v), bytes(q))
        for d, res, v, q in IntervalDay.objects.filter(
            metering_point=metering_point,
            direction=direction,
            is_current=True,
            day__gte=start,
            day__lt=end,
        ).values_list("day", "resolution_minutes", "values_wh", "quality")
    }
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    if step == "P1D" or step == "P1M":
        return _period_series(rows, days, minutes=minutes, step=step)
    day_values: list[npt.NDArray[np.int64]] = []
    day_flags: list[npt.NDArray[np.uint8]] = []
    for day in days:
        row = rows.get(day)
        if row is not None and _readable_at(row, minutes):
            values, flags = _stored_day_at(row, minutes)
            day_values.append(values)
            day_flags.append(flags)
        else:
            count = intervals_in_day(day, minutes=minutes)
            day_values.append(np.zeros(count, dtype=np.int64))
            day_flags.append(np.full(count, intervals.MISSING, dtype=np.uint8))
    values = np.concatenate(day_values) if day_values else np.zeros(0, dtype=np.int64)
    flags = np.concatenate(day_flags) if day_flags else np.zeros(0, dtype=np.uint8)
    step_minutes = minutes
    if step == "PT1H" and minutes == 15:
        values = intervals.resample_sum(values, 4)
        flags = intervals.combine_quality(flags, 4)
        step_minutes = 60
    return IntervalSeries(
        step=step,
        values_wh=values,
        quality=flags,
        first=local_midnight(start),
        step_minutes=step_minutes,
    )


def _readable_at(row: _StoredDay, minutes: int) -> bool:
    """Whether a stored day converts to the point's resolution (else it counts as missing)."""
    return row.minutes == minutes or (row.minutes, minutes) in ((60, 15), (15, 60))


def _stored_day_at(
    row: _StoredDay, minutes: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """A stored day's values and flags at the point's resolution ``minutes`` (hours spread
    over their quarters, quarters summed into hours); see :func:`_readable_at`."""
    if row.minutes == minutes:
        return (
            intervals.unpack_values(row.values_wh).astype(np.int64),
            intervals.unpack_quality(row.quality),
        )
    if row.minutes == 60:  # and the point has quarters
        hours = intervals.unpack_values(row.values_wh).astype(np.int64)
        return (
            np.repeat(hours // 4, 4) + _spread_remainder(hours),
            np.repeat(intervals.unpack_quality(row.quality), 4),
        )
    return (  # quarters, and the point has hours
        intervals.resample_sum(intervals.unpack_values(row.values_wh), 4),
        intervals.combine_quality(intervals.unpack_quality(row.quality), 4),
    )


def _period_series(
    rows: dict[dt.date, _StoredDay], days: list[dt.date], *, minutes: int, step: str
) -> IntervalSeries:
    """``P1D`` or ``P1M`` of ``days``: each day's total and worst flag. A day without data
    (or at a resolution that does not convert) is 0 Wh, MISSING; only the days
    with data are unpacked, and only the periods' own midnights are made."""
    values = np.zeros(len(days), dtype=np.int64)
    flags = np.full(len(days), intervals.MISSING, dtype=np.uint8)
    for i, day in enumerate(days):
        row = rows.get(day)
        if row is not None and _readable_at(row, minutes):
            day_values, day_flags = _stored_day_at(row, minutes)
            values[i] = day_values.sum(dtype=np.int64)
            flags[i] = day_flags.max() if day_flags.size else 0
    if step == "P1D":
        starts = tuple(local_midnight(d) for d in days)
        return IntervalSeries(step=step, values_wh=values, quality=flags, period_starts=starts)
    if not days:
        return IntervalSeries(step=step, values_wh=values, quality=flags)
    first = days[0].year * 12 + days[0].month - 1
    keys = np.array([d.year * 12 + d.month - 1 - first for d in days], dtype=np.int64)
    count = int(keys[-1]) + 1  # the days are consecutive: every month in between has some
    month_values = np.bincount(keys, weights=values, minlength=count).astype(np.int64)
    month_flags = np.zeros(count, dtype=np.uint8)
    np.maximum.at(month_flags, keys, flags)
    starts = tuple(
        local_midnight(dt.date((first + k) // 12, (first + k) % 12 + 1, 1)) for k in range(count)
    )
    return IntervalSeries(
        step=step, values_wh=month_values, quality=month_flags, period_starts=starts
    )


def _spread_remainder(hours: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Spread each hour's remainder (Wh not divisible by 4) over its first quarters, so the
    four quarters add up exactly to the hour."""
    rem = (hours % 4)[:, None]
    return (np.arange(4)[None, :] < rem).astype(np.int64).ravel()


def interval_corrections(
    *, metering_point: MeteringPoint | None = None, period: Month | None = None
) -> list[IntervalCorrection]:
    """Unsettled true-up markers (interval corrections), oldest first."""
    qs = IntervalCorrection.objects.filter(settled_at__isnull=True)
    if metering_point is not None:
        qs = qs.filter(metering_point=metering_point)
    if period is not None:
        qs = qs.filter(period=str(period))
    return list(qs.order_by("day", "id"))


def pending_review() -> QuerySet[Reading]:
    """The readings kept as PENDING_REVIEW and not superseded by the decision (unordered: the
    queue's counts)."""
    return Reading.objects.filter(status=Reading.Status.PENDING_REVIEW, superseded_by__isnull=True)


def readings_waiting_for_review(*, metering_point: MeteringPoint | None = None) -> list[Reading]:
    """Readings kept as PENDING_REVIEW (shown to the customer as "please check", not billed
    until the back office accepts them), oldest first."""
    qs = pending_review().select_related("register__meter__metering_point")
    if metering_point is not None:
        qs = qs.filter(register__meter__metering_point=metering_point)
    return list(qs.order_by("read_at", "id"))


def reading_history(*, metering_point: MeteringPoint) -> list[Reading]:
    """The effective readings of a metering point (all its meters), newest first."""
    return list(
        Reading.objects.filter(
            register__meter__metering_point=metering_point, superseded_by__isnull=True
        )
        .select_related("register__meter")
        .order_by("-read_at", "-id")
    )


def count_readings() -> int:
    return Reading.objects.count()


def count_interval_days() -> int:
    """Rows of the interval table (a full count: cache it, see ``usecases.overview``)."""
    return IntervalDay.objects.count()


def meter_on(*, metering_point_id: int, day: dt.date) -> Meter | None:
    """The meter installed at the point on ``day`` (the latest installed by then)."""
    return (
        Meter.objects.filter(metering_point_id=metering_point_id, installed_date__lte=day)
        .order_by("-installed_date")
        .first()
    )


@dataclass(frozen=True)
class InstalledMeters:
    """The meters of some metering points and their registers, read in two queries."""

    meters: dict[int, list[Meter]]  # metering point id -> its meters, latest installed first
    registers: dict[tuple[int, str], int]  # (meter id, register kind) -> register id

    def meter_on(self, metering_point_id: int, day: dt.date) -> Meter | None:
        """The meter installed at the point on ``day``."""
        return next(
            (m for m in self.meters.get(metering_point_id, []) if m.installed_date <= day), None
        )


def installed_meters(*, metering_point_ids: Iterable[int]) -> InstalledMeters:
    ids = set(metering_point_ids)
    meters: dict[int, list[Meter]] = {}
    for meter in Meter.objects.filter(metering_point_id__in=ids).order_by("-installed_date", "-id"):
        meters.setdefault(meter.metering_point_id, []).append(meter)
    registers = {
        (meter_id, kind): pk
        for meter_id, kind, pk in Register.objects.filter(
            meter__metering_point_id__in=ids
        ).values_list("meter_id", "kind", "pk")
    }
    return InstalledMeters(meters, registers)


PENDING_REVIEW: Final = Reading.Status.PENDING_REVIEW  # a reading waiting for review
FROM_PORTAL: Final = Reading.Source.PORTAL  # a reading the customer gave in the portal


def get_reading(*, reading_id: int) -> Reading:
    """The reading with its register, meter and metering point."""
    return Reading.objects.select_related("register__meter__metering_point").get(pk=reading_id)


def register_kind_labels() -> dict[str, str]:
    """Each register kind (SINGLE, DAY, NIGHT) in words, in the active language."""
    return {kind: str(label) for kind, label in Register.Kind.choices}


@dataclass(frozen=True)
class NetDayTotals:
    """A prosumer point's net quantities of one local day, as known at a cut-off: the
    consumption left after netting (``consumption_wh``, the sum of net OUT) and the surplus
    fed into the grid (``surplus_wh``, the sum of net IN). ``intervals`` is the day's count,
    ``given`` how many of them the hub gave a net value for; ``version`` is the consumption
    row's version the totals come from (what a bill holds for its true-ups)."""

    day: dt.date
    consumption_wh: int
    surplus_wh: int
    intervals: int
    given: int
    version: int

    @property
    def complete(self) -> bool:
        return self.given == self.intervals


def net_by_day(
    *, metering_point_ids: list[int], start: dt.date, end: dt.date, as_of: dt.datetime
) -> dict[int, list[NetDayTotals]]:
    """Net consumption and surplus per point and local day ``[start, end)``, from the
    versions known at ``as_of`` (known by then and not superseded by then: the same cut-off a
    bill run reads gross data at). Days without net data are left out; a point without any is
    absent from the answer."""
    found: dict[int, list[NetDayTotals]] = {}
    rows = (
        IntervalDay.objects.filter(
            metering_point_id__in=metering_point_ids,
            direction=IntervalDay.Direction.CONSUMPTION,
            day__gte=start,
            day__lt=end,
            known_at__lte=as_of,
        )
        .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=as_of))
        .exclude(net_wh=b"")
        .order_by("metering_point_id", "day")
        .values_list("metering_point_id", "day", "values_wh", "net_wh", "version")
    )
    for point_id, day, values, net_blob, version in rows:
        count = len(values) // intervals.VALUE_DTYPE.itemsize
        net = intervals.unpack_net(bytes(net_blob), count)
        found.setdefault(point_id, []).append(
            NetDayTotals(
                day=day,
                consumption_wh=int(net.out_wh.sum()),
                surplus_wh=int(net.in_wh.sum()),
                intervals=count,
                given=int(net.given.sum()),
                version=version,
            )
        )
    return found


# -- what the bill run reads of interval data -----------------------------------------------


def interval_days_known_at(
    *, point_ids: Collection[int], first_day: dt.date, end_day: dt.date, as_of: dt.datetime
) -> dict[int, dict[dt.date, intervals.KnownDay]]:
    """Each point's consumption days in ``[first_day, end_day)`` in the version known at
    ``as_of``: known since then and not yet superseded, whatever arrived later (even while a
    run runs or is resumed)."""
    found: dict[int, dict[dt.date, intervals.KnownDay]] = defaultdict(dict)
    if not point_ids:
        return found
    for point_id, day, minutes, values, quality, version, net in (
        IntervalDay.objects.filter(
            metering_point_id__in=list(point_ids),
            direction=IntervalDay.Direction.CONSUMPTION,
            day__gte=first_day,
            day__lt=end_day,
            known_at__lte=as_of,
        )
        .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=as_of))
        .values_list(
            "metering_point_id",
            "day",
            "resolution_minutes",
            "values_wh",
            "quality",
            "version",
            "net_wh",
        )
    ):
        found[point_id][day] = intervals.KnownDay(
            minutes, bytes(values), bytes(quality), version, bytes(net)
        )
    return found


def day_versions(
    *, pairs: Collection[tuple[int, dt.date]]
) -> dict[tuple[int, dt.date], list[intervals.DayVersion]]:
    """Every stored consumption version of each (point, day) of ``pairs``, oldest first."""
    found: dict[tuple[int, dt.date], list[intervals.DayVersion]] = defaultdict(list)
    if not pairs:
        return found
    wanted = set(pairs)
    for point_id, day, pk, version, minutes, values, known_at, superseded_at, net in (
        IntervalDay.objects.filter(
            metering_point_id__in={p for p, _ in wanted},
            day__in={d for _, d in wanted},
            direction=IntervalDay.Direction.CONSUMPTION,
        )
        .order_by("version")
        .values_list(
            "metering_point_id",
            "day",
            "id",
            "version",
            "resolution_minutes",
            "values_wh",
            "known_at",
            "superseded_at",
            "net_wh",
        )
    ):
        if (point_id, day) in wanted:
            found[(point_id, day)].append(
                intervals.DayVersion(
                    pk, version, minutes, bytes(values), known_at, superseded_at, bytes(net)
                )
            )
    return found


def open_corrections(*, point_ids: Collection[int], up_to: Month) -> list[intervals.OpenCorrection]:
    """The unsettled consumption corrections of the points in months up to ``up_to``, by day."""
    return [
        intervals.OpenCorrection(*row)
        for row in IntervalCorrection.objects.filter(
            metering_point_id__in=list(point_ids),
            period__lte=str(up_to),
            settled_at__isnull=True,
            direction=IntervalDay.Direction.CONSUMPTION,
        )
        .order_by("day", "id")
        .values_list("id", "metering_point_id", "day", "current__version")
    ]


# -- what the bill run reads of registers and readings -------------------------------------

_READING_ROW = ("id", "read_at", "value_kwh", "source", "period", "status", "details")


def readings_known_at(as_of: dt.datetime) -> QuerySet[Reading]:
    """The readings as they stood at the data cut-off ``as_of``: known by then (``known_at``)
    and not superseded by a reading known by then. A correction or review decision recorded
    after the cut-off does not change what a run with that cut-off bills (also when a chunk
    runs or is resumed later); the next bill or a rebill takes it."""
    superseded = Reading.objects.filter(supersedes=OuterRef("pk"), known_at__lte=as_of)
    return Reading.objects.filter(known_at__lte=as_of).exclude(Exists(superseded))


def registers_on_points(
    *, point_ids: Collection[int], first_day: dt.date, end_day: dt.date
) -> dict[int, list[RegisterRow]]:
    """By point, the registers of meters installed on it in ``[first_day, end_day)``, in the
    order the meters were installed."""
    found: dict[int, list[RegisterRow]] = defaultdict(list)
    for register_id, kind, point_id, digits, multiplier, removed in (
        Register.objects.filter(meter__metering_point_id__in=list(point_ids))
        .filter(Q(meter__removed_date__isnull=True) | Q(meter__removed_date__gt=first_day))
        .filter(meter__installed_date__lt=end_day)
        .values_list(
            "id",
            "kind",
            "meter__metering_point_id",
            "meter__digits",
            "meter__multiplier",
            "meter__removed_date",
        )
        .order_by("meter__installed_date", "id")
    ):
        found[point_id].append(RegisterRow(register_id, kind, digits, multiplier, removed))
    return found


def register_readings(
    *,
    register_ids: Collection[int],
    as_of: dt.datetime,
    statuses: Collection[str],
    read_before: dt.datetime,
    read_from: dt.datetime | None = None,
) -> dict[int, list[ReadingRow]]:
    """By register, its readings known at ``as_of`` (:func:`readings_known_at`) with one of
    ``statuses``, read in ``[read_from, read_before)``, in the order they were read."""
    readings = readings_known_at(as_of).filter(
        register_id__in=list(register_ids), status__in=list(statuses), read_at__lt=read_before
    )
    if read_from is not None:
        readings = readings.filter(read_at__gte=read_from)
    found: dict[int, list[ReadingRow]] = defaultdict(list)
    for register_id, *fields in readings.order_by("read_at", "id").values_list(
        "register_id", *_READING_ROW
    ):
        found[register_id].append(ReadingRow._make(fields))
    return found


def readings_by_id(*, reading_ids: Collection[int]) -> dict[int, tuple[int, ReadingRow]]:
    """The readings of ``reading_ids`` with their register, by id."""
    return {
        reading_id: (register_id, ReadingRow._make(fields))
        for reading_id, register_id, *fields in Reading.objects.filter(
            pk__in=list(reading_ids)
        ).values_list("id", "register_id", *_READING_ROW)
    }


def register_kinds_on(*, metering_point_id: int, day: dt.date) -> list[str]:
    """The register kinds of the meter installed at the point on ``day``, sorted (none if no
    meter is)."""
    meter = meter_on(metering_point_id=metering_point_id, day=day)
    if meter is None:
        return []
    return sorted(Register.objects.filter(meter=meter).values_list("kind", flat=True))


@dataclass(frozen=True)
class RegisterWithLatest:
    register: Register
    latest: Reading | None  # the latest reading by read time (any status), if any


@dataclass(frozen=True)
class MeterWithRegisters:
    meter: Meter
    registers: list[RegisterWithLatest]


def meters_with_latest_readings(*, metering_point_ids: Iterable[int]) -> list[MeterWithRegisters]:
    """The meters of these points (latest installed first) with each register's latest
    reading, in three queries."""
    meters = list(
        Meter.objects.filter(metering_point_id__in=set(metering_point_ids))
        .prefetch_related("registers")
        .order_by("-installed_date", "pk")
    )
    register_ids = [r.pk for m in meters for r in m.registers.all()]
    latest_id = (
        Reading.objects.filter(register_id=OuterRef("pk")).order_by("-read_at", "-pk").values("pk")
    )
    latest_ids = [
        pk
        for pk in Register.objects.filter(pk__in=register_ids)
        .annotate(latest_id=Subquery(latest_id[:1]))
        .values_list("latest_id", flat=True)
        if pk is not None
    ]
    readings = {r.register_id: r for r in Reading.objects.filter(pk__in=latest_ids)}
    return [
        MeterWithRegisters(
            m, [RegisterWithLatest(r, readings.get(r.pk)) for r in m.registers.all()]
        )
        for m in meters
    ]


def meter_installed_on(*, metering_point_id: int, day: dt.date) -> Meter | None:
    """The point's meter on ``day``: the one installed last on or before it."""
    return (
        Meter.objects.filter(metering_point_id=metering_point_id, installed_date__lte=day)
        .order_by("-installed_date")
        .first()
    )


def is_actual(reading: Reading) -> bool:
    """Whether ``reading`` was read (not estimated) and not rejected."""
    return reading.source != Reading.Source.ESTIMATED and reading.status != Reading.Status.REJECTED


def points_read_between(
    *, metering_point_ids: Collection[int], start: dt.datetime, end: dt.datetime
) -> set[int]:
    """The ones of the points with a reading (not an estimate) read in ``[start, end)``."""
    return set(
        Reading.objects.filter(
            register__meter__metering_point_id__in=metering_point_ids,
            read_at__gte=start,
            read_at__lt=end,
        )
        .exclude(source=Reading.Source.ESTIMATED)
        .values_list("register__meter__metering_point_id", flat=True)
    )
