"""The set-based month estimate writes exactly the readings the per-register path wrote, for a
varied seeded population (rollovers, multipliers, day/night meters, corrections, earlier
estimates, pending and rejected readings, removed and new meters, remote points, segments)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q

from factories import MeteringPointFactory
from metering_estimate_reference import write_estimate
from vool.common.localtime import TALLINN, Month
from vool.domain.metering import operations
from vool.domain.metering.models import Meter, Reading, Register
from vool.domain.metering.policy import DEFAULT_POLICY
from vool.domain.supply.models import MeteringPoint
from vool.usecases.estimate_readings import segment_of

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
CLOSED = dt.datetime(2026, 11, 4, 0, 0, tzinfo=TALLINN)
Source, Status = Reading.Source, Reading.Status


def _reading(register: Register, read_at: dt.datetime, value: Decimal, wraps: int, **kw: Any):
    kw.setdefault("known_at", read_at)
    return Reading.objects.create(
        register=register, read_at=read_at, value_kwh=value, details={"wraps": wraps}, **kw
    )


def _history(rng: random.Random, register: Register, digits: int) -> None:
    scale = Decimal(10) ** digits
    total = Decimal(rng.randrange(0, int(scale)))
    # from mid-2024 (or only since September: one or two readings) to a month that leaves
    # October without its reading, or with it, or ended early in 2025 (nothing recent)
    month = rng.choice([Month(2024, rng.randrange(6, 13)), Month(2026, 9)])
    end = rng.choice([Month(2026, m) for m in (8, 9, 10, 10, 11)] + [Month(2025, 2)])
    previous = None
    while month <= end:
        if rng.random() < 0.8:
            total += Decimal(rng.randrange(0, 900_000)) / 1000
            first = month.next().first_day
            read_at = dt.datetime(first.year, first.month, rng.choice([1, 2]), 10, tzinfo=TALLINN)
            source = rng.choice([Source.MIGRATION, Source.PORTAL, Source.PORTAL, Source.ESTIMATED])
            status = rng.choice([Status.ACCEPTED] * 8 + [Status.PENDING_REVIEW, Status.REJECTED])
            wraps, value = divmod(total, scale)
            kept = _reading(
                register,
                read_at,
                value,
                int(wraps),
                source=source,
                status=status,
                period=str(month),
            )
            if previous is not None and rng.random() < 0.1:  # a correction of the last one
                _reading(
                    register,
                    previous.read_at,
                    previous.value_kwh,
                    previous.details["wraps"],
                    source=Source.BACKOFFICE,
                    status=Status.ACCEPTED,
                    period=previous.period,
                    supersedes=previous,
                    reason="corrected",
                )
            previous = kept
        if rng.random() < 0.15:  # an interim reading mid-month, same day as another or not
            day = month.first_day + dt.timedelta(days=rng.choice([0, 14]))
            total += Decimal(rng.randrange(0, 200))
            wraps, value = divmod(total, scale)
            _reading(
                register,
                dt.datetime(day.year, day.month, day.day, 15, tzinfo=TALLINN),
                value,
                int(wraps),
                source=Source.PHONE,
                status=Status.ACCEPTED,
            )
        month = month.next()


def _population(seed: int, size: int) -> None:
    rng = random.Random(seed)
    for n in range(size):
        point = MeteringPointFactory(
            metering_method=rng.choice(
                [MeteringPoint.MeteringMethod.MANUAL_REGISTER] * 9
                + [MeteringPoint.MeteringMethod.REMOTE_INTERVAL]
            ),
            is_apartment=rng.random() < 0.4,
            main_fuse_a=rng.choice([16, 25, 63, 80, 160]),
        )
        installed, removed = rng.choice(
            [(dt.date(2020, 1, 1), None)] * 8
            + [(dt.date(2026, 11, 15), None), (dt.date(2020, 1, 1), dt.date(2026, 10, 20))]
        )
        digits = rng.choice([4, 5, 6, 6])
        meter = Meter.objects.create(
            metering_point=point,
            serial_number=f"EQ{seed}-{n}",
            digits=digits,
            multiplier=rng.choice([Decimal(1), Decimal(1), Decimal(30), Decimal("2.5")]),
            installed_date=installed,
            removed_date=removed,
        )
        kinds = rng.choice([["SINGLE"], ["SINGLE"], ["DAY", "NIGHT"]])
        for kind in kinds:
            register = Register.objects.create(meter=meter, kind=kind)
            if rng.random() < 0.9:
                _history(rng, register, digits)


def _old_targets() -> Any:
    """The registers the per-register path went through (its own query)."""
    last_day = OCTOBER.last_day
    return (
        Register.objects.filter(
            meter__metering_point__metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER,
            meter__installed_date__lte=last_day,
        )
        .filter(Q(meter__removed_date__isnull=True) | Q(meter__removed_date__gt=last_day))
        .select_related("meter__metering_point")
        .order_by("id")
    )


class TestEstimateMonthMatchesThePerRegisterPath:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_same_readings_values_periods_and_details(self, seed: int) -> None:
        _population(seed, 60)
        before = set(Reading.objects.values_list("pk", flat=True))
        with transaction.atomic():
            for register in _old_targets():
                write_estimate(
                    register=register,
                    month=OCTOBER,
                    segment=segment_of(register.meter.metering_point),
                    as_of=CLOSED,
                )
            expected = sorted(
                Reading.objects.exclude(pk__in=before).values_list(
                    "register_id",
                    "read_at",
                    "value_kwh",
                    "source",
                    "status",
                    "period",
                    "supersedes_id",
                    "reason",
                    "details",
                    "created_by_id",
                )
            )
            transaction.set_rollback(True)

        result = operations.estimate_month(
            month=OCTOBER, as_of=CLOSED, segment_of=segment_of, policy=DEFAULT_POLICY
        )

        got = sorted(
            Reading.objects.exclude(pk__in=before).values_list(
                "register_id",
                "read_at",
                "value_kwh",
                "source",
                "status",
                "period",
                "supersedes_id",
                "reason",
                "details",
                "created_by_id",
            )
        )
        assert result.failures == []
        assert got == expected
        assert len(result.written) == len(got) >= 20
        methods = {row[8]["estimate"]["method"] for row in got}
        assert methods == {"SAME_MONTH_LAST_YEAR", "AVERAGE_DAILY", "LOAD_PROFILE"}
        assert result.registers == _old_targets().count()
        # and again: nothing new
        again = operations.estimate_month(
            month=OCTOBER, as_of=CLOSED, segment_of=segment_of, policy=DEFAULT_POLICY
        )
        assert again.written == []
