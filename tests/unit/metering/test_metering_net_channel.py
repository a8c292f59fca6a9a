"""The net channel of a prosumer day: one signed value per interval, int16 or int32."""

from __future__ import annotations

import numpy as np
import pytest

from vool.domain.metering import intervals


class TestPackNet:
    def test_small_values_take_two_bytes_per_interval_and_read_back_as_out_and_in(self) -> None:
        net = np.array([250, 200, -200, -500, 0, 400], dtype=np.int64)
        blob = intervals.pack_net(net, np.ones(6, dtype=bool))
        assert len(blob) == 12
        day = intervals.unpack_net(blob, 6)
        assert day.out_wh.tolist() == [250, 200, 0, 0, 0, 400]
        assert day.in_wh.tolist() == [0, 0, 200, 500, 0, 0]
        assert day.given.all()

    def test_a_value_beyond_int16_widens_the_day_to_four_bytes(self) -> None:
        net = np.array([40_000, -1, -40_000, 0], dtype=np.int64)
        blob = intervals.pack_net(net, np.ones(4, dtype=bool))
        assert len(blob) == 16
        day = intervals.unpack_net(blob, 4)
        assert day.out_wh.tolist() == [40_000, 0, 0, 0]
        assert day.in_wh.tolist() == [0, 1, 40_000, 0]

    def test_intervals_without_a_net_value_are_told_apart_from_zero(self) -> None:
        given = np.array([True, False, True])
        day = intervals.unpack_net(intervals.pack_net(np.array([0, 0, -7]), given), 3)
        assert day.given.tolist() == [True, False, True]
        assert day.in_wh.tolist() == [0, 0, 7]

    def test_a_day_without_net_values_stores_nothing(self) -> None:
        assert intervals.pack_net(np.zeros(96, dtype=np.int64), np.zeros(96, dtype=bool)) == b""
        day = intervals.unpack_net(b"", 96)
        assert not day.given.any() and day.out_wh.sum() == 0

    def test_a_blob_that_does_not_fit_the_day_is_refused(self) -> None:
        with pytest.raises(ValueError, match="does not fit a day of 92"):
            intervals.unpack_net(b"\0" * 96 * 2, 92)


class TestBuildNet:
    def test_new_values_go_over_the_earlier_version_and_keep_the_rest(self) -> None:
        base = intervals.build_net(
            count=4, positions=np.array([0, 1, 2, 3]), net_wh=np.array([1, 2, 3, 4])
        )
        merged = intervals.build_net(
            count=4, positions=np.array([2]), net_wh=np.array([-9]), base=base
        )
        day = intervals.unpack_net(merged, 4)
        assert day.out_wh.tolist() == [1, 2, 0, 4]
        assert day.in_wh.tolist() == [0, 0, 9, 0]


class TestCombineNet:
    def test_net_out_and_net_in_rows_become_one_signed_value(self) -> None:
        combined = intervals.combine_net(
            series=np.array([0, 0, 0, 0, 1]),
            start_s=np.array([900, 0, 0, 900, 0], dtype=np.int64),
            wh=np.array([0, 250, 0, 300, 5]),
            is_out=np.array([True, True, False, False, True]),
        )
        assert combined.series.tolist() == [0, 0, 1]
        assert combined.start_s.tolist() == [0, 900, 0]
        assert combined.net_wh.tolist() == [250, -300, 5]
        assert combined.duplicates.size == 0

    def test_the_same_direction_of_an_interval_twice_is_a_duplicate(self) -> None:
        combined = intervals.combine_net(
            series=np.array([0, 0]),
            start_s=np.array([0, 0], dtype=np.int64),
            wh=np.array([1, 2]),
            is_out=np.array([True, True]),
        )
        assert combined.duplicates.tolist() == [1]
