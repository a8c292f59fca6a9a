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


def _v2_page(eics: list[str], day: dt.date) -> bytes:
    """A compact V2 page (the fast reader's shape): a day of quarter hours per point."""
    from vool.common.localtime import interval_starts, local_midnight

    starts = interval_starts(
        local_midnight(day), local_midnight(day + dt.timedelta(days=1)), minutes=15
    )
    points = []
    for n, eic in enumerate(eics):
        periods = []
        for q, start in enumerate(starts):
            out_wh, in_wh = (7 * n + q) % 900 + 100, max(0, 600 - abs(q - 48) * 25)
            net = out_wh - in_wh
            periods.append(
                f'{{"pS":"{start.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()}",'
                f'"inQty":{{"rType":"M","kwh":{in_wh / 1000:.3f}}},'
                f'"outQty":{{"rType":"{"E" if q % 5 == 0 else "M"}","kwh":{out_wh / 1000:.3f}}},'
                f'"netQtyIn":{max(-net, 0) / 1000:.3f},"netQtyOut":{max(net, 0) / 1000:.3f}}}'
            )
        points.append(f'{{"meteringPointEic":"{eic}","periods":[{",".join(periods)}]}}')
    return ("[" + ",".join(points) + "]").encode()


def _stored() -> list[tuple[str, str, dt.date, bytes, bytes, bytes | None]]:
    return [
        (
            d.metering_point.eic,
            d.direction,
            d.day,
            bytes(d.values_wh),
            bytes(d.quality),
            bytes(d.net_wh) if d.net_wh is not None else None,
        )
        for d in IntervalDay.objects.filter(is_current=True)
        .select_related("metering_point")
        .order_by("metering_point__eic", "direction", "day")
    ]


class TestOverlappedPages:
    EICS = [f"38ZEE-OVERLAP{i:03d}" for i in range(6)]

    def _pages(self) -> list[tuple[str, bytes]]:
        days = [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]
        return [
            (f"page-{k}.json", _v2_page(self.EICS[2 * (k % 3) : 2 * (k % 3) + 2], days[k // 3]))
            for k in range(6)
        ]

    def test_overlapped_pages_store_what_one_page_at_a_time_stores(self) -> None:
        from vool.domain.integrity import operations as integrity

        for eic in self.EICS:
            MeteringPointFactory(eic=eic)
        pages = self._pages()
        for name, content in pages:
            import_intervals.import_interval_data(files=[(name, content)], as_of=AS_OF)
        one_at_a_time = _stored()
        assert len(one_at_a_time) == 6 * 2 * 2  # points x days x (IN, OUT)
        with integrity.maintenance(reason="test: import the same pages again"):
            IntervalDay.objects.all().delete()
        assert _stored() == []

        done = list(import_intervals.import_interval_pages(pages=pages, as_of=AS_OF))

        assert [p.name for p in done] == [name for name, _ in pages]
        assert all(p.rejected is None and p.report is not None for p in done)
        assert [p.report.days_created for p in done if p.report] == [4] * 6
        # two points, 96 quarter hours, net IN and net OUT
        assert [p.report.net_intervals for p in done if p.report] == [2 * 96 * 2] * 6
        assert _stored() == one_at_a_time
        # a re-run (an import killed and started again) stores nothing twice
        again = list(import_intervals.import_interval_pages(pages=pages, as_of=AS_OF))
        assert [(p.report.days_created, p.report.days_unchanged) for p in again if p.report] == [
            (0, 4)
        ] * 6
        assert _stored() == one_at_a_time

    def test_a_refused_page_names_its_file_and_the_others_are_stored(self) -> None:
        for eic in self.EICS[:4]:  # the third page's points are not ours
            MeteringPointFactory(eic=eic)
        pages = self._pages()[:3]
        bad = pages[1][1].replace(b'"kwh":0.500', b'"kwh":"x"', 1)
        assert bad != pages[1][1]
        pages[1] = (pages[1][0], bad)

        done = list(import_intervals.import_interval_pages(pages=pages, as_of=AS_OF))

        assert [p.rejected is None for p in done] == [True, False, False]
        bad_problems = done[1].rejected.problems if done[1].rejected else []
        assert bad_problems and all(p.file == "page-1.json" for p in bad_problems)
        assert any("38ZEE-OVERLAP002" in p.location for p in bad_problems)
        unknown = done[2].rejected.problems if done[2].rejected else []
        assert {p.field for p in unknown} == {"EIC"}
        assert {p.message.split()[0] for p in unknown} == {"38ZEE-OVERLAP004", "38ZEE-OVERLAP005"}
        assert {eic for eic, *_ in _stored()} == {"38ZEE-OVERLAP000", "38ZEE-OVERLAP001"}
