"""Storing interval data: validation against the metering points, versions, true-up markers.

The input is a batch of intervals as numpy columns (see :class:`IntervalBatch`), whatever file
it came from. :func:`store_intervals` either stores all of it in one transaction or raises
:class:`UnableToImportIntervals` naming every problem, and stores nothing.

* One row per metering point, local day, direction and version (:class:`IntervalDay`).
* Intervals of a day that the batch does not give keep their earlier value (or are MISSING,
  value 0, on a new day): the hub sends gaps and partial days.
* The same data again changes nothing. Different data for a day that has a current version
  adds version ``n + 1``, keeps version ``n`` (``is_current=False``) and writes an
  :class:`IntervalCorrection` (the true-up marker billing reads).
* Net quantities (``batch.net``, a prosumer point's ``netQtyOut``/``netQtyIn``) are stored on
  the consumption (OUT) row of their day as one signed channel (see
  :mod:`vool.domain.metering.intervals`); a change of the net alone is a new version too.
* A correction older than ``correction_months`` (12) before ``as_of`` is refused.
* Time: ``as_of`` is the data time of the import. Each new version is *known since* ``as_of``
  and the version it replaces is *superseded at* ``as_of``, so a bill priced as of an instant
  reads exactly the versions known then; ``recorded_at`` (default ``as_of``) is the audit time
  the rows were written. Nothing here reads the clock: the caller (use case, CLI) does.

On PostgreSQL new rows are written with binary ``COPY``; elsewhere with ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt
from django.db import IntegrityError, connection, transaction

from vool.common.collector import gc_paused
from vool.common.localtime import Month, local_date
from vool.domain.bulk import in_batches
from vool.domain.metering import intervals
from vool.domain.metering.models import IntervalCorrection, IntervalDay, MeteringImport
from vool.domain.supply.models import MeteringPoint

__all__ = [
    "IntervalBatch",
    "IntervalImportResult",
    "IntervalProblem",
    "NetBatch",
    "UnableToFillGaps",
    "UnableToImportIntervals",
    "fill_interval_gaps",
    "reopen_corrections",
    "settle_corrections",
    "store_intervals",
]

MAX_PROBLEMS: Final = 200
# A connection cannot deliver more than its main fuse allows: 3 x 230/400 V at the fuse's
# current, with a margin for measuring and rounding.
CAPACITY_MARGIN: Final = 1.5
_CHUNK: Final = 5000


@dataclass(frozen=True)
class NetBatch:
    """Net quantities as columns: one row per interval and direction, ``series_index`` into
    the batch's series (the point's ``OUT`` series), ``wh`` >= 0, ``is_out`` True for net OUT
    (consumption left after netting) and False for net IN (surplus fed in)."""

    series_index: npt.NDArray[np.int32]
    start_s: npt.NDArray[np.int64]
    wh: npt.NDArray[np.int64]
    is_out: npt.NDArray[np.bool_]
    locate: Callable[[int], str]

    def __len__(self) -> int:
        return len(self.start_s)


@dataclass(frozen=True)
class IntervalBatch:
    """Intervals as columns. ``series[k]`` is ``(eic, direction, minutes)`` with direction
    ``OUT`` (consumption) or ``IN`` (production); each row has its series number, UTC start in
    epoch seconds, value in Wh and quality (0 measured, 1 estimated). ``locate(row)`` says
    where the row is in the file, for messages."""

    series: Sequence[tuple[str, str, int]]
    series_index: npt.NDArray[np.int32]
    start_s: npt.NDArray[np.int64]
    wh: npt.NDArray[np.int64]
    quality: npt.NDArray[np.uint8]
    locate: Callable[[int], str]
    net: NetBatch | None = None


@dataclass(frozen=True)
class IntervalProblem:
    location: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}, {self.field}: {self.message}"


class UnableToImportIntervals(Exception):
    """Nothing was stored; ``problems`` names each one (the first :data:`MAX_PROBLEMS` of
    ``total``)."""

    def __init__(self, problems: list[IntervalProblem], *, total: int | None = None) -> None:
        self.problems = problems
        self.total = max(len(problems), total or 0)
        super().__init__(f"{self.total} problem(s): " + "; ".join(map(str, problems[:5])))


@dataclass(frozen=True)
class IntervalImportResult:
    intervals: int
    days_created: int
    days_corrected: int
    days_unchanged: int
    import_id: int | None


class _Problems:
    def __init__(self) -> None:
        self.items: list[IntervalProblem] = []
        self.total = 0

    def add(self, location: str, field: str, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(IntervalProblem(location, field, message))

    def not_listed(self, count: int) -> None:
        """``count`` more problems of the same kind, counted but not described."""
        self.total += max(count, 0)

    def raise_if_any(self) -> None:
        if self.items:
            raise UnableToImportIntervals(self.items, total=self.total)


def _capacity_wh(fuse_a: int, minutes: int) -> int:
    return int(fuse_a * 400 * math.sqrt(3) * minutes / 60 * CAPACITY_MARGIN)


def _months_back(day: dt.date, months: int) -> dt.date:
    m = Month.of(day)
    for _ in range(months):
        m = m.previous()
    return dt.date(m.year, m.month, min(day.day, m.days))


class _Point(NamedTuple):
    """A metering point as the import checks a series against it."""

    id: int
    minutes: int  # its resolution
    main_fuse_a: int


def _points(eics: list[str]) -> dict[str, _Point]:
    found: dict[str, _Point] = {}
    table = MeteringPoint._meta.db_table
    rows: list[tuple[int, str, str, int]] = []
    if connection.vendor == "postgresql":
        # one array parameter instead of thousands of IN parameters
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, eic, resolution, main_fuse_a FROM {table} "  # noqa: S608
                "WHERE eic = ANY(%s)",
                [eics],
            )
            rows = cursor.fetchall()
    else:
        for batch in in_batches(eics, _CHUNK):
            rows.extend(
                MeteringPoint.objects.filter(eic__in=batch).values_list(
                    "id", "eic", "resolution", "main_fuse_a"
                )
            )
    for pk, eic, resolution, fuse in rows:
        minutes = 15 if resolution == MeteringPoint.Resolution.PT15M else 60
        found[eic] = _Point(pk, minutes, fuse)
    return found


class _Existing(NamedTuple):
    """The current version of a day, as stored."""

    id: int
    version: int
    minutes: int
    values: bytes
    quality: bytes
    total_wh: int
    known_at: dt.datetime
    net: bytes


_Key = tuple[int, str, dt.date]


def _existing(point_ids: list[int], days: list[dt.date]) -> dict[_Key, _Existing]:
    found: dict[_Key, _Existing] = {}
    if not point_ids:
        return found
    rows: list[tuple[Any, ...]] = []
    if connection.vendor == "postgresql":
        table = IntervalDay._meta.db_table
        # the table name comes from the model's metadata; the values are parameters
        sql = (
            "SELECT id, metering_point_id, direction, day, version, resolution_minutes, "  # noqa: S608
            f"values_wh, quality, total_wh, known_at, net_wh FROM {table} "
            "WHERE is_current AND day = ANY(%s) AND metering_point_id = ANY(%s) FOR UPDATE"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [days, point_ids])
            rows = cursor.fetchall()
    else:
        for batch in in_batches(point_ids, _CHUNK):
            rows.extend(
                IntervalDay.objects.filter(
                    is_current=True, metering_point_id__in=batch, day__in=days
                ).values_list(
                    "id",
                    "metering_point_id",
                    "direction",
                    "day",
                    "version",
                    "resolution_minutes",
                    "values_wh",
                    "quality",
                    "total_wh",
                    "known_at",
                    "net_wh",
                )
            )
    for pk, mp, direction, day, version, minutes, values, quality, total, known_at, net in rows:
        found[(mp, direction, day)] = _Existing(
            pk, version, minutes, bytes(values), bytes(quality), total, known_at, bytes(net)
        )
    return found


class _Series(NamedTuple):
    """Per series of the batch: its point's id (-1: refused or unused), the connection's
    capacity per interval in Wh and the interval length in seconds."""

    point: npt.NDArray[np.int64]
    capacity: npt.NDArray[np.int64]
    step_s: npt.NDArray[np.int64]


def _first_rows(n_series: int, series_index: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    first_row = np.full(n_series, -1, dtype=np.int64)
    if len(series_index):
        uniq, idx = np.unique(series_index, return_index=True)
        first_row[uniq] = idx
    return first_row


def _check_series(batch: IntervalBatch, problems: _Problems) -> _Series:
    """Each series used by a gross or net row: a point of ours, read at its resolution."""
    points = _points(sorted({eic for eic, _, _ in batch.series}))
    n_series = len(batch.series)
    first_row = _first_rows(n_series, batch.series_index)
    first_net = (
        _first_rows(n_series, batch.net.series_index)
        if batch.net is not None
        else np.full(n_series, -1, dtype=np.int64)
    )
    found = _Series(
        point=np.full(n_series, -1, dtype=np.int64),
        capacity=np.zeros(n_series, dtype=np.int64),
        step_s=np.zeros(n_series, dtype=np.int64),
    )
    for k, (eic, direction, minutes) in enumerate(batch.series):
        found.step_s[k] = minutes * 60
        if first_row[k] < 0 and first_net[k] < 0:
            continue
        point = points.get(eic)
        if point is not None and direction in ("IN", "OUT") and minutes == point.minutes:
            found.point[k] = point.id
            found.capacity[k] = _capacity_wh(point.main_fuse_a, minutes)
            continue
        # only a refused series is located: locating is not free for a large JSON file
        if first_row[k] >= 0 or batch.net is None:
            where = batch.locate(int(first_row[k]))
        else:
            where = batch.net.locate(int(first_net[k]))
        if point is None:
            problems.add(where, "EIC", f"{eic} is not a metering point of ours")
        elif direction not in ("IN", "OUT"):
            problems.add(where, "direction", f"{direction!r} is not IN or OUT")
        else:
            problems.add(
                where,
                "resolution",
                f"{minutes}-minute data is not allowed for {eic}, "
                f"which is read every {point.minutes} minutes",
            )
    return found


def _check_rows(
    batch: IntervalBatch, series: _Series, as_of: dt.datetime, problems: _Problems
) -> None:
    """Gross values within the connection's capacity; no interval (gross or net) that has
    not ended by ``as_of``."""
    if len(batch.start_s):
        over = np.flatnonzero(
            (batch.wh > series.capacity[batch.series_index])
            & (series.point[batch.series_index] >= 0)
        )
        problems.not_listed(len(over) - MAX_PROBLEMS)
        for row in over[:MAX_PROBLEMS].tolist():
            k = int(batch.series_index[row])
            problems.add(
                batch.locate(row),
                "kWh",
                f"{batch.wh[row] / 1000:.3f} kWh in {batch.series[k][2]} minutes is more than "
                f"the connection of {batch.series[k][0]} can deliver "
                f"({series.capacity[k] / 1000:.3f} kWh)",
            )
    for index, start_s, locate in (
        (batch.series_index, batch.start_s, batch.locate),
        *(
            [(batch.net.series_index, batch.net.start_s, batch.net.locate)]
            if batch.net is not None
            else []
        ),
    ):
        if not len(start_s):
            continue
        late = np.flatnonzero(start_s + series.step_s[index] > int(as_of.timestamp()))
        problems.not_listed(len(late) - MAX_PROBLEMS)
        for row in late[:MAX_PROBLEMS].tolist():
            problems.add(locate(row), "start", "the interval has not ended yet")


def _duplicates(
    rows: npt.NDArray[np.intp], locate: Callable[[int], str], problems: _Problems
) -> None:
    problems.not_listed(len(rows) - MAX_PROBLEMS)
    for row in rows[:MAX_PROBLEMS].tolist():
        problems.add(locate(row), "start", "this interval is given twice")


class _NetGroup(NamedTuple):
    positions: npt.NDArray[np.int64]
    net_wh: npt.NDArray[np.int64]
    intervals: int
    row: int  # a row of the net batch, for messages


def _net_groups(
    batch: IntervalBatch, series: _Series, problems: _Problems
) -> dict[tuple[int, dt.date], _NetGroup]:
    """The net rows per (series, local day), net OUT and net IN merged into one value."""
    if batch.net is None or not len(batch.net):
        return {}
    net = batch.net
    combined = intervals.combine_net(
        series=net.series_index, start_s=net.start_s, wh=net.wh, is_out=net.is_out
    )
    _duplicates(combined.duplicates, net.locate, problems)
    grouping = intervals.group_into_days(
        series=combined.series,
        start_s=combined.start_s,
        step_s=series.step_s[combined.series],
    )
    return {
        (g.series, g.day): _NetGroup(
            g.positions, combined.net_wh[g.rows], g.count, int(combined.rows[g.rows[0]])
        )
        for g in grouping.groups
    }


class _Correction(NamedTuple):
    """A day whose current version an import replaces: the old version and both totals."""

    point_id: int
    day: dt.date
    direction: str
    old_id: int
    old_total_wh: int
    new_total_wh: int


@dataclass
class _Plan:
    new_rows: list[tuple[Any, ...]]  # in the order of _IMPORT_COLUMNS (COPY writes them)
    flip: list[int]
    corrections: list[_Correction]
    unchanged: int = 0


@dataclass(frozen=True)
class _DayWork:
    """One (series, day) the import touches: its gross rows (none for a day only net data
    touches) and where they go in the day, and the first row for messages (-1: none)."""

    series: int
    day: dt.date
    count: int
    rows: npt.NDArray[Any]
    positions: npt.NDArray[np.int64]
    first: int


def _day_work(
    grouping: intervals.Grouping, net_groups: dict[tuple[int, dt.date], _NetGroup]
) -> list[_DayWork]:
    """The days of the gross groups, then those only the net data touches."""
    empty = np.zeros(0, dtype=np.int64)
    work = [
        _DayWork(g.series, g.day, g.count, g.rows, g.positions, int(g.rows[0]))
        for g in grouping.groups
    ]
    gross_keys = {(g.series, g.day) for g in grouping.groups}
    work.extend(
        _DayWork(series_k, day, net_groups[(series_k, day)].intervals, empty, empty, -1)
        for series_k, day in net_groups
        if (series_k, day) not in gross_keys
    )
    return work


@dataclass(frozen=True)
class _NewDay:
    """A day's values as they would be stored: the old version (of the same resolution)
    with the import's rows over it."""

    values: bytes
    quality: bytes
    net: bytes
    total_wh: int

    def same_as(self, old: _Existing) -> bool:
        return old.values == self.values and old.quality == self.quality and old.net == self.net


