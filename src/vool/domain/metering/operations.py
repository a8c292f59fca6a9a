"""Writes for meters, registers and register readings.

Readings are append-only. A correction, a review decision or a customer's second month-end
reading in the window is a new row that ``supersedes`` the old one and says who and why. The
*effective* readings of a register are the ones nothing supersedes.

Each reading's ``details`` keeps what the rules decided, so a person can see why:
``advance_kwh`` (register units since the previous actual reading), ``wraps`` (rollovers of
the register since the meter was installed: the unwrapped value is
``value_kwh + wraps * 10**digits``), ``role`` (``FINAL``/``INITIAL`` at a meter exchange),
``expected_kwh``, ``estimate`` (method and inputs) and ``true_up`` (see
:func:`submit_reading`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, Exists, F, IntegerField, OuterRef, Q, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils.translation import gettext as _

from vool.common.collector import gc_paused
from vool.common.localtime import Month, local_date, local_midnight
from vool.domain import bulk
from vool.domain.metering import estimation
from vool.domain.metering.models import Meter, MeteringImport, Reading, Register
from vool.domain.metering.plausibility import (
    HistoryPeriod,
    Verdict,
    assess,
    expected_daily_kwh,
)
from vool.domain.metering.policy import DEFAULT_POLICY, ReadingPolicy
from vool.domain.metering.registers import (
    ReadingBelowPrevious,
    reading_date,
    register_advance,
)
from vool.domain.shown import shown_day, shown_number
from vool.domain.supply.models import MeteringPoint


class UnableToInstallMeter(ValidationError):
    """The meter cannot be installed as asked; the message names the field."""


def install_meter(
    *,
    metering_point: MeteringPoint,
    serial_number: str,
    installed_date: dt.date,
    register_kinds: Sequence[str] = (Register.Kind.SINGLE,),
    digits: int = 6,
    multiplier: Decimal = Decimal(1),
) -> Meter:
    """Install a meter with its registers (SINGLE, or DAY and NIGHT) at a metering point."""
    kinds = list(register_kinds)
    if sorted(kinds) not in (["SINGLE"], ["DAY", "NIGHT"]):
        raise UnableToInstallMeter(
            {"register_kinds": "A meter has one SINGLE register, or a DAY and a NIGHT register."}
        )
    with transaction.atomic():
        if Meter.objects.filter(metering_point=metering_point, removed_date__isnull=True).exists():
            raise UnableToInstallMeter(
                {"metering_point": f"{metering_point.eic} already has an installed meter."}
            )
        meter = Meter(
            metering_point=metering_point,
            serial_number=serial_number,
            installed_date=installed_date,
            digits=digits,
            multiplier=multiplier,
        )
        try:
            meter.full_clean()
        except ValidationError as exc:
            raise UnableToInstallMeter(exc.message_dict) from exc
        meter.save()
        Register.objects.bulk_create([Register(meter=meter, kind=kind) for kind in kinds])
    return meter


# --- readings ---------------------------------------------------------------------------

Source = Reading.Source
Status = Reading.Status

# Sources that a remote-read point accepts; everything a person types is refused there.
_REMOTE_POINT_SOURCES = frozenset({Source.REMOTE, Source.MIGRATION})
# Sources whose readings are not judged for plausibility.
_UNJUDGED_SOURCES = frozenset({Source.REMOTE, Source.MIGRATION, Source.ESTIMATED})


class UnableToSubmitReading(Exception):
    """The reading cannot be taken; the message tells the person what to do."""


@dataclass(frozen=True)
class SubmittedReading:
    reading: Reading
    created: bool  # False when the same reading had already been given


class ReadingFacts(Protocol):
    """What the reading rules read of a reading (a :class:`Reading`, or a
    :class:`ReadingRow` read in bulk)."""

    @property
    def pk(self) -> Any: ...
    @property
    def read_at(self) -> dt.datetime: ...
    @property
    def period(self) -> str: ...
    @property
    def value_kwh(self) -> Decimal: ...
    @property
    def status(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def details(self) -> Any: ...


_R = TypeVar("_R", bound=ReadingFacts)


def _kwh(value: Decimal) -> str:
    """kWh as text with the register's three decimals, e.g. ``"310.000"``."""
    return str(value.quantize(Decimal("0.001")))


def effective_readings(register: Register) -> Any:
    """The register's readings that nothing supersedes, oldest first (a queryset)."""
    return Reading.objects.filter(register=register, superseded_by__isnull=True).order_by(
        "read_at", "id"
    )


def effective_date(reading: ReadingFacts) -> dt.date:
    """The local date a reading stands for: a month-end reading stands for the 1st of the next
    month (the boundary between the two bills), any other its local date."""
    return reading_date(period=reading.period, read_at=reading.read_at)


