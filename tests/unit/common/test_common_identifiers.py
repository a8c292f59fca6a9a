"""vool.common.identifiers: published examples, clear errors, generator round trips."""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import iso11649
from stdnum.ee import ik, kmkr, registrikood
from stdnum.eu import eic

from vool.common.identifiers import (
    InvalidIdentifier,
    format_reference_number,
    is_valid_reference_number,
    isikukood_birth_date,
    make_eic,
    make_isikukood,
    make_kmkr,
    make_reference_number,
    make_registrikood,
    reference_check_digit,
    reference_to_rf,
    rf_to_reference,
    validate_eic,
    validate_iban,
    validate_isikukood,
    validate_kmkr,
    validate_reference_number,
    validate_registrikood,
    validate_rf,
)

EIC_ALPHABET = string.digits + string.ascii_uppercase + "-"
reference_bases = st.text(alphabet=string.digits, min_size=1, max_size=19)


def other_digit(digit: str, shift: int) -> str:
    return str((int(digit) + shift) % 10)


# --- reference number (7-3-1) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "reference"),
    [("12131295", "121312952"), ("1", "13"), ("123", "1232")],
)
def test_reference_published_examples(base: str, reference: str) -> None:
    assert reference_check_digit(base) == reference[-1]
    assert make_reference_number(base) == reference
    assert make_reference_number(int(base)) == reference
    assert validate_reference_number(reference) == reference
    assert is_valid_reference_number(reference)


def test_reference_errors_are_actionable() -> None:
    with pytest.raises(
        InvalidIdentifier,
        match=r"^Reference number 121312953 has a wrong check digit \(expected 2\)\.$",
    ):
        validate_reference_number("121312953")
    with pytest.raises(InvalidIdentifier, match="only digits"):
        validate_reference_number("12131295A")
    with pytest.raises(InvalidIdentifier, match="2 to 20"):
        validate_reference_number("1")
    with pytest.raises(InvalidIdentifier, match="2 to 20"):
        validate_reference_number("1" * 21)
    with pytest.raises(InvalidIdentifier, match="empty"):
        validate_reference_number("  ")
    with pytest.raises(InvalidIdentifier, match="1 to 19"):
        make_reference_number("1" * 20)
    with pytest.raises(InvalidIdentifier):
        make_reference_number(-1)
    assert not is_valid_reference_number("121312953")
    assert isinstance(InvalidIdentifier("x"), ValueError)


def test_reference_spaces_are_ignored() -> None:
    assert validate_reference_number(" 1213 1295 2 ") == "121312952"
    assert format_reference_number("1213 12952") == "121312952"


@given(reference_bases, st.integers(min_value=1, max_value=9))
def test_reference_round_trip_and_single_digit_errors(base: str, shift: int) -> None:
    reference = make_reference_number(base)
    assert len(reference) == len(base) + 1
    assert validate_reference_number(reference) == reference
    wrong_check = reference[:-1] + other_digit(reference[-1], shift)
    assert not is_valid_reference_number(wrong_check)
    with pytest.raises(InvalidIdentifier, match=f"expected {reference[-1]}"):
        validate_reference_number(wrong_check)


@given(reference_bases, st.data())
def test_reference_detects_any_single_digit_change(base: str, data: st.DataObject) -> None:
    reference = make_reference_number(base)
    position = data.draw(st.integers(min_value=0, max_value=len(reference) - 1))
    shift = data.draw(st.integers(min_value=1, max_value=9))
    changed = (
        reference[:position] + other_digit(reference[position], shift) + reference[position + 1 :]
    )
    assert not is_valid_reference_number(changed)


# --- RF (ISO 11649) ----------------------------------------------------------------------------


def test_rf_examples() -> None:
    assert reference_to_rf("121312952") == "RF31121312952"
    assert rf_to_reference("RF31121312952") == "121312952"
    assert validate_rf("RF18539007547034") == "RF18539007547034"
    assert validate_rf("rf18 5390 0754 7034") == "RF18539007547034"
    assert rf_to_reference("RF18539007547034") == "539007547034"


