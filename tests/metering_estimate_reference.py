"""The per-register estimate as it was written before it became set-based (one register at a
time through the ORM): kept only as the reference that
:func:`vool.domain.metering.operations.estimate_month` must match, reading for reading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from vool.common.localtime import Month, local_midnight
from vool.domain.metering import estimation
from vool.domain.metering.models import Reading, Register
from vool.domain.metering.operations import (
    Source,
    Status,
    UnableToSubmitReading,
    _kwh,
    _lock_register,
    _same_month_last_year,
    effective_date,
    effective_readings,
    history_periods,
    unwrapped_kwh,
)
from vool.domain.metering.policy import DEFAULT_POLICY, ReadingPolicy


def write_estimate(
    *,
    register: Register,
    month: Month,
    segment: str,
    as_of: dt.datetime,
    policy: ReadingPolicy = DEFAULT_POLICY,
) -> Reading | None:
    """Write the ESTIMATED month-end reading of ``month`` for ``register`` if it has no
    accepted month-end reading and the window has closed. Returns ``None`` when nothing is
    needed (an accepted month-end reading exists, or an estimate was already written)."""
    if not policy.window.is_closed(month, as_of=as_of):
        raise UnableToSubmitReading(
            f"The reading window for {month} is still open; estimate after it closes."
        )
    with transaction.atomic():
        register = _lock_register(register)
        meter = register.meter
        readings = list(effective_readings(register))
        if any(
            r.period == str(month) and r.status in (Status.ACCEPTED, Status.PENDING_REVIEW)
            for r in readings
        ):
            return None
        boundary = local_midnight(month.next().first_day)
        before = [r for r in readings if r.read_at < boundary and r.status == Status.ACCEPTED]
        if not before:
            return None  # no reading to start from (a new meter gets its initial reading)
        last = before[-1]
        days = Decimal((month.next().first_day - effective_date(last)).days)
        if days <= 0:
            return None
        digits = meter.digits
        history = history_periods(
            [r for r in before if (boundary - r.read_at).days <= policy.history_days], digits
        )
        last_year = _same_month_last_year(readings, month, digits)
        result = estimation.estimate(
            month=month,
            days=days,
            same_month_last_year=last_year,
            recent=history[-3:],
            segment=segment,
            register_share=estimation.REGISTER_SHARE[register.kind],
            multiplier=meter.multiplier,
        )
        scale = Decimal(10) ** digits
        total = unwrapped_kwh(last, digits) + result.kwh
        wraps, value = divmod(total, scale)
        return Reading.objects.create(
            register=register,
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
            known_at=as_of,
        )
