import datetime as dt
from pathlib import Path

import pytest

from vool.integrations.datahub import metering_data
from vool.integrations.datahub.metering_data import FieldError, InvalidMeteringFile

DATA = Path(__file__).resolve().parents[2] / "data" / "metering"


def epoch(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp())


class TestJson:
    def test_the_hubs_example_message(self) -> None:
        data = metering_data.parse((DATA / "hub_example_pt1h.json").read_bytes(), name="x.json")
        assert data.series == [("38ZEE-1000009--Z", "OUT", 60), ("38ZEE-1000009--Z", "IN", 60)]
        assert data.series_index.tolist() == [0, 1]
        assert data.start_s.tolist() == [epoch(2023, 9, 4, 12, 0)] * 2
        assert data.wh.tolist() == [5000, 0]
        assert data.estimated.tolist() == [0, 1]  # outQty read (M), inQty estimated (E)

    def test_quarter_hours_and_three_decimals(self) -> None:
        message = (
            '[{"meterEic": "38ZEE-00625607-9", "periods": [{"r": "PT15M", "aI": ['
            '{"pS": "2026-10-31T22:00:00Z", "outQty": {"rType": "M", "kwh": 0.123}},'
            '{"pS": "2026-10-31T22:15:00.000Z", "outQty": {"rType": "M", "kwh": 1.001}}]}]}]'
        )
        data = metering_data.parse_json(message)
        assert data.wh.tolist() == [123, 1001]
        assert data.start_s.tolist() == [epoch(2026, 10, 31, 22, 0), epoch(2026, 10, 31, 22, 15)]

    def test_bad_values_are_named_by_path_and_field(self) -> None:
        message = (
            '{"meterEic": "38ZEE-00625607-9", "periods": [{"r": "PT15M", "aI": ['
            '{"pS": "2026-10-31T22:05:00Z", "outQty": {"kwh": 1}},'
            '{"pS": "2026-10-31T22:15:00Z", "outQty": {"kwh": 0.0005}},'
            '{"pS": "2026-10-31T22:30:00Z", "outQty": {"kwh": -1}},'
            '{"pS": "2026-10-31 22:45", "outQty": {"kwh": 1}},'
            '{"pS": "2026-10-31T23:00:00Z", "outQty": {"kwh": 1, "rType": "X"}}]},'
            '{"r": "P1D", "aI": []}]}'
        )
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_json(message)
        path = "message 1 (38ZEE-00625607-9) periods[0]"
        assert caught.value.errors == [
            FieldError(
                f"{path}.aI[0]",
                "pS",
                "2026-10-31T22:05:00Z does not start on a 15-minute boundary "
                "(hh:00, hh:15, hh:30 or hh:45)",
            ),
            FieldError(f"{path}.aI[1]", "outQty.kwh", "0.0005 has more than 3 decimals"),
            FieldError(f"{path}.aI[2]", "outQty.kwh", "-1 is negative"),
            FieldError(f"{path}.aI[3]", "pS", "has no time zone"),
            FieldError(f"{path}.aI[4]", "outQty.rType", "must be M or E"),
            FieldError(
                "message 1 (38ZEE-00625607-9) periods[1]", "r", "'P1D' is not PT15M or PT1H"
            ),
        ]

    def test_a_file_that_does_not_parse(self) -> None:
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse((DATA / "broken.json").read_bytes(), name="broken.json")
        [error] = caught.value.errors
        assert (error.location, error.field) == ("line 2, column 1", "JSON")
        assert error.message == "does not parse (Expecting value)"

    def test_locate_points_into_the_message(self) -> None:
        data = metering_data.parse((DATA / "hub_example_pt1h.json").read_bytes(), name="x.json")
        assert data.locate(1) == "message 1 (38ZEE-1000009--Z) periods[0].aI[0]"