def _new_day(
    batch: IntervalBatch, work: _DayWork, base: _Existing | None, net_group: _NetGroup | None
) -> _NewDay:
    empty = np.zeros(0, dtype=np.int64)
    values, flags = intervals.build_day(
        count=work.count,
        positions=work.positions,
        wh=batch.wh[work.rows] if len(work.rows) else empty,
        quality=batch.quality[work.rows] if len(work.rows) else np.zeros(0, dtype=np.uint8),
        base_values=intervals.unpack_values(base.values) if base else None,
        base_quality=intervals.unpack_quality(base.quality) if base else None,
    )
    net_blob = base.net if base else b""
    if net_group is not None:
        net_blob = intervals.build_net(
            count=work.count, positions=net_group.positions, net_wh=net_group.net_wh, base=net_blob
        )
    return _NewDay(values.tobytes(), flags.tobytes(), net_blob, int(values.sum(dtype=np.int64)))


def _refused_correction(
    eic: str, day: dt.date, old: _Existing, as_of: dt.datetime, oldest: dt.date, months: int
) -> str | None:
    """Why an import as of ``as_of`` may not replace the stored version ``old`` (None: it may)."""
    if old.known_at > as_of:
        return (
            f"{eic} {day.isoformat()} has a version known since "
            f"{old.known_at.isoformat()}; an import as of {as_of.isoformat()} "
            "cannot replace it (import with a later as-of)"
        )
    if day < oldest:
        return (
            f"{eic} {day.isoformat()} is more than {months} months "
            f"back; corrections are accepted from {oldest.isoformat()} on"
        )
    return None


