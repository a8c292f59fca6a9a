import datetime as dt

import pytest

from vool.common.localtime import TALLINN, UTC, Month
from vool.domain.metering.window import DEFAULT_WINDOW, ReadingWindow


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TALLINN)


class TestReadingWindow:
    def test_november_window_bounds_in_utc(self) -> None:
        opens, closes = DEFAULT_WINDOW.bounds(Month(2026, 11))
        assert opens == dt.datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
        assert closes == dt.datetime(2026, 12, 3, 22, 0, tzinfo=UTC)

    def test_2359_on_the_third_is_month_end_reading(self) -> None:
        assert DEFAULT_WINDOW.month_end_of(local(2026, 12, 3, 23, 59)) == Month(2026, 11)

    def test_0000_on_the_fourth_is_interim(self) -> None:
        assert DEFAULT_WINDOW.month_end_of(local(2026, 12, 4, 0, 0)) is None

    def test_window_opens_at_midnight_of_the_last_day(self) -> None:
        assert DEFAULT_WINDOW.month_end_of(local(2026, 11, 29, 23, 59)) is None
        assert DEFAULT_WINDOW.month_end_of(local(2026, 11, 30, 0, 0)) == Month(2026, 11)

    def test_mid_month_is_interim(self) -> None:
        assert DEFAULT_WINDOW.month_end_of(local(2026, 11, 15, 12, 0)) is None

    def test_year_end(self) -> None:
        assert DEFAULT_WINDOW.month_end_of(local(2027, 1, 2, 8, 0)) == Month(2026, 12)

    def test_window_across_spring_dst_change(self) -> None:
        # 31 March 2024 is the last day of March and the day clocks go forward (03:00 -> 04:00)
        opens, closes = DEFAULT_WINDOW.bounds(Month(2024, 3))
        assert opens == dt.datetime(2024, 3, 30, 22, 0, tzinfo=UTC)  # 00:00 EET (+2)
        assert closes == dt.datetime(2024, 4, 3, 21, 0, tzinfo=UTC)  # 24:00 EEST (+3)
        assert closes - opens == dt.timedelta(hours=95)
        assert DEFAULT_WINDOW.month_end_of(dt.datetime(2024, 4, 3, 20, 59, tzinfo=UTC)) == Month(
            2024, 3
        )
        assert DEFAULT_WINDOW.month_end_of(dt.datetime(2024, 4, 3, 21, 0, tzinfo=UTC)) is None

    def test_reading_on_the_autumn_dst_day_itself(self) -> None:
        # 31 October 2027 is the last day of October and clocks go back (04:00 -> 03:00)
        opens, _ = DEFAULT_WINDOW.bounds(Month(2027, 10))
        assert opens == dt.datetime(2027, 10, 30, 21, 0, tzinfo=UTC)  # 00:00 EEST (+3)
        # 03:30 local happens twice that day; both are in the window
        first = dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
        second = dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
        assert first.astimezone(TALLINN).strftime("%H:%M") == "03:30"
        assert second.astimezone(TALLINN).strftime("%H:%M") == "03:30"
        assert DEFAULT_WINDOW.month_end_of(first) == Month(2027, 10)
        assert DEFAULT_WINDOW.month_end_of(second) == Month(2027, 10)
        assert DEFAULT_WINDOW.month_end_of(dt.datetime(2027, 10, 30, 20, 59, tzinfo=UTC)) is None

    def test_configurable_window(self) -> None:
        window = ReadingWindow(opens_days_before_month_end=2, closes_after_day=5)
        assert window.month_end_of(local(2026, 11, 29, 0, 0)) == Month(2026, 11)
        assert window.month_end_of(local(2026, 12, 5, 23, 59)) == Month(2026, 11)
        assert window.month_end_of(local(2026, 12, 6, 0, 0)) is None

    def test_is_closed(self) -> None:
        assert not DEFAULT_WINDOW.is_closed(Month(2026, 11), as_of=local(2026, 12, 3, 23, 59))
        assert DEFAULT_WINDOW.is_closed(Month(2026, 11), as_of=local(2026, 12, 4, 0, 0))

    def test_empty_window_is_refused(self) -> None:
        with pytest.raises(ValueError, match="at least one day"):
            ReadingWindow(opens_days_before_month_end=0, closes_after_day=0)