def wraps_of(reading: ReadingFacts) -> int:
    return int((reading.details or {}).get("wraps", 0))


def unwrapped_kwh(reading: ReadingFacts, digits: int) -> Decimal:
    """The register value as if the register never rolled over."""
    return reading.value_kwh + wraps_of(reading) * Decimal(10) ** digits


def _actual_accepted(readings: Sequence[_R]) -> list[_R]:
    return [r for r in readings if r.status == Status.ACCEPTED and r.source != Source.ESTIMATED]


def history_periods(readings: Sequence[ReadingFacts], digits: int) -> list[HistoryPeriod]:
    """Consumption between consecutive actual accepted readings (register units, days)."""
    actual = _actual_accepted(readings)
    periods = []
    for a, b in itertools.pairwise(actual):
        days = (effective_date(b) - effective_date(a)).days
        if days > 0:
            periods.append(
                HistoryPeriod(
                    kwh=unwrapped_kwh(b, digits) - unwrapped_kwh(a, digits), days=Decimal(days)
                )
            )
    return periods


def _lock_register(register: Register) -> Register:
    return (
        Register.objects.select_for_update()
        .select_related("meter__metering_point")
        .get(pk=register.pk)
    )


def _check_meter_installed(meter: Meter, read_at: dt.datetime) -> None:
    day = local_date(read_at)
    if day < meter.installed_date or (meter.removed_date and day > meter.removed_date):
        removed = shown_day(meter.removed_date) if meter.removed_date else _("now")
        raise UnableToSubmitReading(
            _(
                "Meter %(serial)s was installed from %(installed)s to %(removed)s; a reading of "
                "%(day)s cannot be on it."
            )
            % {
                "serial": meter.serial_number,
                "installed": shown_day(meter.installed_date),
                "removed": removed,
                "day": shown_day(day),
            }
        )


def _check_known_after(supersedes: Reading | None, known_at: dt.datetime) -> None:
    """A reading is known from ``known_at`` (its data time); the one it supersedes must have
    been known by then, so the readings known at any instant are one consistent set."""
    if supersedes is not None and known_at < supersedes.known_at:
        raise UnableToSubmitReading(
            _(
                "The reading it replaces is known only from %(known)s; a correction as of "
                "%(as_of)s would come before it. Give a later as-of."
            )
            % {"known": supersedes.known_at.isoformat(), "as_of": known_at.isoformat()}
        )


def submit_reading(
    *,
    register: Register,
    value_kwh: Decimal,
    read_at: dt.datetime,
    source: str,
    as_of: dt.datetime,
    created_by: Any = None,
    policy: ReadingPolicy = DEFAULT_POLICY,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
    check_plausibility: bool = True,
) -> SubmittedReading:
    """Take a register reading, with every rule of the reading window.

    * A remote-read metering point refuses readings (except REMOTE and MIGRATION ones).
    * The same value on the same local day of the same register is the same reading: the
      existing one is returned with ``created=False``.
    * A reading in the window (see :class:`ReadingWindow`) taken while the window is open is
      the month-end reading of that month (``period``); others are interim readings. A second,
      different month-end reading of the same month supersedes the first.
    * A reading below the previous actual one is refused unless the register rolled over.
    * An implausible consumption is kept as ``PENDING_REVIEW`` with the reason.
    * When actual readings follow estimates, ``details["true_up"]`` records the actual
      consumption since the last actual reading, what the estimates since had assumed, the
      difference, and the actual consumption apportioned over the months by days.
    """
    if source not in Source.values:
        raise UnableToSubmitReading(f"Unknown reading source {source!r}.")
    if read_at > as_of:
        raise UnableToSubmitReading(_("A reading cannot be taken in the future."))
    with transaction.atomic():
        register = _lock_register(register)
        return _take_reading(
            register=register,
            readings=list(effective_readings(register)),
            value_kwh=value_kwh,
            read_at=read_at,
            source=source,
            as_of=as_of,
            created_by=created_by,
            policy=policy,
            reason=reason,
            details=details,
            check_plausibility=check_plausibility,
        )


def _check_reading_fits(meter: Meter, value_kwh: Decimal, source: str) -> None:
    """A person's reading is refused on a remote-read point, and no reading can be more than
    the meter's digits show."""
    point = meter.metering_point
    if (
        point.metering_method == MeteringPoint.MeteringMethod.REMOTE_INTERVAL
        and source not in _REMOTE_POINT_SOURCES
    ):
        raise UnableToSubmitReading(
            _(
                "Metering point %(eic)s is read remotely: its consumption comes from the "
                "meter's interval data and it needs no readings."
            )
            % {"eic": point.eic}
        )
    capacity = Decimal(10) ** meter.digits
    if value_kwh < 0 or value_kwh >= capacity:
        raise UnableToSubmitReading(
            _(
                "%(value)s does not fit meter %(serial)s, which shows %(digits)s digits "
                "(0 to %(top)s)."
            )
            % {
                "value": shown_number(value_kwh),
                "serial": meter.serial_number,
                "digits": meter.digits,
                "top": shown_number(capacity - 1),
            }
        )


