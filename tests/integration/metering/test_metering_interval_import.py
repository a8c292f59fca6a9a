from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from factories import MeteringPointFactory
from vool.common.localtime import TALLINN, UTC
from vool.domain.metering import interval_operations, intervals, queries
from vool.domain.metering.models import IntervalCorrection, IntervalDay, MeteringImport
from vool.domain.supply.models import MeteringPoint
from vool.usecases import import_intervals
from vool.usecases.import_intervals import RejectedFile

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "data" / "metering"
AS_OF = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def run(*names_or_pairs, as_of=AS_OF):
    files = []
    for item in names_or_pairs:
        if isinstance(item, str):
            files.append((item, (DATA / item).read_bytes()))
        else:
            files.append(item)
    return import_intervals.import_interval_data(files=files, as_of=as_of)


def csv_file(rows, name="data.csv"):
    header = "Meter EIC;Period Start;Resolution;Quantity KWH OUT;Reading Type OUT\n"
    return (name, (header + "".join(f"{r}\n" for r in rows)).encode())


@pytest.fixture
def quarter_point():
    return MeteringPointFactory(eic="38ZEE-00625607-9")


@pytest.fixture
def hourly_point():
    return MeteringPointFactory(eic="38ZEE-1000009--Z", resolution=MeteringPoint.Resolution.PT60M)


class TestJsonImport:
    def test_the_hubs_example_makes_two_hourly_days(self, hourly_point):
        result = run("hub_example_pt1h.json", as_of=dt.datetime(2023, 9, 5, tzinfo=UTC))
        assert (result.intervals, result.days_created, result.days_corrected) == (2, 2, 0)
        out = IntervalDay.objects.get(metering_point=hourly_point, direction="OUT")
        assert (out.day, out.resolution_minutes, out.version, out.total_wh) == (
            dt.date(2023, 9, 4),
            60,
            1,
            5000,
        )
        values = intervals.unpack_values(out.values_wh)
        flags = intervals.unpack_quality(out.quality)
        assert len(values) == 24
        assert values[15] == 5000  # 12:00 UTC is 15:00 in Tallinn (EEST)
        assert flags[15] == intervals.MEASURED
        assert int((flags == intervals.MISSING).sum()) == 23
        production = IntervalDay.objects.get(metering_point=hourly_point, direction="IN")
        assert intervals.unpack_quality(production.quality)[15] == intervals.ESTIMATED


