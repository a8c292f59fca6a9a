"""Parsing Elering price files (JSON and CSV, 60 and 15 minutes)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from vool.integrations.elering.prices import PriceFileError, parse_csv, parse_json, parse_text

UTC = dt.UTC
HEADER = '"Ajatempel (UTC)";"Kuupäev (Eesti aeg)";"NPS Läti";"NPS Leedu";"NPS Soome";"NPS Eesti"'


def doc(rows: list[tuple[int, object]]) -> str:
    return json.dumps(
        {"success": True, "data": {"ee": [{"timestamp": t, "price": p} for t, p in rows], "fi": []}}
    )


class TestJson:
    def test_hourly(self) -> None:
        # 2024-01-01 00:00 and 01:00 UTC
        points = parse_json(doc([(1704067200, 40.01), (1704070800, -1.5)]))
        assert [(p.start, p.minutes, p.price_eur_mwh) for p in points] == [
            (dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC), 60, Decimal("40.01")),
            (dt.datetime(2024, 1, 1, 1, 0, tzinfo=UTC), 60, Decimal("-1.5")),
        ]

    def test_quarter_hours(self) -> None:
        start = int(dt.datetime(2025, 10, 1, 21, 0, tzinfo=UTC).timestamp())
        points = parse_json(doc([(start + 900 * i, 10 + i) for i in range(4)]))
        assert [p.minutes for p in points] == [15, 15, 15, 15]

    def test_single_row_takes_the_market_resolution_of_its_date(self) -> None:
        before = int(dt.datetime(2025, 9, 30, 20, 0, tzinfo=UTC).timestamp())
        after = int(dt.datetime(2025, 9, 30, 21, 0, tzinfo=UTC).timestamp())
        assert parse_json(doc([(before, 1)]))[0].minutes == 60
        assert parse_json(doc([(after, 1)]))[0].minutes == 15

    def test_bad_rows_are_all_reported_and_nothing_is_returned(self) -> None:
        with pytest.raises(PriceFileError) as info:
            parse_json(
                doc([(1704067200, "x"), (1704067201, 1), (1704070800, None), (1704074400, 1.2345)])
            )
        assert info.value.errors == [
            "data.ee[0].price: 'x' is not a number",
            "data.ee[1].timestamp: 1704067201 is not on a quarter hour",
            "data.ee[2].price: missing price",
            "data.ee[3].price: 1.2345 has more than 3 decimals (EUR/MWh)",
        ]

    def test_not_successful(self) -> None:
        with pytest.raises(PriceFileError, match='"success": true'):
            parse_json('{"success": false}')

    def test_duplicates_are_rejected(self) -> None:
        with pytest.raises(
            PriceFileError,
            match=r"data.ee\[1\]: interval 2024-01-01T00:00Z "
            r"repeats data.ee\[0\]",
        ):
            parse_json(doc([(1704067200, 1), (1704067200, 2)]))


class TestCsv:
    def test_elering_csv_with_decimal_comma(self) -> None:
        text = "\n".join(
            [
                HEADER,
                '"1704060000";"01.01.2024 00:00";"40,01";"40,01";"40,01";"40,01"',
                '"1704063600";"01.01.2024 01:00";"1,00";"1,00";"1,00";"-0,5"',
            ]
        )
        points = parse_text(text)
        assert [(p.start, p.minutes, p.price_eur_mwh) for p in points] == [
            (
                dt.datetime(2024, 1, 1, 22, 0, tzinfo=UTC) - dt.timedelta(days=1),
                60,
                Decimal("40.01"),
            ),
            (dt.datetime(2023, 12, 31, 23, 0, tzinfo=UTC), 60, Decimal("-0.5")),
        ]

    def test_line_and_field_of_each_problem(self) -> None:
        text = "\n".join(
            [
                HEADER,
                '"1704060000";"01.01.2024 00:00";"1";"1";"1";"4O,01"',
                '"1704063600";"01.01.2024 02:00";"1";"1";"1";"1"',
                '"1704067200";"1";"1"',
            ]
        )
        with pytest.raises(PriceFileError) as info:
            parse_csv(text)
        assert info.value.errors == [
            "line 2, field 'NPS Eesti': '4O,01' is not a number",
            "line 3, field 'Kuupäev (Eesti aeg)': '01.01.2024 02:00' is not the local time of "
            "the timestamp (01.01.2024 01:00)",
            "line 4: 3 fields, the header has 6",
        ]

    def test_missing_column(self) -> None:
        with pytest.raises(PriceFileError, match="line 1: missing column"):
            parse_csv('"Ajatempel (UTC)";"NPS Soome"\n"1704060000";"1"')
