import datetime as dt

import numpy as np
import pytest

from vool.common.localtime import UTC, intervals_in_day, local_midnight
from vool.domain.metering import intervals


class TestPacking:
    def test_round_trip_is_little_endian_int32(self) -> None:
        blob = intervals.pack_values(np.array([1, 256, -1]))
        assert blob == b"\x01\x00\x00\x00\x00\x01\x00\x00\xff\xff\xff\xff"
        values = intervals.unpack_values(blob)
        assert values.dtype == np.dtype("<i4")
        assert values.tolist() == [1, 256, -1]
        assert not values.flags.writeable  # a view on the bytes, no copy

    def test_quality_is_one_byte_per_interval(self) -> None:
        assert intervals.pack_quality([0, 1, 2]) == b"\x00\x01\x02"
        assert intervals.unpack_quality(b"\x00\x02").tolist() == [0, 2]

    def test_out_of_range_and_fractions_are_refused(self) -> None:
        with pytest.raises(ValueError, match="int32"):
            intervals.pack_values(np.array([2**31]))
        with pytest.raises(ValueError, match="whole Wh"):
            intervals.pack_values(np.array([1.5]))
        with pytest.raises(ValueError, match="0 \\(measured\\)"):
            intervals.pack_quality([3])

    def test_hourly_sums_and_worst_quality(self) -> None:
        values = np.arange(8, dtype=np.int32)
        assert intervals.resample_sum(values, 4).tolist() == [6, 22]
        flags = np.array([0, 0, 1, 0, 0, 2, 1, 0], dtype=np.uint8)
        assert intervals.combine_quality(flags, 4).tolist() == [1, 2]


def _epoch(value: dt.datetime) -> int:
    return int(value.timestamp())


class TestGroupIntoDays:
    def test_dst_days_have_92_and_100_quarters(self) -> None:
        assert intervals_in_day(dt.date(2026, 3, 29), minutes=15) == 92
        assert intervals_in_day(dt.date(2026, 10, 25), minutes=15) == 100

    def test_a_spring_dst_day_is_one_group_of_92(self) -> None:
        start = _epoch(local_midnight(dt.date(2026, 3, 29)))
        starts = start + 900 * np.arange(92, dtype=np.int64)
        grouping = intervals.group_into_days(
            series=np.zeros(92, dtype=np.int32), start_s=starts, step_s=np.full(92, 900)
        )
        assert len(grouping.groups) == 1
        group = grouping.groups[0]
        assert (group.day, group.count) == (dt.date(2026, 3, 29), 92)
        assert group.positions.tolist() == list(range(92))

    def test_hours_split_at_local_midnight_and_duplicates_found(self) -> None:
        base = dt.datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # 23:00 EEST on 24 Oct
        starts = np.array([_epoch(base + dt.timedelta(hours=h)) for h in (0, 1, 2, 1)])
        grouping = intervals.group_into_days(
            series=np.zeros(4, dtype=np.int32), start_s=starts, step_s=np.full(4, 3600)
        )
        assert [(g.day, g.count, g.positions.tolist()) for g in grouping.groups] == [
            (dt.date(2026, 10, 24), 24, [23]),
            (dt.date(2026, 10, 25), 25, [0, 0, 1]),
        ]
        assert grouping.duplicates.tolist() == [3]

    def test_build_day_over_a_base_version(self) -> None:
        values, flags = intervals.build_day(
            count=4,
            positions=np.array([1, 3]),
            wh=np.array([50, 70]),
            quality=np.array([0, 1]),
        )
        assert values.tolist() == [0, 50, 0, 70]
        assert flags.tolist() == [2, 0, 2, 1]
        merged, merged_flags = intervals.build_day(
            count=4,
            positions=np.array([0]),
            wh=np.array([10]),
            quality=np.array([0]),
            base_values=values,
            base_quality=flags,
        )
        assert merged.tolist() == [10, 50, 0, 70]
        assert merged_flags.tolist() == [0, 0, 2, 1]


class TestFillGaps:
    def test_straight_lines_between_known_intervals_and_edges_held(self) -> None:
        filled = intervals.fill_gaps(np.array([100, 0, 0, 400, 0]), np.array([0, 2, 2, 0, 2]))
        assert filled is not None
        values, flags = filled
        assert values.tolist() == [100, 200, 300, 400, 400]
        assert flags.tolist() == [0, 1, 1, 0, 1]

    def test_half_wh_rounds_up_and_nothing_known_gives_none(self) -> None:
        filled = intervals.fill_gaps(np.array([100, 0, 101]), np.array([0, 2, 1]))
        assert filled is not None
        assert filled[0].tolist() == [100, 101, 101]
        assert intervals.fill_gaps(np.zeros(3), np.full(3, 2)) is None