def _take_reading(
    *,
    register: Register,
    readings: list[Reading],
    value_kwh: Decimal,
    read_at: dt.datetime,
    source: str,
    as_of: dt.datetime,
    created_by: Any,
    policy: ReadingPolicy,
    reason: str,
    details: Mapping[str, Any] | None,
    check_plausibility: bool,
) -> SubmittedReading:
    """:func:`submit_reading`'s rules for a locked ``register`` (with its meter and point)
    whose effective readings, oldest first, are ``readings``."""
    meter = register.meter
    _check_reading_fits(meter, value_kwh, source)
    _check_meter_installed(meter, read_at)

    day = local_date(read_at)
    for existing in readings:
        if (
            existing.value_kwh == value_kwh
            and local_date(existing.read_at) == day
            and existing.status != Status.REJECTED
            and existing.source != Source.ESTIMATED
        ):
            return SubmittedReading(reading=existing, created=False)

    month = policy.window.month_end_of(read_at)
    if (
        month is not None
        and source != Source.MIGRATION
        and policy.window.is_closed(month, as_of=as_of)
    ):
        month = None  # arrived after the window closed: an interim reading
    period = str(month) if month else ""
    supersedes = None
    if period:
        same_period = [r for r in readings if r.period == period and r.source != Source.ESTIMATED]
        if same_period:
            supersedes = same_period[-1]
            reason = reason or (
                f"A new month-end reading for {period} replaces the one given earlier."
            )
    return SubmittedReading(
        reading=_write_reading(
            register=register,
            readings=[r for r in readings if r is not supersedes],
            value_kwh=value_kwh,
            read_at=read_at,
            source=source,
            period=period,
            supersedes=supersedes,
            reason=reason,
            created_by=created_by,
            policy=policy,
            details=dict(details or {}),
            check_plausibility=check_plausibility and source not in _UNJUDGED_SOURCES,
            known_at=as_of,
        ),
        created=True,
    )


@dataclass(frozen=True)
class ReadingToSubmit:
    """One reading of many given at once (:func:`submit_readings`)."""

    register_id: int
    value_kwh: Decimal
    read_at: dt.datetime
    source: str


def submit_readings(
    *,
    readings: Sequence[ReadingToSubmit],
    as_of: dt.datetime,
    policy: ReadingPolicy,
    created_by: Any = None,
) -> list[SubmittedReading | UnableToSubmitReading]:
    """Take many readings in their order, each with every rule of :func:`submit_reading`
    (a later one sees the earlier ones), in the caller's transaction: the registers are
    locked and their effective readings read in one query each (per 2,000 registers), then
    each reading is judged in memory and written. Returns, for each reading, what
    :func:`submit_reading` returns or the :class:`UnableToSubmitReading` it raises (nothing is
    written for that one)."""
    ids = sorted({r.register_id for r in readings})
    registers: dict[int, Register] = {}
    effective: dict[int, list[Reading]] = {pk: [] for pk in ids}
    with transaction.atomic():
        for batch in bulk.in_batches(ids, bulk.BATCH_SIZE):
            registers.update(
                (r.pk, r)
                for r in Register.objects.select_for_update()
                .select_related("meter__metering_point")
                .filter(pk__in=batch)
            )
            for reading in Reading.objects.filter(
                register_id__in=batch, superseded_by__isnull=True
            ).order_by("read_at", "id"):
                effective[reading.register_id].append(reading)
        results: list[SubmittedReading | UnableToSubmitReading] = []
        for item in readings:
            try:
                if item.source not in Source.values:
                    raise UnableToSubmitReading(f"Unknown reading source {item.source!r}.")
                if item.read_at > as_of:
                    raise UnableToSubmitReading(_("A reading cannot be taken in the future."))
                result = _take_reading(
                    register=registers[item.register_id],
                    readings=effective[item.register_id],
                    value_kwh=item.value_kwh,
                    read_at=item.read_at,
                    source=item.source,
                    as_of=as_of,
                    created_by=created_by,
                    policy=policy,
                    reason="",
                    details=None,
                    check_plausibility=True,
                )
            except UnableToSubmitReading as exc:
                results.append(exc)
                continue
            if result.created:  # what effective_readings would now return
                new = result.reading
                kept = [r for r in effective[item.register_id] if r.pk != new.supersedes_id]
                effective[item.register_id] = sorted([*kept, new], key=lambda r: (r.read_at, r.pk))
            results.append(result)
    return results


