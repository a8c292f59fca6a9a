"""A shadow-month interval row of the legacy extract read into quarter-hour Wh (pure): its
values, its day's start, and the rows that are refused (``BAD_INTERVAL_ROW``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy.shadow_data import _batch, _day_values, _FirstLines, _KeptRow


def row(day: str, values: list[str]) -> fmt.Row:
    return fmt.Row(7, ("MP1", day, " ".join(values)))


def test_a_day_in_wh_from_its_local_midnight() -> None:
    values = [f"{q // 10},{q % 10:03d}" for q in range(96)]  # 0,000 0,001 ... 9,005
    days: dict[str, tuple[int, int]] = {}
    start_s, wh = _day_values(row("15.10.2026", values), days)
    # Tallinn is UTC+3 in summer time: the local day starts at 21:00 UTC the day before
    assert start_s == int(dt.datetime(2026, 10, 14, 21, 0, tzinfo=dt.UTC).timestamp())
    assert wh.tolist() == [(q // 10) * 1000 + q % 10 for q in range(96)]
    assert days == {"15.10.2026": (start_s, 96)}
    again, _ = _day_values(row("15.10.2026", ["1,000"] * 96), days)  # the day from `days`
    assert again == start_s


def test_the_day_summer_time_ends_has_100_quarter_hours() -> None:
    _, wh = _day_values(row("25.10.2026", ["0,250"] * 100), {})
    assert len(wh) == 100 and int(wh.sum()) == 25_000
    with pytest.raises(ValueError, match="has 100 quarter hours; the row has 96"):
        _day_values(row("25.10.2026", ["0,250"] * 96), {})


@pytest.mark.parametrize(
    "bad",
    [
        "1.000",  # a decimal point
        "1,00",  # two decimals
        "-1,000",  # negative
        "١,٠٠٠",  # digits of another script  # noqa: RUF001
        "1000000000,000",  # 10⁹ kWh: over int64 Wh's safe range of this reader
        "",
    ],
)
def test_a_value_not_in_the_old_form_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="expected kWh values"):
        _day_values(row("15.10.2026", ["1,000"] * 95 + [bad]), {})


def test_a_bad_day_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a date"):
        _day_values(row("2026-10-15", ["1,000"] * 96), {})


def test_rows_spread_into_one_batch_each_value_located_by_its_row() -> None:
    kept = [_KeptRow(0, 1000, 3, 2), _KeptRow(1, 5000, 2, 3), _KeptRow(0, 9000, 1, 9)]
    wh = np.array([1, 2, 3, 4, 5, 6], dtype=np.int64)
    batch = _batch(fmt.SPECS["intervals"], {"EIC-A": 0, "EIC-B": 1}, kept, wh)
    assert batch.series == [("EIC-A", "OUT", 15), ("EIC-B", "OUT", 15)]
    assert batch.series_index.tolist() == [0, 0, 0, 1, 1, 0]
    assert batch.start_s.tolist() == [1000, 1900, 2800, 5000, 5900, 9000]
    assert batch.wh is wh and batch.quality.tolist() == [0] * 6
    name = fmt.SPECS["intervals"].file_name
    lines = [batch.locate(at) for at in range(6)]
    assert lines == [f"{name} line {n}" for n in (2, 2, 2, 3, 3, 9)]


def test_the_first_line_of_a_point_day_however_far_apart_the_rows() -> None:
    first = _FirstLines()
    assert first.setdefault("MP1", "01.10.2026", 2) == 2
    assert first.setdefault("MP2", "01.10.2026", 3) == 3
    assert first.setdefault("MP1", "02.10.2026", 4) == 4
    assert first.setdefault("MP2", "31.10.2026", 5) == 5  # a later day: the array grows
    assert first.setdefault("MP1", "01.10.2026", 900_000) == 2  # the day again, much later
    assert first.setdefault("MP2", "31.10.2026", 900_001) == 5
    assert first.setdefault("MP1", "31.10.2026", 900_002) == 900_002  # a new day of MP1
    # the day's text is the key, as written: another text of the day is another day
    assert first.setdefault("MP1", " 01.10.2026", 900_003) == 900_003
