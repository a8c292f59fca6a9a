"""Strict JSON, CSV rows and limits for the importers (``vool.integrations.safe_input``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vool.integrations.safe_input import (
    InputLimits,
    UnsafeInput,
    csv_rows,
    json_depth,
    load_json,
    parse_decimal,
    shown,
)

LIMITS = InputLimits(max_file_bytes=10_000, max_field_chars=50, max_json_depth=4)


class TestLoadJson:
    def test_numbers_are_decimal_or_int_never_float(self) -> None:
        doc = load_json(b'{"kwh": 0.1, "n": 3, "big": 1e3}', LIMITS)
        assert doc == {"kwh": Decimal("0.1"), "n": 3, "big": Decimal("1E+3")}
        assert isinstance(doc["kwh"], Decimal) and isinstance(doc["n"], int)

    @pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
    def test_no_nan_or_infinity(self, constant: str) -> None:
        with pytest.raises(UnsafeInput, match=f"{constant} is not a number"):
            load_json(f'{{"kwh": {constant}}}', LIMITS)

    def test_a_key_twice_is_refused_not_last_one_wins(self) -> None:
        with pytest.raises(UnsafeInput, match="the key 'kwh' appears twice"):
            load_json('{"kwh": 0.103, "kwh": 5.0}', LIMITS)

    def test_depth_is_checked_before_parsing(self) -> None:
        assert json_depth(b'[{"a": "[[[[[["}]') == 2
        load_json("[[[[1]]]]", LIMITS)
        with pytest.raises(UnsafeInput, match="nested more than 4 levels deep"):
            load_json("[[[[[1]]]]]", LIMITS)
        with pytest.raises(UnsafeInput, match="nested more than 4 levels deep"):
            load_json("[" * 1_000, InputLimits(max_json_depth=4))

    def test_long_strings_and_numbers(self) -> None:
        with pytest.raises(UnsafeInput, match="has 51 characters, more than the limit of 50"):
            load_json('{"a": "' + "x" * 51 + '"}', LIMITS)
        with pytest.raises(UnsafeInput, match="a number with 60 digits"):
            load_json('{"a": ' + "9" * 60 + "}", LIMITS)

    def test_size(self) -> None:
        with pytest.raises(UnsafeInput, match="is 10,003 bytes, larger than the limit"):
            load_json('"' + "x" * 10_001 + '"', LIMITS)

    def test_not_json_names_line_and_column(self) -> None:
        with pytest.raises(UnsafeInput) as caught:
            load_json('{\n  "a": }', LIMITS)
        assert caught.value.location == "line 2, column 8"


class TestCsvRows:
    def test_crlf_is_fine_a_stray_carriage_return_is_not(self) -> None:
        assert list(csv_rows("a;b\r\n1;2\r\n", LIMITS)) == [(1, ["a", "b"]), (2, ["1", "2"])]
        with pytest.raises(UnsafeInput) as caught:
            list(csv_rows("a;b\n1;2\n3\r;4\n", LIMITS))
        assert caught.value.location == "line 3"
        assert "carriage return" in caught.value.message

    def test_a_long_field_is_named_and_cut(self) -> None:
        with pytest.raises(UnsafeInput) as caught:
            list(csv_rows("a;b\n1;" + "y" * 500 + "\n", LIMITS))
        assert (caught.value.location, caught.value.field) == ("line 2", "field 2")
        assert caught.value.message.startswith("'" + "y" * 79 + "…' is 500 characters long")


class TestValues:
    def test_shown_cuts_at_80_characters(self) -> None:
        assert shown("short") == "'short'"
        assert shown("z" * 5_000_000) == "'" + "z" * 79 + "…'"

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("NaN", "is not a finite number"),
            ("sNaN", "is not a finite number"),
            ("-Infinity", "is not a finite number"),
            ("abc", "is not a number"),
            ("1e31", "is out of range"),
            ("1e-31", "is out of range"),
            ("1e999999999", "is out of range"),
        ],
    )
    def test_parse_decimal_refuses(self, text: str, reason: str) -> None:
        with pytest.raises(ValueError, match=reason):
            parse_decimal(text)

    def test_parse_decimal(self) -> None:
        assert parse_decimal(" 1610,5 ") == Decimal("1610.5")
        assert parse_decimal("0") == 0


def test_header_columns_maps_known_labels_in_any_case_and_ignores_others() -> None:
    from vool.integrations.safe_input import header_columns

    labels = {"meter eic": "eic", "metering point eic": "eic", "read at": "read_at"}
    assert header_columns([" Read At ", "Extra", "METER EIC"], labels) == {
        "read_at": 0,
        "eic": 2,
    }
    assert header_columns([], labels) == {}


def test_dotted_time_reads_day_month_year_time_and_zone() -> None:
    from vool.integrations.safe_input import DOTTED_TIME

    match = DOTTED_TIME.fullmatch("02.11.2026 09:00+02:00")
    assert match is not None
    assert match.groups() == ("02", "11", "2026", "09", "00", None, "+02:00")
    assert DOTTED_TIME.fullmatch("2026-11-02 09:00") is None
