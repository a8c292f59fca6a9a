"""The data hub's metering data as it sends it since 2026 (issue 15 §1): V2 JSON in all its
documented shapes with net quantities, and the current spreadsheet template with local
Tallinn times. The files under tests/data/metering are written from ESTONIA.md §6."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from vool.integrations.datahub import metering_data
from vool.integrations.datahub.metering_data import FieldError, InvalidMeteringFile

DATA = Path(__file__).resolve().parents[2] / "data" / "metering"
PROSUMER = "38ZEE-00625607-9"
CONSUMER = "38ZEE-1000009--Z"
NOV_1 = int(dt.datetime(2026, 10, 31, 22, 0, tzinfo=dt.UTC).timestamp())  # 00:00 local


def by_series(data: metering_data.MeteringData) -> dict[tuple[str, str, int], list[int]]:
    """``{series: [Wh in time order]}``."""
    out: dict[tuple[str, str, int], list[int]] = {}
    order = np.argsort(data.start_s, kind="stable")
    for row in order.tolist():
        out.setdefault(data.series[int(data.series_index[row])], []).append(int(data.wh[row]))
    return out


def v2(points: str) -> metering_data.MeteringData:
    return metering_data.parse_json(f"[{points}]")


class TestV2Json:
    def test_a_bare_array_of_points_in_both_period_forms(self) -> None:
        data = metering_data.parse((DATA / "v2_points.json").read_bytes(), name="v2.json")
        gross = by_series(data)
        assert gross[(PROSUMER, "OUT", 15)] == [250, 300, 100, 0, 50, 400, 125, 200]
        assert gross[(PROSUMER, "IN", 15)] == [0, 100, 300, 500, 50, 0, 25, 200]
        assert gross[(CONSUMER, "OUT", 15)] == [1000, 0, 2000, 5]  # integers and 3 decimals
        assert (CONSUMER, "IN", 15) not in gross  # inQty absent: nothing invented
        assert data.start_s.min() == NOV_1  # "2026-11-01T00:00:00+02:00" and "...22:00:00.000Z"
        assert data.net is not None
        net = by_series(data.net)
        assert net[(PROSUMER, "OUT", 15)] == [250, 200, 0, 0, 0, 400, 100, 0]
        assert net[(PROSUMER, "IN", 15)] == [0, 0, 200, 500, 0, 0, 0, 0]
        assert net[(CONSUMER, "OUT", 15)] == [1000, 0, 2000, 5]  # spelled netOutQty
        assert data.hub_errors == []

    def test_intervals_are_located_in_either_form(self) -> None:
        data = metering_data.parse((DATA / "v2_points.json").read_bytes(), name="v2.json")
        rows = {data.locate(i) for i in range(len(data))}
        assert f"point 1 ({PROSUMER}) periods[7]" in rows
        assert f"point 2 ({CONSUMER}) periods[0].aI[3]" in rows

    def test_the_get_response_imports_successful_and_reports_unsuccessful(self) -> None:
        data = metering_data.parse((DATA / "v2_get_response.json").read_bytes(), name="get.json")
        assert {s[0] for s in data.series} == {PROSUMER}
        assert len(data) == 16
        [error] = data.hub_errors
        assert (error.location, error.eic, error.code) == (
            "unsuccessful[0]",
            CONSUMER,
            "METERING_POINT_ACCESS_DENIED",
        )
        assert str(error) == (
            f"{CONSUMER}: the hub answered METERING_POINT_ACCESS_DENIED: No access right to the "
            "metering point (error id 0b6f1c7e-2f4e-4c1e-9d3a-5f0a8e2b7c11, trace id "
            "6f1d2c3b4a5e6f70)"
        )

    def test_a_data_distribution_page(self) -> None:
        data = metering_data.parse(
            (DATA / "v2_data_distribution_page.json").read_bytes(), name="page.json"
        )
        assert {s[0] for s in data.series} == {PROSUMER, CONSUMER}
        assert len(data) == 20
        assert f"content[1].content[0] ({CONSUMER}) periods[0].aI[0]" in {
            data.locate(i) for i in range(len(data))
        }

    def test_numbers_are_read_exactly_not_through_float(self) -> None:
        # 0.3 as a float is 0.299999..., times 1000 not a whole number of Wh
        data = v2(
            f'{{"meteringPointEic":"{PROSUMER}","periods":[{{"pS":"2026-11-01T00:15:00+02:00",'
            '"outQty":{"rType":"M","kwh":0.3},"netQtyOut":0.3}]}'
        )
        assert data.wh.tolist() == [300]
        assert data.net is not None and data.net.wh.tolist() == [300]

    def test_net_values_that_netting_cannot_give_are_refused_by_point_interval_and_field(
        self,
    ) -> None:
        point = (
            f'{{"meteringPointEic":"{PROSUMER}","periods":['
            '{"pS":"2026-11-01T00:00:00+02:00","outQty":{"kwh":1},"netQtyOut":1.5},'
            '{"pS":"2026-11-01T00:15:00+02:00","inQty":{"kwh":1},"outQty":{"kwh":1},'
            '"netQtyIn":0.5,"netQtyOut":0.5},'
            '{"pS":"2026-11-01T00:30:00+02:00","netQtyOut":-1},'
            '{"pS":"2026-11-01T00:45:00+02:00","netQtyOut":1,"netOutQty":1},'
            '{"pS":"2026-11-01T01:05:00+02:00","netQtyOut":1}]}'
        )
        with pytest.raises(InvalidMeteringFile) as caught:
            v2(point)
        where = f"point 1 ({PROSUMER}) periods"
        assert caught.value.errors == [
            FieldError(
                f"{where}[0]",
                "netQtyOut",
                "1.500 kWh is more than the outQty of 1.000 kWh: netting cannot add energy",
            ),
            FieldError(
                f"{where}[1]",
                "netQtyIn/netQtyOut",
                "both net quantities are above zero; netting leaves one of them at zero",
            ),
            FieldError(f"{where}[2]", "netQtyOut", "-1 is negative"),
            FieldError(f"{where}[3]", "netOutQty", "is given together with netQtyOut; give one"),
            FieldError(
                f"{where}[4]",
                "pS",
                "2026-11-01T01:05:00+02:00 does not start on a 15-minute boundary "
                "(hh:00, hh:15, hh:30 or hh:45)",
            ),
        ]

    def test_a_file_mixing_v1_and_v2_is_refused(self) -> None:
        v1 = (DATA / "hub_example_pt1h.json").read_text()
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_json(
                f'[{v1}, {{"meteringPointEic":"{PROSUMER}","periods":[]}}]'.encode()
            )
        [error] = caught.value.errors
        assert error.location == f"message 2 ({PROSUMER})"
        assert error.field == "meteringPointEic"
        assert "mixes V1 (meterEic) and V2 (meteringPointEic)" in error.message

    def test_an_unsuccessful_entry_without_an_eic_is_refused(self) -> None:
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_json(
                '{"successful":[],"unsuccessful":[{"error":{"code":"X","message":"y"}}]}'
            )
        assert caught.value.errors == [
            FieldError("unsuccessful[0]", "meteringPointEic", "is missing")
        ]

    def test_v1_keeps_working(self) -> None:
        data = metering_data.parse((DATA / "hub_example_pt1h.json").read_bytes(), name="x.json")
        assert data.wh.tolist() == [5000, 0]
        assert data.net is not None and len(data.net) == 0


class TestCurrentTemplate:
    def test_the_autumn_day_with_its_repeated_hour_in_row_order(self) -> None:
        raw = (DATA / "hub_template_2026_autumn.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, CRLF, as Excel saves it
        data = metering_data.parse(raw, name="autumn.csv")
        out = data.series.index((PROSUMER, "OUT", 15))
        starts = data.start_s[data.series_index == out]
        first = int(dt.datetime(2026, 10, 24, 21, 0, tzinfo=dt.UTC).timestamp())
        # 100 quarter hours, each once, in time order: 03:00..03:45 summer, then winter
        assert starts.tolist() == [first + 900 * i for i in range(100)]
        assert data.estimated[data.series_index == out].sum() == 2
        assert data.net is not None
        net = by_series(data.net)
        gross = by_series(data)
        for k in range(100):
            o, i = gross[(PROSUMER, "OUT", 15)][k], gross[(PROSUMER, "IN", 15)][k]
            assert net[(PROSUMER, "OUT", 15)][k] == max(o - i, 0)
            assert net[(PROSUMER, "IN", 15)][k] == max(i - o, 0)

    def test_a_time_the_clocks_skip_is_refused(self) -> None:
        text = (
            "Metering Point EIC;Period Start;OUT Quantity kWh;Reading Type OUT\n"
            f"{PROSUMER};29.03.2026 02:45;0,100;METERED\n"
            f"{PROSUMER};29.03.2026 03:00;0,100;METERED\n"
        )
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_csv(text)
        assert caught.value.errors == [
            FieldError(
                "line 3",
                "Period Start",
                "'29.03.2026 03:00' does not exist in Tallinn: on 29.03.2026 the clocks jump "
                "from 03:00 to 04:00 (summer time begins)",
            )
        ]

    def test_the_repeated_hour_a_third_time_is_refused(self) -> None:
        row = f"{PROSUMER};25.10.2026 03:15;0,100;METERED\n"
        text = "Metering Point EIC;Period Start;OUT Quantity kWh;Reading Type OUT\n" + row * 3
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_csv(text)
        [error] = caught.value.errors
        assert error.location == "line 4"
        assert "appears a third time" in error.message

    def test_windows_1257_and_the_layouts_own_column_names(self) -> None:
        text = (
            "Metering Point EIC;Period Start;OUT Quantity kWh;NET OUT Quantity kWh;Märkus\n"
            f";01.11.2026 00:00;0,100;0,100;õhtune\n"
            f"{PROSUMER};01.11.2026 00:15;0,100;0,200;\n"
        )
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse(text.encode("cp1257"), name="x.csv")
        assert [str(e) for e in caught.value.errors] == [
            "line 2, Metering Point EIC: is missing",
            "line 3, NET OUT Quantity kWh: 0.200 kWh is more than the OUT Quantity kWh of "
            "0.100 kWh: netting cannot add energy",
        ]

    def test_missing_columns_are_named_in_the_layouts_words(self) -> None:
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_csv("Metering Point EIC;Period Start\nx;y\n")
        assert [str(e) for e in caught.value.errors] == [
            "line 1, IN Quantity kWh or OUT Quantity kWh: mandatory column is missing"
        ]


class TestOlderTemplate:
    def test_the_spring_day_in_local_time(self) -> None:
        data = metering_data.parse(
            (DATA / "hub_template_older_spring.csv").read_bytes(), name="spring.csv"
        )
        first = int(dt.datetime(2026, 3, 28, 22, 0, tzinfo=dt.UTC).timestamp())
        assert data.start_s.tolist() == [first + 900 * i for i in range(92)]
        assert data.wh.tolist() == [50 + i for i in range(92)]

    def test_the_autumn_day_in_local_time_leaves_the_fast_path_for_row_order(self) -> None:
        current = (DATA / "hub_template_2026_autumn.csv").read_text(encoding="utf-8-sig")
        rows = ["Meter EIC;Period Start;Resolution;Quantity KWH OUT"]
        for line in current.splitlines()[1:]:
            eic, start, _, out, *_ = line.split(";")
            rows.append(f"{eic};{start};15 MINUTES;{out}")
        data = metering_data.parse_csv("\n".join(rows) + "\n")
        first = int(dt.datetime(2026, 10, 24, 21, 0, tzinfo=dt.UTC).timestamp())
        assert data.start_s.tolist() == [first + 900 * i for i in range(100)]
