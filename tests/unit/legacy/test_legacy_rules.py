"""The legacy extract's values and the validation rules, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vool.common import identifiers
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import rules

CONTEXT = rules.Context(
    products=frozenset({"KODU-FIX"}),
    grid_operators=frozenset({"ELEKTRILEVI"}),
    customers_by_code={},
    eics={},
    former_references={},
    today=dt.date(2026, 11, 28),
)
CODE = identifiers.make_isikukood(birth_date=dt.date(1980, 5, 17), serial=12, male=True)


class TestValues:
    def test_dates_are_day_month_year(self) -> None:
        assert fmt.parse_date("29.02.2024") == dt.date(2024, 2, 29)
        for bad in ("2024-02-29", "30.02.2024", "1.2.2024", ""):
            with pytest.raises(ValueError):
                fmt.parse_date(bad)

    def test_numbers_have_a_decimal_comma(self) -> None:
        assert fmt.parse_decimal("-1234,56") == Decimal("-1234.56")
        for bad in ("1.234,56", "12.5", "1 234,56", "NaN", ""):
            with pytest.raises(ValueError):
                fmt.parse_decimal(bad)
        assert fmt.format_decimal(Decimal("12.50")) == "12,50"


def customer(key: str, code: str, name: str, line: int) -> fmt.Row:
    first, last = name.split()
    return fmt.Row(line, (key, "E", code, "", "", first, last, name, "", "", "EST", "A1"))


def account(key: str, customer_key: str, line: int) -> fmt.Row:
    reference = identifiers.make_reference_number(int(key))
    return fmt.Row(line, (key, customer_key, reference, "E-POST", "01.01.2020"))


def contract(key: str, start: str, end: str, line: int) -> fmt.Row:
    return fmt.Row(line, (key, "11", "111", "EL-KODU-1", start, end, "0"))


ADDRESS = [fmt.Row(2, ("A1", "Pikk 1", "Tallinn", "10111"))]
EIC = identifiers.make_eic("38ZEE-50000003-")
POINT = [fmt.Row(2, ("111", EIC, "EL", "A1", "0", "16", "V1", "0"))]


def extract(**rows: list[fmt.Row]) -> dict[str, list[fmt.Row]]:
    return {"addresses": ADDRESS, **rows}


class TestRules:
    def test_one_person_twice_is_merged_two_people_with_one_code_held(self) -> None:
        checked = rules.check(
            extract(
                customers=[
                    customer("1", CODE, "Mart Tamm", 2),
                    customer("2", CODE, "Mart Tamm", 3),
                ],
                accounts=[account("11", "1", 2), account("12", "2", 3)],
            ),
            CONTEXT,
        )
        assert checked.merged_into_key == {"2": "1"} and not checked.held
        assert [i.rule for i in checked.issues] == ["SAME_PERSON_TWICE"]
        checked = rules.check(
            extract(
                customers=[
                    customer("1", CODE, "Mart Tamm", 2),
                    customer("2", CODE, "Jaan Kask", 3),
                ],
                accounts=[account("11", "1", 2), account("12", "2", 3)],
            ),
            CONTEXT,
        )
        assert checked.held == {"11", "12"}
        assert {(i.rule, i.line) for i in checked.issues} == {
            ("DUPLICATE_PERSONAL_CODE", 2),
            ("DUPLICATE_PERSONAL_CODE", 3),
        }

    @pytest.mark.parametrize(
        ("first_end", "second_start", "overlaps"),
        [
            ("", "01.06.2026", True),
            ("01.06.2026", "01.06.2026", False),
            ("02.06.2026", "01.06.2026", True),
        ],
    )
    def test_overlapping_contracts(self, first_end: str, second_start: str, overlaps: bool) -> None:
        checked = rules.check(
            extract(
                customers=[customer("1", CODE, "Mart Tamm", 2)],
                accounts=[account("11", "1", 2)],
                points=POINT,
                contracts=[
                    contract("1", "01.01.2020", first_end, 2),
                    contract("2", second_start, "", 3),
                ],
            ),
            CONTEXT,
        )
        assert (checked.held == {"11"}) is overlaps
        assert ("OVERLAPPING_CONTRACTS" in {i.rule for i in checked.issues}) is overlaps

    def test_an_error_anywhere_holds_the_account_back_whole(self) -> None:
        bad_code = CODE[:-1] + str((int(CODE[-1]) + 1) % 10)
        checked = rules.check(
            extract(
                customers=[customer("1", bad_code, "Mart Tamm", 2)],
                accounts=[account("11", "1", 2)],
            ),
            CONTEXT,
        )
        (issue,) = checked.issues
        assert (issue.rule, issue.file_name, issue.line, issue.field, issue.value) == (
            "INVALID_PERSONAL_CODE",
            "KLIENDID.csv",
            2,
            "ISIKUKOOD",
            bad_code,
        )
        assert issue.account_keys == ("11",) and checked.held == {"11"}

    def test_a_bad_number_names_file_line_and_field(self) -> None:
        checked = rules.check(
            extract(
                customers=[customer("1", CODE, "Mart Tamm", 2)],
                accounts=[account("11", "1", 2)],
                balances=[fmt.Row(2, ("11", "12.50"))],
            ),
            CONTEXT,
        )
        (issue,) = checked.issues
        assert (issue.rule, issue.file_name, issue.line, issue.field, issue.value) == (
            "BAD_NUMBER",
            "SALDOD.csv",
            2,
            "SALDO",
            "12.50",
        )
        assert checked.held == {"11"}
        assert rules.held_causes(checked) == {"11": "BAD_NUMBER (SALDOD.csv:2)"}
