"""``import_readings_file`` takes a file's readings set-based (a handful of queries for the
file, one INSERT a reading) and decides exactly as one ``submit_reading`` a line does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from factories import MeterFactory, MeteringPointFactory, RegisterFactory
from vool.common.localtime import TALLINN
from vool.domain.metering import operations
from vool.domain.metering.models import Reading
from vool.domain.metering.policy import DEFAULT_POLICY
from vool.domain.supply.models import MeteringPoint
from vool.usecases.import_readings import RejectedFile, import_readings_file

pytestmark = pytest.mark.django_db

AS_OF = dt.datetime(2026, 11, 3, 12, tzinfo=TALLINN)
HEADER = "Metering Point EIC;Register;Read At;Value KWH;Source"
FIELDS = ("register_id", "read_at", "value_kwh", "source", "status", "period", "reason")


def _register(digits: int = 6, start: int = 1000) -> Any:
    point = MeteringPointFactory(metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER)
    register = RegisterFactory(meter=MeterFactory(metering_point=point, digits=digits))
    for value, month in ((start, 9), (start + 300, 10)):
        Reading.objects.create(
            register=register,
            read_at=dt.datetime(2026, month, 1, 10, tzinfo=TALLINN),
            known_at=dt.datetime(2026, month, 1, 10, tzinfo=TALLINN),
            value_kwh=Decimal(value) % 10**digits,
            source=Reading.Source.MIGRATION,
            period=f"2026-{month - 1:02d}",
            details={"wraps": (value // 10**digits)},
        )
    return register


def _file(tmp_path: Path, rows: list[tuple[Any, str, str]]) -> Path:
    path = tmp_path / "readings.csv"
    lines = [HEADER] + [
        f"{register.meter.metering_point.eic};SINGLE;{at};{value};PHONE"
        for register, at, value in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _new_readings(before: set[int]) -> list[tuple[Any, ...]]:
    return sorted(Reading.objects.exclude(pk__in=before).values_list(*FIELDS))


class TestReadingsImportIsSetBased:
    def test_same_readings_as_one_submit_a_line(self, tmp_path: Path) -> None:
        plain, twice, wild, rolls = _register(), _register(), _register(), _register(4, 9400)
        rows = [
            (plain, "02.11.2026 09:00+02:00", "1610"),  # month-end of October
            (twice, "01.11.2026 09:00+02:00", "1600"),  # month-end ...
            (twice, "02.11.2026 09:00+02:00", "1620"),  # ... replaced by a second one
            (twice, "02.11.2026 09:05+02:00", "1620"),  # the same again: already known
            (wild, "02.11.2026 10:00+02:00", "9000"),  # implausible: waits for review
            (rolls, "02.11.2026 11:00+02:00", "15"),  # a four-digit register rolled over
            (plain, "10.10.2026 09:00+03:00", "1400"),  # an interim reading between
        ]
        path = _file(tmp_path, rows)
        before = set(Reading.objects.values_list("pk", flat=True))
        with transaction.atomic():
            for register, at, value in rows:
                day, time = at.split(" ")
                d, m, y = day.split(".")
                operations.submit_reading(
                    register=register,
                    value_kwh=Decimal(value),
                    read_at=dt.datetime.fromisoformat(f"{y}-{m}-{d}T{time}"),
                    source="PHONE",
                    as_of=AS_OF,
                    policy=DEFAULT_POLICY,
                )
            expected = _new_readings(before)
            transaction.set_rollback(True)

        with CaptureQueriesContext(connection) as queries:
            result = import_readings_file(path=path, as_of=AS_OF)

        assert _new_readings(before) == expected
        assert (result.lines, result.created, result.already_known, result.pending_review) == (
            7,
            6,
            1,
            1,
        )
        inserts = [q for q in queries if q["sql"].startswith("INSERT")]
        assert len(inserts) == 7  # one a new reading, one for the import's audit row
        reads = [q for q in queries if q["sql"].startswith("SELECT")]
        # points, meters, registers, the registers locked, their readings: for the whole file
        assert len(reads) == 5

    def test_a_bad_line_names_its_line_and_nothing_is_written(self, tmp_path: Path) -> None:
        plain, other = _register(), _register()
        path = _file(
            tmp_path,
            [
                (plain, "02.11.2026 09:00+02:00", "1610"),
                (other, "02.11.2026 09:00+02:00", "1200"),  # below the previous 1300
            ],
        )
        count = Reading.objects.count()
        with translation.override("en"), pytest.raises(RejectedFile) as caught:
            import_readings_file(path=path, as_of=AS_OF)
        (problem,) = caught.value.problems
        assert (problem.location, problem.field) == ("line 3", "Value KWH")
        assert "lower than the previous reading 1300" in problem.message
        assert Reading.objects.count() == count