class TestCsv:
    def test_dst_day_with_stated_offsets(self) -> None:
        data = metering_data.parse((DATA / "dst_day_2026-10-25.csv").read_bytes(), name="d.csv")
        assert data.series == [("38ZEE-00625607-9", "OUT", 15)]
        assert len(data) == 100
        # 03:00+03:00 and 03:00+02:00 are an hour apart, both kept
        assert data.start_s[12] == epoch(2026, 10, 25, 0, 0)
        assert data.start_s[16] == epoch(2026, 10, 25, 1, 0)
        assert data.start_s[-1] == epoch(2026, 10, 25, 21, 45)
        assert data.wh[:5].tolist() == [100, 200, 300, 400, 100]
        assert int(data.wh.sum()) == 25000
        assert data.locate(0) == "line 2"

    def test_utc_column_and_iso_times(self) -> None:
        text = (
            "Meter EIC;Period Start (UTC);Resolution;Quantity KWH OUT;Quantity KWH IN\n"
            "38ZEE-00625607-9;31.10.2026 22:00;HOURLY;1,5;0,25\n"
            "38ZEE-00625607-9;2026-10-31T23:00:00Z;HOURLY;2;\n"
        )
        data = metering_data.parse_csv(text)
        rows = sorted(
            (data.series[k], int(t), int(wh), int(line))
            for k, t, wh, line in zip(
                data.series_index, data.start_s, data.wh, data.row_ref, strict=True
            )
        )
        assert rows == [
            (("38ZEE-00625607-9", "IN", 60), epoch(2026, 10, 31, 22), 250, 2),
            (("38ZEE-00625607-9", "OUT", 60), epoch(2026, 10, 31, 22), 1500, 2),
            (("38ZEE-00625607-9", "OUT", 60), epoch(2026, 10, 31, 23), 2000, 3),
        ]

    def test_every_bad_line_is_named_with_its_field(self) -> None:
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse((DATA / "broken.csv").read_bytes(), name="broken.csv")
        assert [str(e) for e in caught.value.errors] == [
            "line 3, Meter EIC: is missing",
            "line 4, Period Start: '2026-11-01 00:30' has no time zone",
            "line 5, Period Start: 01.11.2026 00:40+02:00 does not start on a 15-minute "
            "boundary (hh:00, hh:15, hh:30 or hh:45)",
            "line 6, Quantity KWH OUT: '-0,250' is negative",
            "line 7, Quantity KWH OUT: '0,2505' is not a quantity in kWh with at most 3 "
            "decimals, e.g. 1,234",
            "line 8, Resolution: 'DAILY' is not 15 MINUTES or HOURLY",
            "line 9, Reading Type OUT: must be METERED or ESTIMATED",
            "line 10, Period Start: '31.11.2026 01:45+02:00' is not a date and time "
            "(day is out of range for month)",
        ]

    def test_missing_mandatory_columns(self) -> None:
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_csv("Meter EIC;Quantity KWH OUT\n38ZEE-00625607-9;1\n")
        assert [str(e) for e in caught.value.errors] == [
            "line 1, Period Start: mandatory column is missing",
            "line 1, Resolution: mandatory column is missing",
        ]

    def test_the_older_templates_local_times_are_tallinn_time(self) -> None:
        # issue 15: "dd.mm.yyyy hh:mm" as the hub writes it, no zone: Tallinn's clocks
        data = metering_data.parse_csv(
            "Meter EIC;Period Start;Resolution;Quantity KWH OUT\n"
            "38ZEE-00625607-9;25.10.2026 02:45;15 MINUTES;1\n"
            "38ZEE-00625607-9;01.11.2024 00:00:00;HOURLY;2\n"
        )
        assert data.start_s.tolist() == [epoch(2026, 10, 24, 23, 45), epoch(2024, 10, 31, 22, 0)]


class TestCsvFastPath:
    def test_column_wise_and_line_by_line_parsing_agree(self) -> None:
        plain = (DATA / "dst_day_2026-10-25.csv").read_bytes()
        quoted = plain.replace(b"Meter EIC;", b'"Meter EIC";', 1)  # quotes: line by line
        fast = metering_data.parse_csv(plain)
        slow = metering_data.parse_csv(quoted)

        def rows(data: metering_data.MeteringData) -> list[tuple[object, ...]]:
            return sorted(
                (data.series[k], int(t), int(w), int(q), int(r))
                for k, t, w, q, r in zip(
                    data.series_index,
                    data.start_s,
                    data.wh,
                    data.estimated,
                    data.row_ref,
                    strict=True,
                )
            )

        assert len(fast) == len(slow) == 100
        assert rows(fast) == rows(slow)


def _rows(data: metering_data.MeteringData) -> list[tuple[object, ...]]:
    return sorted(
        (data.series[k], int(t), int(w), int(q), int(r))
        for k, t, w, q, r in zip(
            data.series_index, data.start_s, data.wh, data.estimated, data.row_ref, strict=True
        )
    )


