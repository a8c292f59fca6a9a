"""Interval versions carry their data time: known since the import's as-of, superseded when the
next version became known; nothing in storing them reads the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from factories import MeteringPointFactory
from vool.common.localtime import UTC
from vool.domain.metering import interval_operations
from vool.domain.metering.models import IntervalCorrection, IntervalDay
from vool.usecases import import_intervals
from vool.usecases.import_intervals import RejectedFile

pytestmark = pytest.mark.django_db

FIRST = dt.datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
SECOND = dt.datetime(2026, 11, 3, 0, 30, tzinfo=UTC)
RECORDED = dt.datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
HEADER = "Meter EIC;Period Start;Resolution;Quantity KWH OUT;Reading Type OUT\n"


def import_quarter(kwh: str, *, as_of: dt.datetime, recorded_at: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    line = f"38ZEE-00625607-9;25.10.2026 00:00+03:00;15 MINUTES;{kwh};METERED\n"
    return import_intervals.import_interval_data(
        files=[("data.csv", (HEADER + line).encode())], as_of=as_of, recorded_at=recorded_at
    )


@pytest.fixture
def point():  # type: ignore[no-untyped-def]
    return MeteringPointFactory(eic="38ZEE-00625607-9")


class TestVersionTimes:
    def test_a_version_is_known_since_the_import_as_of_and_recorded_when_told(self, point) -> None:  # type: ignore[no-untyped-def]
        import_quarter("0,100", as_of=FIRST, recorded_at=RECORDED)
        day = IntervalDay.objects.get()
        assert (day.known_at, day.superseded_at, day.created_at) == (FIRST, None, RECORDED)

    def test_a_correction_supersedes_the_old_version_at_its_as_of(self, point) -> None:  # type: ignore[no-untyped-def]
        import_quarter("0,100", as_of=FIRST)
        import_quarter("0,350", as_of=SECOND)
        old, new = IntervalDay.objects.order_by("version")
        assert (old.known_at, old.superseded_at, old.is_current) == (FIRST, SECOND, False)
        assert (new.known_at, new.superseded_at, new.is_current) == (SECOND, None, True)
        assert IntervalCorrection.objects.get().created_at == SECOND

    def test_an_import_as_of_before_the_current_version_is_refused(self, point) -> None:  # type: ignore[no-untyped-def]
        import_quarter("0,100", as_of=SECOND)
        with pytest.raises(RejectedFile) as caught:
            import_quarter("0,350", as_of=FIRST)
        assert "known since 2026-11-03T00:30:00+00:00" in str(caught.value.problems[0])
        assert IntervalDay.objects.count() == 1

    def test_filling_gaps_is_a_version_known_since_its_as_of(self, point) -> None:  # type: ignore[no-untyped-def]
        import_quarter("0,100", as_of=FIRST)
        new = interval_operations.fill_interval_gaps(
            metering_point=point, day=dt.date(2026, 10, 25), as_of=SECOND, recorded_at=RECORDED
        )
        assert new is not None
        assert (new.known_at, new.created_at, new.version) == (SECOND, RECORDED, 2)
        assert IntervalDay.objects.get(version=1).superseded_at == SECOND
