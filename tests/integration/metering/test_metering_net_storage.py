"""Net quantities stored beside the gross IN and OUT, versioned, guarded and queryable
(issue 15 §1)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from factories import MeteringPointFactory
from vool.common.localtime import UTC
from vool.domain.integrity.rules import INTERVALS
from vool.domain.metering import intervals, queries
from vool.domain.metering.models import IntervalCorrection, IntervalDay
from vool.usecases import import_intervals
from vool.usecases.import_intervals import RejectedFile

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "data" / "metering"
AS_OF = dt.datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LATER = dt.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PROSUMER = "38ZEE-00625607-9"
CONSUMER = "38ZEE-1000009--Z"
NOV_1 = dt.date(2026, 11, 1)


def run(
    name: str, content: bytes, as_of: dt.datetime = AS_OF
) -> import_intervals.IntervalImportReport:
    return import_intervals.import_interval_data(files=[(name, content)], as_of=as_of)


@pytest.fixture
def points() -> dict[str, int]:
    return {
        PROSUMER: MeteringPointFactory(eic=PROSUMER).pk,
        CONSUMER: MeteringPointFactory(eic=CONSUMER).pk,
    }


def current(eic: str, direction: str = "OUT") -> IntervalDay:
    return IntervalDay.objects.get(
        metering_point__eic=eic, direction=direction, day=NOV_1, is_current=True
    )


def prosumer_point(periods: list[dict[str, object]]) -> bytes:
    return json.dumps([{"meteringPointEic": PROSUMER, "periods": periods}]).encode()


def quarter(minute: int, out_kwh: str, in_kwh: str, net_out: str, net_in: str) -> dict[str, object]:
    start = dt.datetime(2026, 11, 1, 0, minute, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    return {
        "pS": start.isoformat(),
        "outQty": {"rType": "M", "kwh": json.loads(out_kwh)},
        "inQty": {"rType": "M", "kwh": json.loads(in_kwh)},
        "netQtyOut": json.loads(net_out),
        "netQtyIn": json.loads(net_in),
    }


class TestStoredNet:
    def test_the_net_rides_on_the_consumption_row_and_reads_back(
        self, points: dict[str, int]
    ) -> None:
        report = run("v2_points.json", (DATA / "v2_points.json").read_bytes())
        assert report.net_intervals == 24
        out = current(PROSUMER)
        net = intervals.unpack_net(bytes(out.net_wh), 96)
        # hand-copied from v2_points.json: netQtyOut / netQtyIn of the first eight quarters
        assert net.out_wh[:8].tolist() == [250, 200, 0, 0, 0, 400, 100, 0]
        assert net.in_wh[:8].tolist() == [0, 0, 200, 500, 0, 0, 0, 0]
        assert net.given.sum() == 8
        assert bytes(current(PROSUMER, "IN").net_wh) == b""  # the IN row carries no net

    def test_a_prosumer_day_costs_twelve_bytes_per_interval_a_consumer_five(
        self, points: dict[str, int]
    ) -> None:
        run("v2_points.json", (DATA / "v2_points.json").read_bytes())
        prosumer = [current(PROSUMER), current(PROSUMER, "IN")]
        stored = sum(len(d.values_wh) + len(d.quality) + len(d.net_wh) for d in prosumer)
        assert stored / 96 == 12
        consumer = current(CONSUMER)
        # the consumer's file carries net values too (netOutQty = outQty): 2 more bytes
        assert (len(consumer.values_wh) + len(consumer.quality)) / 96 == 5

    def test_the_query_gives_net_consumption_and_surplus_per_day(
        self, points: dict[str, int]
    ) -> None:
        run("v2_points.json", (DATA / "v2_points.json").read_bytes())
        found = queries.net_by_day(
            metering_point_ids=[points[PROSUMER]],
            start=dt.date(2026, 11, 1),
            end=dt.date(2026, 12, 1),
            as_of=AS_OF,
        )
        [day] = found[points[PROSUMER]]
        assert (day.day, day.consumption_wh, day.surplus_wh) == (NOV_1, 950, 700)
        assert (day.intervals, day.given, day.complete, day.version) == (96, 8, False, 1)
        # net consumption minus net surplus is gross OUT minus gross IN: 1425 - 1175
        assert day.consumption_wh - day.surplus_wh == 1425 - 1175

    def test_a_point_without_net_data_is_absent(self, points: dict[str, int]) -> None:
        gross_only = json.dumps(
            [
                {
                    "meteringPointEic": CONSUMER,
                    "periods": [{"pS": "2026-11-01T00:00:00Z", "outQty": {"kwh": 1}}],
                }
            ]
        ).encode()
        run("gross.json", gross_only)
        assert bytes(current(CONSUMER).net_wh) == b""
        assert (
            queries.net_by_day(
                metering_point_ids=[points[CONSUMER]],
                start=NOV_1,
                end=dt.date(2026, 11, 2),
                as_of=AS_OF,
            )
            == {}
        )


class TestNetVersions:
    def test_a_changed_net_alone_is_a_new_version_and_the_old_one_stays_readable(
        self, points: dict[str, int]
    ) -> None:
        run("first.json", prosumer_point([quarter(0, "0.300", "0.100", "0.200", "0")]))
        # the hub corrects the netting of the same quarter (gross unchanged)
        report = run(
            "second.json", prosumer_point([quarter(0, "0.300", "0.100", "0.250", "0")]), LATER
        )
        assert (report.days_created, report.days_corrected, report.days_unchanged) == (0, 1, 1)
        correction = IntervalCorrection.objects.get()
        assert (correction.direction, correction.delta_wh) == ("OUT", 0)
        mp = [points[PROSUMER]]
        nov = {"start": NOV_1, "end": dt.date(2026, 11, 2)}
        [before] = queries.net_by_day(metering_point_ids=mp, as_of=AS_OF, **nov)[mp[0]]
        [after] = queries.net_by_day(metering_point_ids=mp, as_of=LATER, **nov)[mp[0]]
        assert (before.consumption_wh, before.version) == (200, 1)
        assert (after.consumption_wh, after.version) == (250, 2)

    def test_the_same_net_again_changes_nothing(self, points: dict[str, int]) -> None:
        content = prosumer_point([quarter(0, "0.300", "0.100", "0.200", "0")])
        run("first.json", content)
        again = run("again.json", content, LATER)
        assert (again.days_created, again.days_corrected, again.days_unchanged) == (0, 0, 2)

    def test_net_for_more_quarters_keeps_the_earlier_ones(self, points: dict[str, int]) -> None:
        run("first.json", prosumer_point([quarter(0, "0.300", "0.100", "0.200", "0")]))
        run("second.json", prosumer_point([quarter(15, "0", "0.400", "0", "0.400")]), LATER)
        net = intervals.unpack_net(bytes(current(PROSUMER).net_wh), 96)
        assert net.out_wh[:2].tolist() == [200, 0]
        assert net.in_wh[:2].tolist() == [0, 400]

    def test_a_stored_net_is_never_changed_in_place(self, points: dict[str, int]) -> None:
        run("first.json", prosumer_point([quarter(0, "0.300", "0.100", "0.200", "0")]))
        day = current(PROSUMER)
        with (
            pytest.raises(IntegrityError, match=re.escape(INTERVALS)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE metering_intervalday SET net_wh = %s WHERE id = %s", [b"", day.pk]
            )


class TestBadNet:
    def test_net_out_above_out_refuses_the_file(self, points: dict[str, int]) -> None:
        with pytest.raises(RejectedFile) as caught:
            run("bad.json", prosumer_point([quarter(0, "0.100", "0", "0.200", "0")]))
        [problem] = caught.value.problems
        assert "periods[0], netQtyOut: 0.200 kWh is more than the outQty of 0.100" in str(problem)
        assert IntervalDay.objects.count() == 0