def _write_reading(
    *,
    register: Register,
    readings: list[Reading],
    value_kwh: Decimal,
    read_at: dt.datetime,
    source: str,
    period: str,
    supersedes: Reading | None,
    reason: str,
    created_by: Any,
    policy: ReadingPolicy,
    details: dict[str, Any],
    check_plausibility: bool,
    known_at: dt.datetime,
    status: str | None = None,
) -> Reading:
    _check_known_after(supersedes, known_at)
    digits = register.meter.digits
    place = _place_reading(readings, value_kwh, read_at, digits, policy)
    details = {**details, "wraps": place.wraps}
    if place.advance is not None:
        details["advance_kwh"] = _kwh(place.advance)
    if status is None:
        status = Status.ACCEPTED
    if check_plausibility and place.previous is not None and place.advance is not None:
        verdict = _plausibility(
            place, place.previous, place.advance, read_at, period, digits, policy
        )
        if verdict.expected_kwh is not None:
            details["expected_kwh"] = str(verdict.expected_kwh)
        if not verdict.plausible:
            status = Status.PENDING_REVIEW
            reason = f"{reason} {verdict.reason}".strip()
    if source != Source.ESTIMATED and place.previous is not None and place.advance is not None:
        estimates = [
            r
            for r in readings
            if r.source == Source.ESTIMATED
            and r.status == Status.ACCEPTED
            and place.previous.read_at < r.read_at < read_at
        ]
        if estimates:
            details["true_up"] = _true_up(
                place.previous,
                estimates,
                value_kwh,
                place.wraps,
                _reading_date(period, read_at),
                digits,
            )
    return Reading.objects.create(
        register=register,
        read_at=read_at,
        value_kwh=value_kwh,
        source=source,
        status=status,
        period=period,
        supersedes=supersedes,
        reason=reason,
        details=details,
        created_by=created_by,
        known_at=known_at,
    )


@dataclass(frozen=True)
class _Placement:
    """Where a new reading stands among the register's actual accepted ones (oldest first):
    those up to it, the one just before, its rollovers so far and its advance on that one."""

    actual: list[Reading]
    before: list[Reading]
    previous: Reading | None
    wraps: int
    advance: Decimal | None


def _place_reading(
    readings: list[Reading],
    value_kwh: Decimal,
    read_at: dt.datetime,
    digits: int,
    policy: ReadingPolicy,
) -> _Placement:
    """Place the reading; :class:`UnableToSubmitReading` if it does not fit between the
    readings before and after it."""
    actual = _actual_accepted(readings)
    before = [r for r in actual if r.read_at <= read_at]
    after = [r for r in actual if r.read_at > read_at]
    previous = before[-1] if before else None
    wraps = 0
    advance = None
    try:
        if previous is not None:
            step = register_advance(
                previous_kwh=previous.value_kwh,
                current_kwh=value_kwh,
                digits=digits,
                max_rollover_fraction=policy.max_rollover_fraction,
            )
            advance = step.kwh
            wraps = wraps_of(previous) + (1 if step.rolled_over else 0)
        if after:
            nxt = after[0]
            step = register_advance(
                previous_kwh=value_kwh,
                current_kwh=nxt.value_kwh,
                digits=digits,
                max_rollover_fraction=policy.max_rollover_fraction,
            )
            if wraps + (1 if step.rolled_over else 0) != wraps_of(nxt):
                raise UnableToSubmitReading(
                    _(
                        "The reading %(value)s does not fit between the readings before and "
                        "after it (%(next)s on %(day)s)."
                    )
                    % {
                        "value": shown_number(value_kwh),
                        "next": shown_number(nxt.value_kwh),
                        "day": shown_day(local_date(nxt.read_at)),
                    }
                )
    except ReadingBelowPrevious as exc:
        raise UnableToSubmitReading(
            _(
                "The reading %(value)s is lower than the previous reading %(previous)s. Please "
                "check the number on the meter."
            )
            % {
                "value": shown_number(exc.current_kwh),
                "previous": shown_number(exc.previous_kwh),
            }
        ) from exc
    return _Placement(actual, before, previous, wraps, advance)


def _reading_date(period: str, read_at: dt.datetime) -> dt.date:
    """The day a reading stands for: a month-end reading the next month's first day."""
    return Month.parse(period).next().first_day if period else local_date(read_at)


def _plausibility(
    place: _Placement,
    previous: Reading,
    advance: Decimal,
    read_at: dt.datetime,
    period: str,
    digits: int,
    policy: ReadingPolicy,
) -> Verdict:
    """The advance judged against the daily consumption of the register's recent history."""
    since = [r for r in place.actual if (read_at - r.read_at).days <= policy.history_days]
    daily = expected_daily_kwh(history_periods([r for r in since if r in place.before], digits))
    days = Decimal((_reading_date(period, read_at) - effective_date(previous)).days)
    return assess(
        consumption_kwh=advance,
        days=days,
        daily_kwh=daily,
        factor=policy.plausibility_factor,
        min_expected_kwh=policy.plausibility_min_kwh,
    )