def _plan(
    batch: IntervalBatch,
    series: _Series,
    grouping: intervals.Grouping,
    net_groups: dict[tuple[int, dt.date], _NetGroup],
    *,
    as_of: dt.datetime,
    recorded_at: dt.datetime,
    correction_months: int,
    problems: _Problems,
) -> _Plan:
    """The rows to write: a new version for each day whose gross or net values change."""
    point_ids = sorted({int(p) for p in series.point if p >= 0})
    days = sorted({g.day for g in grouping.groups} | {day for _, day in net_groups})
    existing = _existing(point_ids, days)
    oldest = _months_back(local_date(as_of), correction_months)
    plan = _Plan([], [], [])
    for work in _day_work(grouping, net_groups):
        eic, direction, minutes = batch.series[work.series]
        mp = int(series.point[work.series])
        old = existing.get((mp, direction, work.day))
        base = old if old is not None and old.minutes == minutes else None
        net_group = net_groups.get((work.series, work.day))
        new = _new_day(batch, work, base, net_group)
        version = 1
        if old is not None:
            if base is not None and new.same_as(old):
                plan.unchanged += 1
                continue
            refused = _refused_correction(eic, work.day, old, as_of, oldest, correction_months)
            if refused is not None:
                problems.add(_where(batch, work.first, net_group), "start", refused)
                continue
            version = old.version + 1
            plan.flip.append(old.id)
            plan.corrections.append(
                _Correction(mp, work.day, direction, old.id, old.total_wh, new.total_wh)
            )
        plan.new_rows.append(
            (
                *(mp, work.day, direction, minutes, version, True),
                *(new.values, new.quality, new.total_wh, as_of, recorded_at, new.net),
            )
        )
    return plan


