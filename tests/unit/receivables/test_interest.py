"""Late-payment interest, day by day, computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vool.common.money import RoundingMode, round_money
from vool.domain.receivables import interest

D = dt.date
H1 = interest.RatePeriod(D(2025, 1, 1), D(2025, 7, 1), Decimal("11.15"))  # 3.15 + 8
H2 = interest.RatePeriod(D(2025, 7, 1), None, Decimal("10.15"))  # 2.15 + 8
STATUTORY = interest.rate_chooser(contract_daily_rate=None, periods=[H1, H2])


def lines(**kw: object) -> list[interest.InterestLine]:
    args: dict[str, object] = {"paid": [], "interest_billed_on_it": Decimal("0.00")}
    args.update(kw)
    return interest.interest_lines(**args)  # type: ignore[arg-type]


class TestStatutoryInterest:
    def test_one_rate_no_payment(self) -> None:
        # 100.00 due 10 March, unpaid: 11 March .. 9 April = 30 days at 11.15 % / 365
        # daily amount 100 x 0.1115 / 365 = 0.030547945205... -> 0.030547945
        # 30 x 0.030547945 = 0.91643835 -> 0.92
        (line,) = lines(
            amount_due=Decimal("100.00"),
            start=D(2025, 3, 11),
            end=D(2025, 4, 10),
            rate_on=STATUTORY,
        )
        assert (line.start, line.end, line.days) == (D(2025, 3, 11), D(2025, 4, 10), 30)
        assert line.base == Decimal("100.00")
        assert line.unit_price == Decimal("0.030547945")
        assert line.amount == Decimal("0.92")
        assert line.daily_rate.label == "statutory 11.15 % a year / 365"

    def test_a_partial_payment_lowers_the_base_from_its_day(self) -> None:
        # 200.00 unpaid 1-10 June (10 days), 120.00 paid on 11 June: 80.00 for 11-20 June
        # 200 x 0.1115/365 = 0.061095890411 -> 0.061095890; x 10 = 0.6109589 -> 0.61
        # 80 x 0.1115/365 = 0.024438356164 -> 0.024438356; x 10 = 0.24438356 -> 0.24
        first, second = lines(
            amount_due=Decimal("200.00"),
            paid=[(D(2025, 6, 11), Decimal("120.00"))],
            start=D(2025, 6, 1),
            end=D(2025, 6, 21),
            rate_on=STATUTORY,
        )
        assert (first.days, first.base, first.amount) == (10, Decimal("200.00"), Decimal("0.61"))
        assert (second.days, second.base, second.amount) == (10, Decimal("80.00"), Decimal("0.24"))
        assert second.unit_price == Decimal("0.024438356")

    def test_a_new_half_year_splits_the_line(self) -> None:
        # 1000.00 from 25 June to 4 July: 6 days at 11.15 %, 4 days at 10.15 %
        # 1000 x 0.1115/365 = 0.305479452055 -> 0.305479452; x 6 = 1.832876712 -> 1.83
        # 1000 x 0.1015/365 = 0.278082191781 -> 0.278082192; x 4 = 1.112328768 -> 1.11
        june, july = lines(
            amount_due=Decimal("1000.00"),
            start=D(2025, 6, 25),
            end=D(2025, 7, 5),
            rate_on=STATUTORY,
        )
        assert (june.days, june.unit_price, june.amount) == (
            6,
            Decimal("0.305479452"),
            Decimal("1.83"),
        )
        assert (july.days, july.unit_price, july.amount) == (
            4,
            Decimal("0.278082192"),
            Decimal("1.11"),
        )

    def test_paid_in_full_bears_nothing_after_and_no_interest_on_interest(self) -> None:
        # 50.00 due, of which 0.40 is interest billed on it: the base is 49.60;
        # paid in full on 6 May: only 1-5 May bear interest
        # 49.60 x 0.1115/365 = 0.015151780822 -> 0.015151781; x 5 = 0.075758905 -> 0.08
        (line,) = lines(
            amount_due=Decimal("50.00"),
            interest_billed_on_it=Decimal("0.40"),
            paid=[(D(2025, 5, 6), Decimal("50.00"))],
            start=D(2025, 5, 1),
            end=D(2025, 5, 31),
            rate_on=STATUTORY,
        )
        assert (line.start, line.end, line.base, line.amount) == (
            D(2025, 5, 1),
            D(2025, 5, 6),
            Decimal("49.60"),
            Decimal("0.08"),
        )

    def test_a_line_that_rounds_to_nothing_is_left_out(self) -> None:
        # 1.00 for one day: 0.000305479 -> 0.00
        assert (
            lines(
                amount_due=Decimal("1.00"),
                start=D(2025, 3, 1),
                end=D(2025, 3, 2),
                rate_on=STATUTORY,
            )
            == []
        )

    def test_a_day_without_a_known_rate_is_an_error_naming_it(self) -> None:
        with pytest.raises(interest.MissingInterestRate, match="2024-12-31"):
            lines(
                amount_due=Decimal("10.00"),
                start=D(2024, 12, 31),
                end=D(2025, 1, 2),
                rate_on=STATUTORY,
            )


class TestContractRate:
    def test_the_contract_daily_rate(self) -> None:
        # 0.066 % a day: 150.00 x 0.00066 = 0.099 a day; 20 days = 1.98
        rate_on = interest.rate_chooser(contract_daily_rate=Decimal("0.00066"), periods=[H2])
        (line,) = lines(
            amount_due=Decimal("150.00"), start=D(2025, 8, 1), end=D(2025, 8, 21), rate_on=rate_on
        )
        assert (line.unit_price, line.amount) == (Decimal("0.099000000"), Decimal("1.98"))
        assert line.daily_rate.label == "contract 0.066 % a day"

    def test_a_contract_rate_over_three_times_the_statutory_is_not_applied(self) -> None:
        # 3 x 10.15 % / 365 = 0.000834247 a day; 0.1 % a day is more: statutory instead
        rate_on = interest.rate_chooser(contract_daily_rate=Decimal("0.001"), periods=[H2])
        assert rate_on(D(2025, 8, 1)).label == "statutory 10.15 % a year / 365"


def test_every_line_multiplies_out() -> None:
    for amount_due in ("0.01", "12.34", "99.99", "1234.56", "98765.43"):
        for line in lines(
            amount_due=Decimal(amount_due),
            paid=[(D(2025, 6, 20), Decimal("0.01"))],
            start=D(2025, 6, 1),
            end=D(2025, 8, 1),
            rate_on=STATUTORY,
        ):
            product = round_money(line.days * line.unit_price, mode=RoundingMode.HALF_UP)
            assert product == line.amount


def _day_by_day(
    amount_due: Decimal,
    paid: list[tuple[dt.date, Decimal]],
    start: dt.date,
    end: dt.date,
) -> Decimal:
    """The reference: each day's base x that day's daily amount, summed per run of equal
    (base, rate) as the lines do, without the shortcut over runs."""
    total = Decimal("0.00")
    runs: list[list[object]] = []
    day = start
    while day < end:
        base = max(amount_due - sum((a for d, a in paid if d <= day), Decimal(0)), Decimal(0))
        if base > 0:
            rate = STATUTORY(day)
            if runs and runs[-1][1] == day and runs[-1][2] == base and runs[-1][3] == rate:
                runs[-1][1] = day + dt.timedelta(days=1)
            else:
                runs.append([day, day + dt.timedelta(days=1), base, rate])
        day += dt.timedelta(days=1)
    for first, after, base, rate in runs:
        price = round_money(base * rate.rate, mode=RoundingMode.HALF_UP, places=9)  # type: ignore[attr-defined, operator]
        total += round_money((after - first).days * price, mode=RoundingMode.HALF_UP)  # type: ignore[operator]
    return total


@given(
    cents=st.integers(1, 10_000_000),
    payments=st.lists(st.tuples(st.integers(0, 120), st.integers(1, 500_000)), max_size=4),
    offset=st.integers(0, 200),
    days=st.integers(1, 150),
)
def test_the_runs_give_what_walking_day_by_day_gives(
    cents: int, payments: list[tuple[int, int]], offset: int, days: int
) -> None:
    start = D(2025, 3, 1) + dt.timedelta(days=offset)
    paid = [(start + dt.timedelta(days=d), Decimal(c).scaleb(-2)) for d, c in payments]
    amount_due = Decimal(cents).scaleb(-2)
    end = start + dt.timedelta(days=days)
    got = sum(
        (ln.amount for ln in lines(amount_due=amount_due, paid=paid, start=start, end=end,
                                   rate_on=STATUTORY)),
        Decimal("0.00"),
    )  # fmt: skip
    assert got == _day_by_day(amount_due, paid, start, end)