def _true_up(
    previous: Reading,
    estimates: list[Reading],
    value_kwh: Decimal,
    wraps: int,
    last: dt.date,
    digits: int,
) -> dict[str, Any]:
    scale = Decimal(10) ** digits
    start = unwrapped_kwh(previous, digits)
    actual = value_kwh + wraps * scale - start
    estimated = unwrapped_kwh(estimates[-1], digits) - start
    first = effective_date(previous)
    weights: list[tuple[str, Decimal]] = []
    for month in Month.range(Month.of(first), Month.of(last).next()):
        lo = max(first, month.first_day)
        hi = min(last, month.next().first_day)
        if hi > lo:
            weights.append((str(month), Decimal((hi - lo).days)))
    apportioned = estimation.apportion(total_kwh=actual, weights=weights) if weights else {}
    return {
        "since_reading": previous.pk,
        "since_date": first.isoformat(),
        "actual_kwh": _kwh(actual),
        "estimated_kwh": _kwh(estimated),
        "difference_kwh": _kwh(actual - estimated),
        "estimates": [r.pk for r in estimates],
        "apportioned_kwh": {k: _kwh(v) for k, v in apportioned.items()},
    }


def correct_reading(
    *,
    reading: Reading,
    value_kwh: Decimal,
    reason: str,
    as_of: dt.datetime,
    created_by: Any = None,
    read_at: dt.datetime | None = None,
    policy: ReadingPolicy = DEFAULT_POLICY,
) -> Reading:
    """A new reading that supersedes ``reading`` (who and why are recorded). The old one is
    kept. The correction is checked against its neighbours like any reading, not for
    plausibility (a person made it)."""
    if not reason.strip():
        raise UnableToSubmitReading(_("Say why the reading is corrected."))
    with transaction.atomic():
        register = _lock_register(reading.register)
        readings = list(effective_readings(register))
        if reading.pk not in {r.pk for r in readings}:
            raise UnableToSubmitReading(
                _("This reading was already corrected; correct the newest.")
            )
        when = read_at or reading.read_at
        if when > as_of:
            raise UnableToSubmitReading(_("A reading cannot be taken in the future."))
        _check_meter_installed(register.meter, when)
        return _write_reading(
            register=register,
            readings=[r for r in readings if r.pk != reading.pk],
            value_kwh=value_kwh,
            read_at=when,
            source=Source.BACKOFFICE if reading.source != Source.MIGRATION else reading.source,
            period=reading.period,
            supersedes=reading,
            reason=reason,
            created_by=created_by,
            policy=policy,
            details={k: v for k, v in reading.details.items() if k in ("role",)},
            check_plausibility=False,
            known_at=as_of,
        )


REVIEW_PERMISSION = "metering.change_reading"


class NotAllowedToReviewReading(UnableToSubmitReading):
    """The reviewer lacks the permission to change readings (a review changes what is billed)."""


def review_reading(
    *, reading: Reading, accept: bool, reason: str, created_by: Any, as_of: dt.datetime
) -> Reading:
    """Accept or reject a reading that waits for review: a new row with the decision that
    supersedes it (same value, time and period), known from ``as_of``. ``created_by``, the
    reviewer, must be a user with the permission to change readings
    (:data:`REVIEW_PERMISSION`)."""
    if created_by is None or not created_by.has_perm(REVIEW_PERMISSION):
        raise NotAllowedToReviewReading(
            _(
                "%(user)s may not accept or reject readings: that needs the permission "
                "to change readings."
            )
            % {"user": getattr(created_by, "username", None) or _("An unknown user")}
        )
    with transaction.atomic():
        register = _lock_register(reading.register)
        current = Reading.objects.select_for_update().get(pk=reading.pk)
        if current.status != Status.PENDING_REVIEW or hasattr(current, "superseded_by"):
            raise UnableToSubmitReading(_("Only a reading that waits for review can be reviewed."))
        _check_known_after(current, as_of)
        return Reading.objects.create(
            register=register,
            read_at=current.read_at,
            value_kwh=current.value_kwh,
            source=current.source,
            status=Status.ACCEPTED if accept else Status.REJECTED,
            period=current.period,
            supersedes=current,
            reason=reason or ("Accepted after review." if accept else "Rejected after review."),
            details={**current.details, "reviewed": True},
            created_by=created_by,
            known_at=as_of,
        )