def _where(batch: IntervalBatch, first: int, group: _NetGroup | None) -> str:
    """Where a day's first row is, for a message (only then: locating is not free)."""
    if first >= 0:
        return batch.locate(first)
    if batch.net is None or group is None:
        return "file"
    return batch.net.locate(group.row)


def store_intervals(
    *,
    batch: IntervalBatch,
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    file_name: str = "",
    sha256: str = "",
    created_by: Any = None,
    correction_months: int = 12,
) -> IntervalImportResult:
    """Validate ``batch`` against the metering points and store it (see the module doc):
    versions known since ``as_of``, recorded at ``recorded_at`` (default ``as_of``)."""
    problems = _Problems()
    recorded_at = recorded_at or as_of
    n_rows = len(batch.start_s)
    with gc_paused(), transaction.atomic():
        series = _check_series(batch, problems)
        _check_rows(batch, series, as_of, problems)
        problems.raise_if_any()
        grouping = intervals.group_into_days(
            series=batch.series_index,
            start_s=batch.start_s,
            step_s=series.step_s[batch.series_index] if n_rows else np.zeros(0, dtype=np.int64),
        )
        _duplicates(grouping.duplicates, batch.locate, problems)
        net_groups = _net_groups(batch, series, problems)
        problems.raise_if_any()
        plan = _plan(
            batch,
            series,
            grouping,
            net_groups,
            as_of=as_of,
            recorded_at=recorded_at,
            correction_months=correction_months,
            problems=problems,
        )
        problems.raise_if_any()
        corrections = plan.corrections
        record = MeteringImport.objects.create(
            kind=MeteringImport.Kind.INTERVALS,
            file_name=file_name[:255],
            sha256=sha256,
            intervals=n_rows,
            days_created=len(plan.new_rows) - len(corrections),
            days_corrected=len(corrections),
            days_unchanged=plan.unchanged,
            as_of=as_of,
            created_by=created_by,
        )
        for flipped in in_batches(plan.flip, _CHUNK):
            IntervalDay.objects.filter(pk__in=flipped).update(is_current=False, superseded_at=as_of)
        try:
            _insert_days(plan.new_rows)
        except IntegrityError as exc:
            raise UnableToImportIntervals([_CONCURRENT_IMPORT]) from exc
        if corrections:
            _write_corrections(corrections, record, recorded_at)
    return IntervalImportResult(
        intervals=n_rows,
        days_created=len(plan.new_rows) - len(corrections),
        days_corrected=len(corrections),
        days_unchanged=plan.unchanged,
        import_id=record.pk,
    )