MIXED = (
    "Meter EIC;Period Start;Resolution;Quantity KWH IN;Quantity KWH OUT;"
    "Reading Type IN;Reading Type OUT\n"
    "38ZEE-00625607-9;29.03.2026 02:45+02:00;15 MINUTES;0,5;12,5;METERED;ESTIMATED\n"
    "38ZEE-00625607-9;29.03.2026 04:00+03:00;15 MINUTES;;1234;;METERED\n"
    "38ZEE-00625607-9;29.03.2026 04:15+03:00;15 MINUTES;0;7.25;ESTIMATED;METERED\n"
    "38ZEE-1000009--Z;29.02.2028 23:00+02:00;HOURLY;;0,001;;METERED\n"
)


class TestCsvVectorised:
    @pytest.mark.parametrize("name", ["dst_day_2026-10-25.csv"])
    def test_the_numpy_path_takes_a_plain_file_and_agrees(self, name: str) -> None:
        plain = (DATA / name).read_bytes()
        header = plain.split(b"\n", 1)[0].decode().split(";")
        vectorised = metering_data._parse_csv_numpy(
            plain, len(header), 0, 1, 2, [("out", 4, 6)], utc_column=False
        )
        assert vectorised is not None
        slow = metering_data.parse_csv(plain.replace(b"Meter EIC;", b'"Meter EIC";', 1))
        assert _rows(vectorised) == _rows(slow)

    def test_mixed_quantities_dst_leap_day_and_both_directions(self) -> None:
        raw = MIXED.encode()
        vectorised = metering_data._parse_csv_numpy(
            raw, 7, 0, 1, 2, [("out", 4, 6), ("in", 3, 5)], utc_column=False
        )
        assert vectorised is not None
        slow = metering_data.parse_csv(raw.replace(b"Meter EIC;", b'"Meter EIC";', 1))
        assert _rows(vectorised) == _rows(slow)
        assert _rows(vectorised) == [
            (("38ZEE-00625607-9", "IN", 15), epoch(2026, 3, 29, 0, 45), 500, 0, 2),
            (("38ZEE-00625607-9", "IN", 15), epoch(2026, 3, 29, 1, 15), 0, 1, 4),
            (("38ZEE-00625607-9", "OUT", 15), epoch(2026, 3, 29, 0, 45), 12500, 1, 2),
            (("38ZEE-00625607-9", "OUT", 15), epoch(2026, 3, 29, 1, 0), 1234000, 0, 3),
            (("38ZEE-00625607-9", "OUT", 15), epoch(2026, 3, 29, 1, 15), 7250, 0, 4),
            (("38ZEE-1000009--Z", "OUT", 60), epoch(2028, 2, 29, 21, 0), 1, 0, 5),
        ]

    def test_anything_unusual_goes_to_the_line_parser(self) -> None:
        for bad in (
            MIXED.replace("12,5", "12,5000"),  # too many decimals
            MIXED.replace("29.02.2028", "30.02.2028"),  # no such day
            MIXED.replace("+03:00", "+0300"),  # another zone notation
            MIXED.replace("1234", "-1234"),
        ):
            assert (
                metering_data._parse_csv_numpy(
                    bad.encode(), 7, 0, 1, 2, [("out", 4, 6), ("in", 3, 5)], utc_column=False
                )
                is None
            )


class TestOffsetsMustBeTallinns:
    def test_summer_offset_after_the_clocks_went_back_is_refused(self) -> None:
        text = (
            "Meter EIC;Period Start;Resolution;Quantity KWH OUT\n"
            "38ZEE-00625607-9;25.10.2026 05:00+03:00;15 MINUTES;1\n"
        )
        assert (
            metering_data._parse_csv_numpy(
                text.encode(), 4, 0, 1, 2, [("out", 3, None)], utc_column=False
            )
            is None
        )
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_csv(text)
        assert [str(e) for e in caught.value.errors] == [
            "line 2, Period Start: '25.10.2026 05:00+03:00' is not a Tallinn time: Tallinn is "
            "at UTC+02:00 then, so write 25.10.2026 04:00+02:00 or the UTC time"
        ]

    def test_utc_offset_is_always_fine(self) -> None:
        text = (
            "Meter EIC;Period Start;Resolution;Quantity KWH OUT\n"
            "38ZEE-00625607-9;25.10.2026 02:00+00:00;15 MINUTES;1\n"
        )
        data = metering_data.parse_csv(text)
        assert data.start_s.tolist() == [epoch(2026, 10, 25, 2, 0)]