class UnableToExchangeMeter(Exception):
    """The meter exchange cannot be made as asked; the message says why."""


def exchange_meter(
    *,
    metering_point: MeteringPoint,
    exchanged_at: dt.datetime,
    final_readings: Mapping[str, Decimal],
    serial_number: str,
    as_of: dt.datetime,
    register_kinds: Sequence[str] = (Register.Kind.SINGLE,),
    initial_readings: Mapping[str, Decimal] | None = None,
    digits: int = 6,
    multiplier: Decimal = Decimal(1),
    created_by: Any = None,
    policy: ReadingPolicy = DEFAULT_POLICY,
) -> Meter:
    """Close the installed meter's registers with final readings and install a new meter with
    its initial readings (default 0), both at ``exchanged_at``. Consumption across the
    exchange is old meter up to its final reading plus new meter from its initial one."""
    day = local_date(exchanged_at)
    with transaction.atomic():
        old = (
            Meter.objects.select_for_update()
            .filter(metering_point=metering_point, removed_date__isnull=True)
            .first()
        )
        if old is None:
            raise UnableToExchangeMeter(f"{metering_point.eic} has no installed meter.")
        if day <= old.installed_date:
            raise UnableToExchangeMeter(
                f"Meter {old.serial_number} was installed on {old.installed_date.isoformat()}; "
                f"it can be exchanged from the next day on."
            )
        registers = {r.kind: r for r in old.registers.all()}
        if set(final_readings) != set(registers):
            raise UnableToExchangeMeter(
                f"Give a final reading for each register of meter {old.serial_number}: "
                f"{', '.join(sorted(registers))}."
            )
        for kind, value in final_readings.items():
            submit_reading(
                register=registers[kind],
                value_kwh=value,
                read_at=exchanged_at,
                source=Source.BACKOFFICE,
                as_of=as_of,
                created_by=created_by,
                policy=policy,
                details={"role": "FINAL"},
                check_plausibility=False,
            )
        old.removed_date = day
        old.save(update_fields=["removed_date"])
        new = install_meter(
            metering_point=metering_point,
            serial_number=serial_number,
            installed_date=day,
            register_kinds=register_kinds,
            digits=digits,
            multiplier=multiplier,
        )
        initial = initial_readings or {}
        for reg in new.registers.all():
            Reading.objects.create(
                register=reg,
                read_at=exchanged_at,
                value_kwh=initial.get(reg.kind, Decimal(0)),
                source=Source.BACKOFFICE,
                status=Status.ACCEPTED,
                details={"role": "INITIAL", "wraps": 0},
                reason=f"Meter {old.serial_number} exchanged for {serial_number}.",
                created_by=created_by,
                known_at=as_of,
            )
    return new


# --- estimates, set-based ------------------------------------------------------------------


class UnableToEstimateMonth(UnableToSubmitReading):
    """The month cannot be estimated yet (its reading window is still open)."""


@dataclass(frozen=True)
class EstimateTarget:
    """A register of a manual metering point whose meter was installed at the end of the
    month, with what the estimate needs to know about its meter and point."""

    register_id: int
    kind: str
    digits: int
    multiplier: Decimal
    metering_point: str  # EIC
    is_apartment: bool
    main_fuse_a: int


@dataclass(frozen=True, slots=True)
class ReadingRow:
    """An effective reading as the estimate reads it in bulk (the rules take it like a
    :class:`Reading`: only ``wraps`` of its details is read)."""

    pk: int
    read_at: dt.datetime
    period: str
    value_kwh: Decimal
    status: str
    source: str
    wraps: int

    @property
    def details(self) -> Mapping[str, Any]:
        return {"wraps": self.wraps}


@dataclass(frozen=True)
class EstimateFailed:
    target: EstimateTarget
    error: Exception


@dataclass
class MonthEstimates:
    registers: int  # registers looked at
    written: list[Reading]
    failures: list[EstimateFailed]