class TestCsvImport:
    def test_dst_day_has_100_quarters_and_totals_agree(self, quarter_point):
        result = run("dst_day_2026-10-25.csv")
        assert (result.intervals, result.days_created) == (100, 1)
        day = IntervalDay.objects.get(metering_point=quarter_point)
        assert (day.day, day.total_wh) == (dt.date(2026, 10, 25), 25000)
        assert len(intervals.unpack_values(day.values_wh)) == 100
        kwargs = {
            "metering_point": quarter_point,
            "start": dt.date(2026, 10, 25),
            "end": dt.date(2026, 10, 26),
        }
        quarters = queries.interval_series(step="PT15M", **kwargs)
        hours = queries.interval_series(step="PT1H", **kwargs)
        days = queries.interval_series(step="P1D", **kwargs)
        months = queries.interval_series(step="P1M", **kwargs)
        assert len(quarters.values_wh) == 100
        assert hours.values_wh.tolist() == [1000] * 25
        assert hours.starts[3] == dt.datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 03:00 EEST
        assert hours.starts[4] == dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 03:00 EET
        assert days.values_wh.tolist() == [25000]
        assert months.values_wh.tolist() == [25000]
        assert quarters.total_wh == hours.total_wh == days.total_wh == months.total_wh == 25000

    def test_reimporting_the_same_file_changes_nothing(self, quarter_point):
        run("dst_day_2026-10-25.csv")
        again = run("dst_day_2026-10-25.csv")
        assert (again.days_created, again.days_corrected, again.days_unchanged) == (0, 0, 1)
        assert IntervalDay.objects.count() == 1
        assert IntervalCorrection.objects.count() == 0

    def test_corrected_data_makes_a_new_version_and_a_true_up_marker(self, quarter_point):
        run("dst_day_2026-10-25.csv")
        # the hub corrects the first quarter-hour: 0,100 -> 0,350 kWh
        result = run(csv_file(["38ZEE-00625607-9;25.10.2026 00:00+03:00;15 MINUTES;0,350;METERED"]))
        assert (result.days_created, result.days_corrected) == (0, 1)
        old, new = IntervalDay.objects.order_by("version")
        assert (old.version, old.is_current, old.total_wh) == (1, False, 25000)
        assert (new.version, new.is_current, new.total_wh) == (2, True, 25250)
        assert intervals.unpack_values(new.values_wh)[:2].tolist() == [350, 200]
        correction = IntervalCorrection.objects.get()
        assert (
            correction.period,
            correction.delta_wh,
            correction.previous,
            correction.current,
        ) == (
            "2026-10",
            250,
            old,
            new,
        )
        assert queries.interval_corrections(metering_point=quarter_point) == [correction]

    def test_gaps_are_missing_and_filling_them_is_a_new_version(self, quarter_point):
        run(
            csv_file(
                [
                    "38ZEE-00625607-9;01.11.2026 00:00+02:00;15 MINUTES;0,250;METERED",
                    "38ZEE-00625607-9;01.11.2026 00:30+02:00;15 MINUTES;0,500;ESTIMATED",
                ]
            )
        )
        day = IntervalDay.objects.get()
        values = intervals.unpack_values(day.values_wh)
        flags = intervals.unpack_quality(day.quality)
        assert len(values) == 96
        assert values[:3].tolist() == [250, 0, 500]
        assert flags[:4].tolist() == [0, 2, 1, 2]
        assert day.total_wh == 750
        run(csv_file(["38ZEE-00625607-9;01.11.2026 00:15+02:00;15 MINUTES;0,125;METERED"]))
        current = IntervalDay.objects.get(is_current=True)
        assert current.version == 2
        assert intervals.unpack_quality(current.quality)[:3].tolist() == [0, 0, 1]
        assert IntervalCorrection.objects.get().delta_wh == 125


class TestFillGaps:
    def test_gaps_estimated_as_a_new_version(self, quarter_point):
        run(
            csv_file(
                [
                    "38ZEE-00625607-9;01.11.2026 00:00+02:00;15 MINUTES;0,250;METERED",
                    "38ZEE-00625607-9;01.11.2026 00:30+02:00;15 MINUTES;0,500;ESTIMATED",
                ]
            )
        )
        new = interval_operations.fill_interval_gaps(
            metering_point=quarter_point, day=dt.date(2026, 11, 1), as_of=AS_OF
        )
        values = intervals.unpack_values(new.values_wh)
        flags = intervals.unpack_quality(new.quality)
        assert values[:4].tolist() == [250, 375, 500, 500]
        assert flags[:4].tolist() == [0, 1, 1, 1]
        assert new.total_wh == 250 + 375 + 94 * 500
        assert IntervalCorrection.objects.get().delta_wh == 47625 - 750
        assert (
            interval_operations.fill_interval_gaps(
                metering_point=quarter_point, day=dt.date(2026, 11, 1), as_of=AS_OF
            )
            is None
        )