# The interval table's columns as the bulk writers give them (COPY here, the demo seeder),
# in one place: the rows are tuples in this order.
INTERVAL_DAY_COLUMNS: Final = (
    "metering_point_id",
    "day",
    "direction",
    "resolution_minutes",
    "version",
    "is_current",
    "values_wh",
    "quality",
    "total_wh",
    "known_at",
    "created_at",
)
"""The interval table's columns every writer gives (the importer, the demo seeder, the test
factory); ``net_wh`` has a database default (no net data) and only the importer writes it."""
_IMPORT_COLUMNS: Final = (*INTERVAL_DAY_COLUMNS, "net_wh")
_PG_TYPES: Final = (
    "int8",
    "date",
    "varchar",
    "int2",
    "int4",
    "bool",
    "bytea",
    "bytea",
    "int8",
    "timestamptz",
    "timestamptz",
    "bytea",
)


_CONCURRENT_IMPORT: Final = IntervalProblem(
    "file",
    "days",
    "another import wrote the same days at the same moment; nothing was imported from this "
    "one. Import it again: what the other import already stored is then unchanged.",
)


def _insert_days(rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(IntervalDay._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _IMPORT_COLUMNS)
        # the driver's errors (a UniqueViolation when another import wrote the same days)
        # become Django's IntegrityError, as they do for ORM queries
        with connection.cursor() as cursor, connection.wrap_database_errors:
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(list(_PG_TYPES))
                for row in rows:
                    copy.write_row(row)
        return
    IntervalDay.objects.bulk_create(
        [IntervalDay(**dict(zip(_IMPORT_COLUMNS, r, strict=True))) for r in rows],
        batch_size=2000,
    )


def _write_corrections(
    corrections: list[_Correction],
    record: MeteringImport,
    recorded_at: dt.datetime,
) -> None:
    keys = {(c.point_id, c.day, c.direction) for c in corrections}
    current: dict[tuple[int, dt.date, str], int] = {}
    point_ids = sorted({mp for mp, _day, _direction in keys})
    days = sorted({day for _mp, day, _direction in keys})
    for batch in in_batches(point_ids, _CHUNK):
        for pk, mp, day, direction in IntervalDay.objects.filter(
            is_current=True, metering_point_id__in=batch, day__in=days
        ).values_list("id", "metering_point_id", "day", "direction"):
            current[(mp, day, direction)] = pk
    IntervalCorrection.objects.bulk_create(
        [
            IntervalCorrection(
                metering_point_id=c.point_id,
                day=c.day,
                period=str(Month.of(c.day)),
                direction=c.direction,
                previous_id=c.old_id,
                current_id=current[(c.point_id, c.day, c.direction)],
                previous_total_wh=c.old_total_wh,
                current_total_wh=c.new_total_wh,
                delta_wh=c.new_total_wh - c.old_total_wh,
                import_run=record,
                created_at=recorded_at,
            )
            for c in corrections
        ],
        batch_size=2000,
    )


class UnableToFillGaps(Exception):
    """The gaps cannot be estimated (the message says why)."""


def fill_interval_gaps(
    *,
    metering_point: MeteringPoint,
    day: dt.date,
    as_of: dt.datetime,
    recorded_at: dt.datetime | None = None,
    direction: str = "OUT",
) -> IntervalDay | None:
    """A new version of the day with its MISSING intervals estimated (quality ESTIMATED, see
    :func:`intervals.fill_gaps`) and a true-up marker; ``None`` if the day has no gaps. The new
    version is known since ``as_of`` (recorded at ``recorded_at``, default ``as_of``)."""
    recorded_at = recorded_at or as_of
    with transaction.atomic():
        current = (
            IntervalDay.objects.select_for_update()
            .filter(metering_point=metering_point, day=day, direction=direction, is_current=True)
            .first()
        )
        if current is None:
            raise UnableToFillGaps(
                f"{metering_point.eic} has no interval data for {day.isoformat()}."
            )
        values = intervals.unpack_values(bytes(current.values_wh))
        flags = intervals.unpack_quality(bytes(current.quality))
        if not np.any(flags == intervals.MISSING):
            return None
        filled = intervals.fill_gaps(values, flags)
        if filled is None:
            raise UnableToFillGaps(
                f"{metering_point.eic} has no measured interval on {day.isoformat()} to "
                f"estimate from."
            )
        if current.known_at > as_of:
            raise UnableToFillGaps(
                f"{metering_point.eic} {day.isoformat()} has a version known since "
                f"{current.known_at.isoformat()}, after {as_of.isoformat()}."
            )
        new_values, new_flags = filled
        total = int(new_values.sum(dtype=np.int64))
        IntervalDay.objects.filter(pk=current.pk).update(is_current=False, superseded_at=as_of)
        new = IntervalDay.objects.create(
            metering_point=metering_point,
            day=day,
            direction=direction,
            resolution_minutes=current.resolution_minutes,
            version=current.version + 1,
            is_current=True,
            values_wh=new_values.tobytes(),
            quality=new_flags.tobytes(),
            total_wh=total,
            known_at=as_of,
            created_at=recorded_at,
        )
        IntervalCorrection.objects.create(
            metering_point=metering_point,
            day=day,
            period=str(Month.of(day)),
            direction=direction,
            previous=current,
            current=new,
            previous_total_wh=current.total_wh,
            current_total_wh=total,
            delta_wh=total - current.total_wh,
            created_at=recorded_at,
        )
    return new


# -- settling corrections (billing asks, when a bill that holds them is issued or credited) -----


def settle_corrections(*, correction_ids: Any, now: dt.datetime) -> int:
    """Mark the open corrections ``correction_ids`` (ids or a subquery of ids) settled at
    ``now``: an issued bill holds their version. Returns how many were settled."""
    return IntervalCorrection.objects.filter(pk__in=correction_ids, settled_at__isnull=True).update(
        settled_at=now
    )


def reopen_corrections(*, correction_ids: Any) -> int:
    """Open the corrections ``correction_ids`` again (the bill that settled them was credited,
    so the next bill trues them up). Returns how many there were."""
    return IntervalCorrection.objects.filter(pk__in=correction_ids).update(settled_at=None)