def estimated_reading(
    *,
    target: EstimateTarget,
    month: Month,
    last: ReadingRow,
    actual: Sequence[ReadingRow],
    segment: str,
    policy: ReadingPolicy,
    known_at: dt.datetime,
) -> Reading | None:
    """The ESTIMATED month-end reading of ``month`` for one register (unsaved), from the last
    accepted reading before the month's end (``last``, actual or estimated) and the register's
    actual accepted readings (``actual``, oldest first: those of the last
    ``policy.history_days`` before the month's end and the month-ends of the same month a year
    earlier and the month before it). ``None`` when the last reading is not before the
    boundary day."""
    boundary = local_midnight(month.next().first_day)
    days = Decimal((month.next().first_day - effective_date(last)).days)
    if days <= 0:
        return None
    digits = target.digits
    history = history_periods(
        [
            r
            for r in actual
            if r.read_at < boundary and (boundary - r.read_at).days <= policy.history_days
        ],
        digits,
    )
    result = estimation.estimate(
        month=month,
        days=days,
        same_month_last_year=_same_month_last_year(actual, month, digits),
        recent=history[-3:],
        segment=segment,
        register_share=estimation.REGISTER_SHARE[target.kind],
        multiplier=target.multiplier,
    )
    scale = Decimal(10) ** digits
    wraps, value = divmod(unwrapped_kwh(last, digits) + result.kwh, scale)
    # written by bulk.insert_instances, which writes every concrete field: a new column of
    # Reading is one more keyword here
    return Reading(
        register_id=target.register_id,
        read_at=boundary,
        value_kwh=value,
        source=Source.ESTIMATED,
        status=Status.ACCEPTED,
        period=str(month),
        reason=f"Estimated: no reading by the end of the window ({result.method}).",
        details={
            "wraps": int(wraps),
            "advance_kwh": _kwh(result.kwh),
            "from_reading": last.pk,
            "estimate": {"method": result.method, "inputs": result.inputs},
        },
        known_at=known_at,
    )


_ROW_FIELDS = ("register_id", "id", "at_text", "period", "value_kwh", "status", "source")
_TARGET_FIELDS = (
    "id",
    "kind",
    "meter__digits",
    "meter__multiplier",
    "meter__metering_point__eic",
    "meter__metering_point__is_apartment",
    "meter__metering_point__main_fuse_a",
)


def _rows(queryset: Any) -> Iterator[tuple[int, ReadingRow]]:
    """``(register_id, ReadingRow)`` for each reading of ``queryset``, by register, oldest
    first."""
    # wraps as an integer in SQL, not each row's details decoded; the time as ISO text, which
    # datetime parses in C (the driver's time zone-aware loader is ten times slower)
    wraps = Coalesce(Cast(KeyTextTransform("wraps", "details"), IntegerField()), 0)
    at_text = Cast("read_at", CharField())
    for register_id, pk, text, period, value, status, source, turns in (
        queryset.annotate(turns=wraps, at_text=at_text)
        .values_list(*_ROW_FIELDS, "turns")
        .order_by("register_id", "read_at", "id")
    ):
        read_at = dt.datetime.fromisoformat(text)
        if read_at.tzinfo is None:  # SQLite keeps UTC without an offset
            read_at = read_at.replace(tzinfo=dt.UTC)
        yield register_id, ReadingRow(pk, read_at, period, value, status, source, turns)


def _effective() -> Any:
    """Readings that nothing supersedes (as an anti-join the planner estimates well)."""
    return Reading.objects.filter(~Exists(Reading.objects.filter(supersedes=OuterRef("pk"))))


def _estimate_targets(month: Month, register_ids: Sequence[int] | None) -> Any:
    """The registers of manual points whose meter was installed at the end of ``month``."""
    last_day = month.last_day
    registers = Register.objects.filter(
        meter__metering_point__metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER,
        meter__installed_date__lte=last_day,
    ).filter(Q(meter__removed_date__isnull=True) | Q(meter__removed_date__gt=last_day))
    if register_ids is not None:
        registers = registers.filter(pk__in=register_ids)
    return registers


@dataclass
class _RegisterReadings:
    """What the estimate reads of a target register's effective readings."""

    last: ReadingRow | None = None  # the newest accepted one before the boundary, if recent
    actual: list[ReadingRow] = field(default_factory=list)


def _read_this_month(registers: Any, month: Month) -> Any:
    """The effective accepted or pending month-end readings of ``month`` of ``registers``:
    a register with one needs no estimate."""
    return _effective().filter(
        register__in=registers.values("pk"),
        period=str(month),
        status__in=(Status.ACCEPTED, Status.PENDING_REVIEW),
    )


def _month_readings(
    registers: Any, month: Month, policy: ReadingPolicy
) -> dict[int, _RegisterReadings]:
    """In one query, the effective accepted readings of those of ``registers`` that need an
    estimate, since ``policy.history_days`` before the month's end, and the month-ends of the
    same month a year earlier and the month before it (whenever they were read)."""
    boundary = local_midnight(month.next().first_day)
    cutoff = boundary - dt.timedelta(days=policy.history_days + 1)
    last_year = Month(month.year - 1, month.month)
    found: dict[int, _RegisterReadings] = {}
    for register_id, row in _rows(
        _effective()
        .filter(register__in=registers.values("pk"), status=Status.ACCEPTED)
        .exclude(register__in=_read_this_month(registers, month).values("register_id"))
        .filter(Q(read_at__gt=cutoff) | Q(period__in=(str(last_year), str(last_year.previous()))))
    ):
        seen = found.setdefault(register_id, _RegisterReadings())
        if cutoff < row.read_at < boundary:
            seen.last = row  # rows come oldest first
        if row.source != Source.ESTIMATED:
            seen.actual.append(row)
    return found