def test_rf_errors() -> None:
    with pytest.raises(InvalidIdentifier, match=r"wrong check digits \(expected 31\)"):
        validate_rf("RF32121312952")
    with pytest.raises(InvalidIdentifier, match="start with RF"):
        validate_rf("XX31121312952")
    with pytest.raises(InvalidIdentifier, match="5 to 25"):
        validate_rf("RF3")
    with pytest.raises(InvalidIdentifier):
        rf_to_reference("RF19539007547034")
    with pytest.raises(InvalidIdentifier, match="at most 21"):
        reference_to_rf("1" * 22)
    with pytest.raises(InvalidIdentifier, match="only letters"):
        reference_to_rf("12_3")


@given(reference_bases)
def test_reference_rf_round_trip(base: str) -> None:
    reference = make_reference_number(base)
    rf = reference_to_rf(reference)
    assert iso11649.is_valid(rf)
    assert rf.startswith("RF")
    assert rf_to_reference(rf) == reference


@given(st.text(alphabet=string.digits + string.ascii_uppercase, min_size=1, max_size=21))
def test_rf_round_trip_alphanumeric(reference: str) -> None:
    assert rf_to_reference(reference_to_rf(reference)) == reference


# --- isikukood, registrikood, KMKR -------------------------------------------------------------


def test_isikukood() -> None:
    assert validate_isikukood("36805280109") == "36805280109"
    assert validate_isikukood(" 368 0528 0109 ") == "36805280109"
    assert isikukood_birth_date("36805280109") == date(1968, 5, 28)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("36805280108", r"wrong check digit \(expected 9\)"),
        ("3680528010", "wrong length"),
        ("3680528010X", "11 digits"),
        ("36813280109", "birth date"),
        ("96805280109", "birth date"),
        ("", "empty"),
    ],
)
def test_isikukood_errors(value: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier, match=message) as caught:
        validate_isikukood(value)
    assert "isikukood" in str(caught.value)


def test_registrikood() -> None:
    assert validate_registrikood("12345678") == "12345678"
    with pytest.raises(InvalidIdentifier, match=r"wrong check digit \(expected 8\)"):
        validate_registrikood("12345679")
    with pytest.raises(InvalidIdentifier, match="must start with 1"):
        validate_registrikood("22345678")
    with pytest.raises(InvalidIdentifier, match="8 digits"):
        validate_registrikood("1234567")


def test_kmkr() -> None:
    assert validate_kmkr("EE100594102") == "EE100594102"
    assert validate_kmkr("100594102") == "EE100594102"
    assert validate_kmkr("ee 100 931 558") == "EE100931558"
    with pytest.raises(InvalidIdentifier, match=r"wrong check digit \(expected 2\)"):
        validate_kmkr("EE100594103")
    with pytest.raises(InvalidIdentifier, match="EE followed by 9 digits"):
        validate_kmkr("EE10059410")


# --- EIC and IBAN ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["38ZEE-1000007L-E", "10X1001A1001A39W", "38ZEE-1000009--Z"])
def test_eic_valid(code: str) -> None:
    assert validate_eic(code) == code
    assert validate_eic(f" {code.lower()} ") == code


@pytest.mark.parametrize("code", ["38ZEE-1000007L-E", "10X1001A1001A39W"])
def test_eic_one_character_change_is_invalid(code: str) -> None:
    for position in range(len(code)):
        for replacement in EIC_ALPHABET:
            if replacement == code[position]:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(InvalidIdentifier):
                validate_eic(changed)


def test_eic_errors() -> None:
    with pytest.raises(InvalidIdentifier, match=r"wrong check character \(expected E\)"):
        validate_eic("38ZEE-1000007L-F")
    with pytest.raises(InvalidIdentifier, match="16 characters"):
        validate_eic("38ZEE-1000007L")
    with pytest.raises(InvalidIdentifier, match="16 characters"):
        validate_eic("38ZEE_1000007L-E")


