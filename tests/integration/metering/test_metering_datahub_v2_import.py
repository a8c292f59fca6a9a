"""V2 metering data and the current spreadsheet template into interval days (issue 15 §1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from factories import MeteringPointFactory
from vool.common.localtime import UTC
from vool.domain.metering import intervals
from vool.domain.metering.models import IntervalDay, MeteringImport
from vool.usecases import import_intervals
from vool.usecases.import_intervals import RejectedFile

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "data" / "metering"
AS_OF = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PROSUMER = "38ZEE-00625607-9"
CONSUMER = "38ZEE-1000009--Z"


def run(*names: str) -> import_intervals.IntervalImportReport:
    files = [(name, (DATA / name).read_bytes()) for name in names]
    return import_intervals.import_interval_data(files=files, as_of=AS_OF)


@pytest.fixture
def points() -> None:
    MeteringPointFactory(eic=PROSUMER)
    MeteringPointFactory(eic=CONSUMER)


def day_of(eic: str, direction: str, day: dt.date) -> IntervalDay:
    return IntervalDay.objects.get(
        metering_point__eic=eic, direction=direction, day=day, is_current=True
    )


class TestV2:
    def test_a_bare_array_stores_in_and_out_per_point(self, points: None) -> None:
        report = run("v2_points.json")
        assert (report.intervals, report.days_created, report.net_intervals) == (20, 3, 24)
        nov_1 = dt.date(2026, 11, 1)
        assert day_of(PROSUMER, "OUT", nov_1).total_wh == 1425
        assert day_of(PROSUMER, "IN", nov_1).total_wh == 1175
        consumer = day_of(CONSUMER, "OUT", nov_1)
        assert consumer.total_wh == 3005
        flags = intervals.unpack_quality(consumer.quality)
        assert flags[:4].tolist() == [0, 0, 0, 1] and (flags[4:] == intervals.MISSING).all()
        assert report.not_given == ()

    def test_the_get_response_reports_the_points_the_hub_did_not_give(self, points: None) -> None:
        report = run("v2_get_response.json")
        assert IntervalDay.objects.filter(metering_point__eic=CONSUMER).count() == 0
        assert IntervalDay.objects.filter(metering_point__eic=PROSUMER).count() == 2
        [problem] = report.not_given
        assert str(problem) == (
            "v2_get_response.json: unsuccessful[0], 38ZEE-1000009--Z: the hub answered "
            "METERING_POINT_ACCESS_DENIED: No access right to the metering point (error id "
            "0b6f1c7e-2f4e-4c1e-9d3a-5f0a8e2b7c11, trace id 6f1d2c3b4a5e6f70)"
        )

    def test_the_page_and_the_array_give_the_same_days(self, points: None) -> None:
        run("v2_data_distribution_page.json")
        again = run("v2_points.json")
        assert (again.days_created, again.days_corrected, again.days_unchanged) == (0, 0, 3)

    def test_an_unknown_point_refuses_the_file_and_stores_nothing(self) -> None:
        MeteringPointFactory(eic=PROSUMER)
        with pytest.raises(RejectedFile) as caught:
            run("v2_points.json")
        assert [str(p) for p in caught.value.problems] == [
            f"v2_points.json: point 2 ({CONSUMER}) periods[0].aI[0], EIC: {CONSUMER} is not a "
            "metering point of ours"
        ]
        assert IntervalDay.objects.count() == 0
        assert MeteringImport.objects.count() == 0


class TestTemplates:
    def test_the_current_template_on_the_autumn_day(self, points: None) -> None:
        report = run("hub_template_2026_autumn.csv")
        day = dt.date(2026, 10, 25)
        out = day_of(PROSUMER, "OUT", day)
        assert out.resolution_minutes == 15
        values = intervals.unpack_values(out.values_wh)
        assert len(values) == 100
        assert values[12:20].tolist() == [200, 225, 250, 275, 100, 125, 150, 175]
        assert report.net_intervals == 200  # a net IN and a net OUT value per quarter hour

    def test_the_older_template_on_the_spring_day(self, points: None) -> None:
        run("hub_template_older_spring.csv")
        day = day_of(PROSUMER, "OUT", dt.date(2026, 3, 29))
        assert len(intervals.unpack_values(day.values_wh)) == 92
        assert day.total_wh == sum(50 + i for i in range(92))
