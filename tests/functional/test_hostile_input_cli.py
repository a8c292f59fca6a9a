"""Hostile and careless input to every importer's command: a clear message, never a traceback,
nothing half-written (issue 9 §2). Each case is one that crashed with a raw traceback before."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from factories import MeterFactory, MeteringPointFactory, RegisterFactory
from vool.common.localtime import TALLINN
from vool.domain.metering.models import IntervalDay, MeteringImport, Reading
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs.models import MarketPrice

pytestmark = pytest.mark.django_db

SMART = "38ZEE-00625607-9"
MANUAL = "38ZEE-00742330-T"
AS_OF = "2026-11-27T12:00:00+02:00"
BIG = "9" * (128 * 1024 + 1)  # a field over 128 KiB
DEEP = "[" * 100_000 + "]" * 100_000
CSV_HEADER = "Meter EIC;Period Start;Resolution;Quantity KWH OUT;Reading Type OUT"
READINGS_HEADER = "Metering Point EIC;Register;Read At;Value KWH;Source"
PRICES_HEADER = (
    '"Ajatempel (UTC)";"Kuupäev (Eesti aeg)";"NPS Läti";"NPS Leedu";"NPS Soome";"NPS Eesti"'
)


def hub_json(items: str) -> str:
    return f'{{"meterEic":"{SMART}","periods":[{{"r":"PT15M","aI":[{items}]}}]}}'


def quarter(kwh: str, ps: str = "2026-11-01T00:00:00Z") -> str:
    return f'{{"pS":"{ps}","outQty":{{"rType":"M","kwh":{kwh}}}}}'


def prices_json(rows: str) -> str:
    return f'{{"success":true,"data":{{"ee":[{rows}]}}}}'


@pytest.fixture
def points():
    MeteringPointFactory(eic=SMART)
    point = MeteringPointFactory(
        eic=MANUAL, metering_method=MeteringPoint.MeteringMethod.MANUAL_REGISTER
    )
    register = RegisterFactory(meter=MeterFactory(metering_point=point))
    Reading.objects.create(
        register=register,
        read_at=dt.datetime(2026, 10, 1, 10, tzinfo=TALLINN),
        value_kwh=1000,
        source=Reading.Source.MIGRATION,
        period="2026-09",
        known_at=dt.datetime(2026, 10, 1, 10, tzinfo=TALLINN),
    )


def counts() -> tuple[int, ...]:
    return (
        IntervalDay.objects.count(),
        MeteringImport.objects.count(),
        Reading.objects.count(),
        MarketPrice.objects.count(),
    )


def refused(*args: str) -> tuple[str, str]:
    """Run the command, expect a CommandError (never another exception), and that nothing
    was written; returns (message, stderr)."""
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(*args, stdout=io.StringIO(), stderr=err)
    assert counts() == before
    message, report = str(caught.value), err.getvalue()
    for line in [message, *report.splitlines()]:
        assert len(line) < 600, line[:200]
    return message, report


INTERVAL_FILES = {
    "json_nan": ("x.json", hub_json(quarter("NaN")), "NaN"),
    "json_infinity": ("x.json", hub_json(quarter("Infinity")), "Infinity"),
    "json_minus_infinity": ("x.json", hub_json(quarter("-Infinity")), "-Infinity"),
    "json_deep_nesting": ("x.json", DEEP, "nested"),
    "json_year_0001": ("x.json", hub_json(quarter("0.1", "0001-01-01T00:00:00Z")), "0001"),
    "json_year_9999": ("x.json", hub_json(quarter("0.1", "9999-12-31T23:45:00Z")), "9999"),
    "json_1e30": ("x.json", hub_json(quarter("1e30")), "out of range"),
    "json_huge_integer": ("x.json", hub_json(quarter("9" * 5000)), "digits"),
    "json_duplicate_key": (
        "x.json",
        hub_json('{"pS":"2026-11-01T00:00:00Z","outQty":{"rType":"M","kwh":0.103,"kwh":5.0}}'),
        "kwh",
    ),
    "json_huge_string": ("x.json", hub_json(quarter(f'"{BIG}"')), "characters"),
    "csv_year_9999": (
        "x.csv",
        f"{CSV_HEADER}\n{SMART};31.12.9999 23:45+02:00;15 MINUTES;0,100;METERED\n",
        "9999",
    ),
    "csv_year_0001": (
        "x.csv",
        f"{CSV_HEADER}\n{SMART};01.01.0001 00:00+02:00;15 MINUTES;0,100;METERED\n",
        "0001",
    ),
    "csv_iso_year_0001": (
        "x.csv",
        f"{CSV_HEADER}\n{SMART};0001-01-01T00:00:00+02:00;15 MINUTES;0,100;METERED\n",
        "0001",
    ),
    "csv_big_field": ("x.csv", f"{CSV_HEADER}\n{SMART};{BIG};15 MINUTES;0,100;METERED\n", "long"),
    "csv_stray_cr": (
        "x.csv",
        f"{CSV_HEADER}\n{SMART};01.11.2026 00:00+02:00;15 MIN\rUTES;0,100;METERED\n",
        "carriage return",
    ),
    "csv_nul_in_eic": (
        "x.csv",
        f"{CSV_HEADER}\n{SMART}\x00;01.11.2026 00:00+02:00;15 MINUTES;0,100;METERED\n",
        "NUL",
    ),
    "json_nul_in_eic": (
        "x.json",
        hub_json(quarter("0.1")).replace(SMART, SMART + "\\u0000"),
        "NUL",
    ),
    "csv_huge_quantity": (
        "x.csv",
        f"{CSV_HEADER}\n{SMART};01.11.2026 00:00+02:00;15 MINUTES;{'9' * 200};METERED\n",
        "out of range",
    ),
}


@pytest.mark.usefixtures("points")
class TestIntervalsImport:
    @pytest.mark.parametrize("case", sorted(INTERVAL_FILES))
    def test_refused_in_words(self, case, tmp_path):
        name, content, needle = INTERVAL_FILES[case]
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        message, report = refused("intervals", "import", str(path), "--as-of", AS_OF)
        assert "nothing was imported" in message
        assert needle.lower() in report.lower()

    def test_a_duplicate_key_is_not_last_one_wins(self, tmp_path):
        path = tmp_path / "dup.json"
        path.write_text(
            hub_json('{"pS":"2026-11-01T00:00:00Z","outQty":{"rType":"M","kwh":0.103,"kwh":5.0}}')
        )
        _, report = refused("intervals", "import", str(path), "--as-of", AS_OF)
        assert "'kwh' appears twice" in report

    def test_a_bad_value_and_an_unknown_eic_are_both_reported(self, tmp_path):
        path = tmp_path / "two.csv"
        path.write_text(
            f"{CSV_HEADER}\n"
            f"{SMART};01.11.2026 00:00+02:00;15 MINUTES;abc;METERED\n"
            "38ZEE-00000000-0;01.11.2026 00:00+02:00;15 MINUTES;0,100;METERED\n"
        )
        _, report = refused("intervals", "import", str(path), "--as-of", AS_OF)
        assert "line 2, Quantity KWH OUT: 'abc' is not a quantity" in report
        assert "line 3, EIC: 38ZEE-00000000-0 is not a metering point of ours" in report

    def test_a_long_list_of_problems_says_it_was_cut(self, tmp_path):
        rows = [f"{SMART};01.11.2026 00:00+02:00;15 MINUTES;bad{i};METERED" for i in range(480)]
        path = tmp_path / "many.csv"
        path.write_text(CSV_HEADER + "\n" + "\n".join(rows) + "\n")
        message, report = refused("intervals", "import", str(path), "--as-of", AS_OF)
        assert message == (
            "Rejected: 480 problem(s), the first 200 listed above; nothing was imported."
        )
        assert len(report.splitlines()) == 200

    def test_a_huge_value_is_cut_when_echoed(self, tmp_path):
        path = tmp_path / "huge.csv"
        path.write_text(
            f"{CSV_HEADER}\n{SMART};01.11.2026 00:00+02:00;{'X' * 5000};0,100;METERED\n"
        )
        _, report = refused("intervals", "import", str(path), "--as-of", AS_OF)
        assert "'" + "X" * 79 + "…" in report
        assert "X" * 100 not in report

    def test_a_file_over_the_size_limit_is_not_read(self, tmp_path, settings):
        settings.VOOL_IMPORT_MAX_FILE_BYTES = 1000
        path = tmp_path / "big.csv"
        path.write_text(CSV_HEADER + "\n" + "x" * 2000)
        _, report = refused("intervals", "import", str(path), "--as-of", AS_OF)
        assert "is 2,0" in report and "larger than the limit of 1,000 bytes" in report

    def test_nesting_over_the_depth_setting(self, tmp_path, settings):
        settings.VOOL_IMPORT_MAX_JSON_DEPTH = 5
        path = tmp_path / "nested.json"
        path.write_text(hub_json(quarter("0.1")))  # 6 levels deep
        _, report = refused("intervals", "import", str(path), "--as-of", AS_OF)
        assert "nested more than 5 levels deep" in report


PRICE_FILES = {
    "json_1e30": (
        "p.json",
        prices_json('{"timestamp":1704067200,"price":1e30}'),
        "out of range",
    ),
    "json_nan": ("p.json", prices_json('{"timestamp":1704067200,"price":NaN}'), "NaN"),
    "json_20_digit_timestamp": (
        "p.json",
        prices_json('{"timestamp":17040672000000000000,"price":40.01}'),
        "17040672000000000000",
    ),
    "json_big_field": (
        "p.json",
        prices_json(f'{{"timestamp":1704067200,"price":"{BIG}"}}'),
        "characters",
    ),
    "json_bomb": ("p.json", '{"success":true,"data":{"ee":' + DEEP + "}}", "nested"),
    "json_duplicate_key": (
        "p.json",
        prices_json('{"timestamp":1704067200,"price":40.01,"price":9999}'),
        "'price' appears twice",
    ),
    "csv_20_digit_timestamp": (
        "p.csv",
        f'{PRICES_HEADER}\n"17040672000000000000";"01.01.2024 02:00";"1";"1";"1";"40,01"\n',
        "17040672000000000000",
    ),
    "csv_big_field": (
        "p.csv",
        f'{PRICES_HEADER}\n"1704067200";"01.01.2024 02:00";"1";"1";"1";"{BIG}"\n',
        "long",
    ),
    "csv_1e30": (
        "p.csv",
        f'{PRICES_HEADER}\n"1704067200";"01.01.2024 02:00";"1";"1";"1";"1e30"\n',
        "out of range",
    ),
    "csv_stray_cr": (
        "p.csv",
        f"{PRICES_HEADER}\n1704067200;01.01.2024 02:00;1;1\r;1;40,01\n",
        "carriage return",
    ),
}


class TestPricesImport:
    @pytest.mark.parametrize("case", sorted(PRICE_FILES))
    def test_refused_in_words(self, case, tmp_path):
        name, content, needle = PRICE_FILES[case]
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        message, _ = refused("prices", "import", str(path))
        assert needle.lower() in message.lower()
        assert "Traceback" not in message

    def test_json_prices_are_read_as_decimals(self, tmp_path):
        path = tmp_path / "p.json"
        path.write_text(prices_json('{"timestamp":1704067200,"price":40.015}'))
        call_command("prices", "import", str(path), stdout=io.StringIO())
        assert MarketPrice.objects.get().price_eur_mwh == Decimal("40.015")


READING_FILES = {
    "big_field": f"{READINGS_HEADER}\n{MANUAL};SINGLE;{BIG};1610;PHONE\n",
    "stray_cr": f"{READINGS_HEADER}\n{MANUAL};SINGLE;02.11.2026 09:00+02:00;16\r10;PHONE\n",
    "year_0001": f"{READINGS_HEADER}\n{MANUAL};SINGLE;01.01.0001 00:00+02:00;1610;PHONE\n",
    "year_9999": f"{READINGS_HEADER}\n{MANUAL};SINGLE;31.12.9999 23:00+02:00;1610;PHONE\n",
    "nul_in_eic": f"{READINGS_HEADER}\n{MANUAL}\x00;SINGLE;02.11.2026 09:00+02:00;1610;PHONE\n",
    "nan": f"{READINGS_HEADER}\n{MANUAL};SINGLE;02.11.2026 09:00+02:00;NaN;PHONE\n",
    "1e30": f"{READINGS_HEADER}\n{MANUAL};SINGLE;02.11.2026 09:00+02:00;1e30;PHONE\n",
    "not_utf8": None,
}


@pytest.mark.usefixtures("points")
class TestReadingsImport:
    @pytest.mark.parametrize("case", sorted(READING_FILES))
    def test_refused_in_words(self, case, tmp_path):
        path = tmp_path / "r.csv"
        content = READING_FILES[case]
        if content is None:
            path.write_bytes(READINGS_HEADER.encode() + b"\n\xff\xfe;SINGLE\n")
        else:
            path.write_text(content, encoding="utf-8")
        message, report = refused("readings", "import", str(path), "--as-of", AS_OF)
        assert "nothing was imported" in message
        assert "r.csv" in report

    def test_a_bad_value_and_an_unknown_eic_are_both_reported(self, tmp_path):
        path = tmp_path / "r.csv"
        path.write_text(
            f"{READINGS_HEADER}\n{MANUAL};SINGLE;02.11.2026 09:00+02:00;abc;PHONE\n"
            "38ZEE-00000000-0;SINGLE;02.11.2026 09:00+02:00;1610;PHONE\n"
        )
        _, report = refused("readings", "import", str(path), "--as-of", AS_OF)
        assert report.splitlines() == [
            "r.csv: line 2, Value KWH: 'abc' is not a number",
            "r.csv: line 3, Metering Point EIC: 38ZEE-00000000-0 is unknown",
        ]


@pytest.mark.usefixtures("points")
class TestReadingsSubmit:
    @pytest.mark.parametrize(
        "value", ["NaN", "Infinity", "-Infinity", "sNaN", "1e30", "-5", "1e-9", BIG]
    )
    def test_refused_in_words(self, value):
        message, _ = refused(
            "readings", "submit", MANUAL, f"SINGLE={value}", "--as-of", "2026-11-02T12:00+02:00"
        )
        assert "SINGLE=" in message or "kWh" in message

    def test_read_at_in_year_0001_is_refused(self):
        message, _ = refused(
            "readings", "submit", MANUAL, "SINGLE=1610", "--read-at", "0001-01-01T00:00+02:00"
        )
        assert "0001" in message


class TestArgumentErrorsInWords:
    @pytest.mark.parametrize(
        ("args", "expected"),
        [
            (("readings", "estimate", "--period", "2026-13"), "'2026-13' is not a month"),
            (("prices", "fetch", "--from", "2026-02-30", "--to", "2026-03-01"), "not a date"),
            (("intervals", "import", "x.csv", "--as-of", "yesterday"), "not a date and time"),
        ],
    )
    def test_bad_argument(self, args, expected):
        with pytest.raises(CommandError) as caught:
            call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
        assert expected in str(caught.value)
        assert "invalid _" not in str(caught.value)
        assert "fromisoformat" not in str(caught.value)