def test_iban() -> None:
    assert validate_iban("EE38 2200 2210 2014 5685") == "EE382200221020145685"
    with pytest.raises(InvalidIdentifier, match="wrong check digits"):
        validate_iban("EE382200221020145686")
    with pytest.raises(InvalidIdentifier, match="IBAN"):
        validate_iban("EE38220022102014568")
    with pytest.raises(InvalidIdentifier, match="empty"):
        validate_iban("")


def test_non_text_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        validate_isikukood(36805280109)  # type: ignore[arg-type]


# --- generators --------------------------------------------------------------------------------


def test_generators_reproduce_published_examples() -> None:
    assert make_isikukood(birth_date=date(1968, 5, 28), serial=10, male=True) == "36805280109"
    assert make_registrikood("1234567") == "12345678"
    assert make_kmkr("10059410") == "EE100594102"
    assert make_kmkr("10093155") == "EE100931558"
    assert make_eic("38ZEE-1000007L-") == "38ZEE-1000007L-E"
    assert make_eic("10X1001A1001A39") == "10X1001A1001A39W"


def test_generator_argument_errors() -> None:
    with pytest.raises(ValueError, match=r"0\.\.999"):
        make_isikukood(birth_date=date(1990, 1, 1), serial=1000, male=False)
    with pytest.raises(ValueError, match=r"1800\.\.2199"):
        make_isikukood(birth_date=date(2200, 1, 1), serial=1, male=False)
    with pytest.raises(ValueError, match="7 digits"):
        make_registrikood("123456")
    with pytest.raises(ValueError, match="start with 1, 7, 8 or 9"):
        make_registrikood("2345678")
    with pytest.raises(ValueError, match="8 digits"):
        make_kmkr("1234567")
    with pytest.raises(ValueError, match="15 characters"):
        make_eic("38ZEE")


@given(
    st.dates(min_value=date(1800, 1, 1), max_value=date(2199, 12, 31)),
    st.integers(min_value=0, max_value=999),
    st.booleans(),
)
def test_make_isikukood(birth_date: date, serial: int, male: bool) -> None:
    code = make_isikukood(birth_date=birth_date, serial=serial, male=male)
    assert ik.is_valid(code)
    assert ik.get_birth_date(code) == birth_date
    assert isikukood_birth_date(code) == birth_date
    assert ik.get_gender(code) == ("M" if male else "F")
    assert int(code[7:10]) == serial


@given(st.sampled_from("1789"), st.text(alphabet=string.digits, min_size=6, max_size=6))
def test_make_registrikood(first: str, rest: str) -> None:
    code = make_registrikood(first + rest)
    assert registrikood.is_valid(code)
    assert validate_registrikood(code) == code


@given(st.text(alphabet=string.digits, min_size=8, max_size=8))
def test_make_kmkr(base: str) -> None:
    code = make_kmkr(base)
    assert code.startswith("EE")
    assert kmkr.is_valid(code)
    assert validate_kmkr(code) == code


@given(st.text(alphabet=EIC_ALPHABET, min_size=15, max_size=15))
def test_make_eic(prefix: str) -> None:
    if eic.calc_check_digit(prefix) == "-":
        with pytest.raises(ValueError, match="no valid EIC"):
            make_eic(prefix)
        return
    code = make_eic(prefix)
    assert code[:15] == prefix
    assert eic.is_valid(code)
    assert validate_eic(code) == code


@given(st.text(alphabet=EIC_ALPHABET, min_size=15, max_size=15), st.data())
def test_eic_detects_a_changed_check_character(prefix: str, data: st.DataObject) -> None:
    assume(eic.calc_check_digit(prefix) != "-")
    code = make_eic(prefix)
    wrong = data.draw(st.sampled_from(EIC_ALPHABET).filter(lambda c: c != code[-1]))
    with pytest.raises(InvalidIdentifier):
        validate_eic(code[:15] + wrong)