class TestRejectedFiles:
    def test_broken_csv_is_rejected_whole_and_nothing_stored(self, quarter_point):
        with pytest.raises(RejectedFile) as caught:
            run("broken.csv")
        assert len(caught.value.problems) == 8
        assert str(caught.value.problems[0]) == "broken.csv: line 3, Meter EIC: is missing"
        assert IntervalDay.objects.count() == 0
        assert MeteringImport.objects.count() == 0

    def test_broken_json(self, hourly_point):
        with pytest.raises(RejectedFile) as caught:
            run("broken.json")
        assert caught.value.problems[0].field == "JSON"
        assert IntervalDay.objects.count() == 0

    def test_unknown_eic_wrong_resolution_and_out_of_range(self, quarter_point, hourly_point):
        with pytest.raises(RejectedFile) as caught:
            run(
                csv_file(
                    [
                        "38ZEE-00742330-T;01.11.2026 00:00+02:00;15 MINUTES;0,250;METERED",
                        "38ZEE-1000009--Z;01.11.2026 00:00+02:00;15 MINUTES;0,250;METERED",
                        "38ZEE-00625607-9;01.11.2026 00:00+02:00;15 MINUTES;9,000;METERED",
                        "38ZEE-00625607-9;01.11.2026 00:15+02:00;15 MINUTES;0,100;METERED",
                    ]
                )
            )
        assert [str(p) for p in caught.value.problems] == [
            "data.csv: line 2, EIC: 38ZEE-00742330-T is not a metering point of ours",
            "data.csv: line 3, resolution: 15-minute data is not allowed for 38ZEE-1000009--Z, "
            "which is read every 60 minutes",
            # 25 A x 400 V x sqrt(3) x 0.25 h x 1.5
            "data.csv: line 4, kWh: 9.000 kWh in 15 minutes is more than the connection of "
            "38ZEE-00625607-9 can deliver (6.495 kWh)",
        ]
        assert IntervalDay.objects.count() == 0

    def test_an_interval_given_twice_and_one_in_the_future(self, quarter_point):
        with pytest.raises(RejectedFile) as caught:
            run(
                csv_file(
                    [
                        "38ZEE-00625607-9;01.11.2026 00:00+02:00;15 MINUTES;0,250;METERED",
                        "38ZEE-00625607-9;31.10.2026 22:00Z;15 MINUTES;0,250;METERED",
                    ]
                )
            )
        assert [str(p) for p in caught.value.problems] == [
            "data.csv: line 3, start: this interval is given twice"
        ]
        with pytest.raises(RejectedFile) as caught:
            run(csv_file(["38ZEE-00625607-9;27.11.2026 14:00+02:00;15 MINUTES;0,250;METERED"]))
        assert [str(p) for p in caught.value.problems] == [
            "data.csv: line 2, start: the interval has not ended yet"
        ]

    def test_corrections_older_than_twelve_months_are_refused(self, quarter_point):
        old_day = ["38ZEE-00625607-9;01.11.2025 00:00+02:00;15 MINUTES;0,250;METERED"]
        run(csv_file(old_day), as_of=dt.datetime(2026, 10, 1, tzinfo=UTC))
        with pytest.raises(RejectedFile) as caught:
            run(csv_file(["38ZEE-00625607-9;01.11.2025 00:00+02:00;15 MINUTES;0,300;METERED"]))
        assert [p.message for p in caught.value.problems] == [
            "38ZEE-00625607-9 2025-11-01 is more than 12 months back; corrections are accepted "
            "from 2025-11-27 on"
        ]
        assert IntervalDay.objects.count() == 1


class TestSeries:
    def test_hourly_point_at_quarter_hours_splits_exactly(self, hourly_point):
        run(
            (
                "h.json",
                b'{"meterEic":"38ZEE-1000009--Z","periods":[{"r":"PT1H","aI":['
                b'{"pS":"2026-10-31T22:00:00Z","outQty":{"rType":"M","kwh":1.003}}]}]}',
            )
        )
        series = queries.interval_series(
            metering_point=hourly_point,
            start=dt.date(2026, 11, 1),
            end=dt.date(2026, 11, 2),
            step="PT1H",
        )
        assert series.values_wh[:2].tolist() == [1003, 0]
        assert series.starts[0] == dt.datetime(2026, 11, 1, tzinfo=TALLINN).astimezone(UTC)
        assert series.total_wh == 1003
        assert np.asarray(series.quality)[:2].tolist() == [0, 2]
