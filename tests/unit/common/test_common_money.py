"""vool.common.money: exact Decimal money, explicit rounding, formatting, cents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vool.common.money import (
    CENT,
    CURRENCY,
    RoundingMode,
    cents,
    format_money,
    from_cents,
    round_money,
    to_decimal,
)

NBSP = "\u00a0"
HALF_UP = RoundingMode.HALF_UP


def test_constants() -> None:
    assert CURRENCY == "EUR"
    assert Decimal("0.01") == CENT


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),
        ("2.675", "2.68"),  # as a float 2.675 is 2.67499…; as a Decimal it rounds up
        ("1.004", "1.00"),
        ("1", "1.00"),
        ("-0.004", "0.00"),
    ],
)
def test_round_half_up(amount: str, expected: str) -> None:
    result = round_money(Decimal(amount), mode=HALF_UP)
    assert result == Decimal(expected)
    assert str(result) == expected  # exactly two decimals, no negative zero


@pytest.mark.parametrize(
    ("mode", "amount", "expected"),
    [
        (RoundingMode.HALF_EVEN, "0.125", "0.12"),
        (RoundingMode.HALF_EVEN, "0.135", "0.14"),
        (RoundingMode.HALF_UP, "0.125", "0.13"),
        (RoundingMode.DOWN, "0.129", "0.12"),
        (RoundingMode.DOWN, "-0.129", "-0.12"),
        (RoundingMode.UP, "0.121", "0.13"),
        (RoundingMode.UP, "-0.121", "-0.13"),
    ],
)
def test_rounding_modes(mode: RoundingMode, amount: str, expected: str) -> None:
    assert str(round_money(Decimal(amount), mode=mode)) == expected


def test_round_other_places() -> None:
    assert str(round_money(Decimal("0.123456"), mode=HALF_UP, places=4)) == "0.1235"
    assert str(round_money(Decimal("12.5"), mode=HALF_UP, places=0)) == "13"


def test_round_rejects_float_and_bad_mode() -> None:
    with pytest.raises(TypeError, match="float"):
        round_money(2.675, mode=HALF_UP)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_money(Decimal("1"), mode="ROUND_HALF_UP")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_money(Decimal("1"))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="finite"):
        round_money(Decimal("NaN"), mode=HALF_UP)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12,34", "12.34"),
        ("12.34", "12.34"),
        ("1 234,56", "1234.56"),
        (f"1{NBSP}234{NBSP}567,8", "1234567.8"),
        ("1\u202f234.5", "1234.5"),
        ("  -0,5 ", "-0.5"),
        ("\u22123,20", "-3.20"),
        ("+7", "7"),
        (",5", "0.5"),
    ],
)
def test_to_decimal_text(text: str, expected: str) -> None:
    assert str(to_decimal(text)) == expected


@pytest.mark.parametrize("text", ["", "abc", "1,234.56", "1.234,56", "1,2,3", "1e5", "NaN", "inf"])
def test_to_decimal_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError):
        to_decimal(text)


def test_to_decimal_other_types() -> None:
    assert to_decimal(Decimal("1.50")) == Decimal("1.50")
    assert to_decimal(3) == Decimal(3)
    with pytest.raises(TypeError):
        to_decimal(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_decimal(True)
    with pytest.raises(ValueError):
        to_decimal(Decimal("Infinity"))


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        ("1234.56", "et", f"1{NBSP}234,56{NBSP}€"),
        ("1234.56", "ru", f"1{NBSP}234,56{NBSP}€"),
        ("1234.56", "en", "€1,234.56"),
        ("-1234567.5", "et", f"-1{NBSP}234{NBSP}567,50{NBSP}€"),
        ("-1234567.5", "en", "-€1,234,567.50"),
        ("0", "et", f"0,00{NBSP}€"),
        ("-0.00", "en", "€0.00"),
        ("999", "en", "€999.00"),
        ("0.1234", "et", f"0,1234{NBSP}€"),  # never rounded silently
        ("5.1000", "et", f"5,10{NBSP}€"),
    ],
)
def test_format_money(amount: str, language: str, expected: str) -> None:
    assert format_money(Decimal(amount), language=language) == expected


def test_format_money_default_language_and_errors() -> None:
    assert format_money(Decimal("12.3")) == f"12,30{NBSP}€"
    with pytest.raises(ValueError, match="language"):
        format_money(Decimal("1"), language="de")
    with pytest.raises(TypeError):
        format_money(1.0)  # type: ignore[arg-type]


def test_cents() -> None:
    assert cents(Decimal("12.34")) == 1234
    assert cents(Decimal("-0.05")) == -5
    assert cents(Decimal("12.340")) == 1234
    assert cents(Decimal("7")) == 700
    with pytest.raises(ValueError, match="fractions of a cent"):
        cents(Decimal("0.005"))
    with pytest.raises(TypeError):
        cents(0.5)  # type: ignore[arg-type]


def test_from_cents() -> None:
    assert str(from_cents(1234)) == "12.34"
    assert str(from_cents(-5)) == "-0.05"
    assert str(from_cents(0)) == "0.00"
    assert from_cents(10**30) == Decimal(10**28)
    with pytest.raises(TypeError):
        from_cents(1.0)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_cents_round_trip(value: int) -> None:
    amount = from_cents(value)
    assert cents(amount) == value
    assert from_cents(cents(amount)) == amount


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9))
def test_round_money_is_within_half_a_cent_and_exact(amount: Decimal) -> None:
    rounded = round_money(amount, mode=HALF_UP)
    assert abs(rounded - amount) <= Decimal("0.005")
    assert from_cents(cents(rounded)) == rounded
    assert round_money(rounded, mode=HALF_UP) == rounded


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_then_parse_round_trip(value: int) -> None:
    amount = from_cents(value)
    et = format_money(amount, language="et").removesuffix(f"{NBSP}€")
    assert to_decimal(et) == amount
    en = format_money(amount, language="en").replace("€", "").replace(",", "")
    assert to_decimal(en) == amount