def _older_last(register_ids: list[int], month: Month) -> dict[int, ReadingRow]:
    """The newest effective accepted reading before the month's end of each register (for
    those without one in the history window: usually none)."""
    boundary = local_midnight(month.next().first_day)
    last: dict[int, ReadingRow] = {}
    for batch in bulk.in_batches(register_ids, bulk.BATCH_SIZE):
        newest = Window(
            RowNumber(),
            partition_by=[F("register_id")],
            order_by=[F("read_at").desc(), F("id").desc()],
        )
        last.update(
            _rows(
                _effective()
                .filter(
                    register_id__in=batch,
                    status=Status.ACCEPTED,
                    read_at__lt=boundary,
                )
                .annotate(newest=newest)
                .filter(newest=1)
            )
        )
    return last


def _lock_readings_for_the_estimate() -> None:
    """No reading may arrive between the reads of the estimate and its write (a month-end
    reading given meanwhile would be estimated over); readers are not blocked. On SQLite the
    write of the same transaction fails instead if another writer came between."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Reading._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SET LOCAL work_mem = '64MB'")  # sort the month's readings in memory


def estimate_month(
    *,
    month: Month,
    as_of: dt.datetime,
    segment_of: Callable[[EstimateTarget], str],
    policy: ReadingPolicy,
    register_ids: Sequence[int] | None = None,
) -> MonthEstimates:
    """Write the ESTIMATED month-end reading of ``month`` for every register of a manual
    metering point installed at the month's end (or of ``register_ids``) that has no accepted
    or pending month-end reading of the month and an accepted reading before its end.

    Set-based: one query for the registers, one for those read already, one for the readings
    of the others (see :func:`_month_readings`), rarely one for an older last reading; each
    estimate is computed in memory (:func:`estimated_reading`) and all are written in one
    stream (COPY on PostgreSQL).
    A register whose estimate fails is left out and returned in ``failures`` with the error;
    the others are written. Writing it again writes nothing new."""
    if not policy.window.is_closed(month, as_of=as_of):
        raise UnableToEstimateMonth(
            f"The reading window for {month} is still open; estimate after it closes."
        )
    # many small acyclic objects: the cycle collector would walk them again and again
    with gc_paused(), transaction.atomic():
        _lock_readings_for_the_estimate()
        registers = _estimate_targets(month, register_ids)
        targets = [
            EstimateTarget(*row) for row in registers.values_list(*_TARGET_FIELDS).order_by("id")
        ]
        done = set(_read_this_month(registers, month).values_list("register_id", flat=True))
        found = _month_readings(registers, month, policy)
        nothing = _RegisterReadings()
        older = _older_last(
            [
                t.register_id
                for t in targets
                if t.register_id not in done and found.get(t.register_id, nothing).last is None
            ],
            month,
        )
        written: list[Reading] = []
        failures: list[EstimateFailed] = []
        for target in targets:
            seen = found.get(target.register_id, nothing)
            last = seen.last or older.get(target.register_id)
            if target.register_id in done or last is None:
                continue  # estimated or read already, or no reading to start from
            try:
                reading = estimated_reading(
                    target=target,
                    month=month,
                    last=last,
                    actual=seen.actual,
                    segment=segment_of(target),
                    policy=policy,
                    known_at=as_of,
                )
            except Exception as exc:  # isolated: recorded, and the next register goes on
                failures.append(EstimateFailed(target=target, error=exc))
                continue
            if reading is not None:
                written.append(reading)
        bulk.insert_instances(Reading, written)
    return MonthEstimates(registers=len(targets), written=written, failures=failures)


def _same_month_last_year(
    readings: Sequence[ReadingFacts], month: Month, digits: int
) -> HistoryPeriod | None:
    target = Month(month.year - 1, month.month)
    actual = _actual_accepted(readings)
    ends = {r.period: r for r in actual if r.period}
    end, start = ends.get(str(target)), ends.get(str(target.previous()))
    if end is None or start is None:
        return None
    return HistoryPeriod(
        kwh=unwrapped_kwh(end, digits) - unwrapped_kwh(start, digits),
        days=Decimal(target.days),
    )


def record_readings_import(
    *, file_name: str, sha256: str, lines: int, as_of: dt.datetime, created_by: Any
) -> MeteringImport:
    """Record an imported readings file (its name, digest and size, when, and the user who
    imported it, or None)."""
    return MeteringImport.objects.create(
        kind=MeteringImport.Kind.READINGS,
        file_name=file_name[:255],
        sha256=sha256,
        intervals=lines,
        as_of=as_of,
        created_by=created_by,
    )
