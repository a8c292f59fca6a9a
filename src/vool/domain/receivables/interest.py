"""Late-payment interest (viivis) on one overdue invoice, day by day. Pure: no Django.

For every day ``d`` from the day after the due date (VÕS § 113(1): interest runs from the
day after the due date until payment):

* the **base** is the invoice's amount due less what payments dated on or before ``d``
  settled (a payment's value date, else its booking date; the day a payment arrives bears no
  interest on what it paid), less the interest already billed on the invoice itself (no
  interest on interest, VÕS § 113(6)); never below zero;
* the **daily rate** is the contract's own rate a day, or the statutory rate (ECB main
  refinancing rate + 8 % a year, :class:`RatePeriod`) divided by 365. A contractual rate
  above three times the statutory one is not applied (held void by the Riigikohus
  [secondary source, ESTONIA.md § 10]); the statutory rate is used instead.

Consecutive days with the same base and the same daily rate make one :class:`InterestLine`:
``quantity`` = the days, ``unit_price`` = the **daily amount** = base x daily rate rounded
half-up to 9 decimals, ``amount`` = days x daily amount rounded half-up to cents. So every
line multiplies out (quantity x unit price, rounded half-up, = amount) and the per-day
computation is visible on the bill: "100.00 EUR overdue, 31 days x 0.033287671 EUR".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from vool.common.money import RoundingMode, round_money

ZERO = Decimal("0.00")
DAYS_A_YEAR = Decimal(365)
UNIT_PRICE_PLACES = 9
#: a contractual rate above this many times the statutory one is void (Riigikohus)
VOID_MULTIPLE = Decimal(3)


class MissingInterestRate(LookupError):
    """No statutory rate is known for a day (add it as dated data in the admin)."""


@dataclass(frozen=True)
class RatePeriod:
    """The statutory rate in force on ``[start, end)`` (``end`` None: open), % a year."""

    start: dt.date
    end: dt.date | None
    annual_percent: Decimal

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class DailyRate:
    rate: Decimal  # a fraction a day
    label: str  # e.g. "statutory 12.15 % a year / 365" or "contract 0.066 % a day"


@dataclass(frozen=True)
class InterestLine:
    start: dt.date
    end: dt.date  # exclusive
    base: Decimal
    daily_rate: DailyRate
    unit_price: Decimal  # the daily amount: base x daily rate, 9 dp
    amount: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _statutory(period: RatePeriod) -> DailyRate:
    return DailyRate(
        rate=period.annual_percent / 100 / DAYS_A_YEAR,
        label=f"statutory {_percent(period.annual_percent)} % a year / 365",
    )


def statutory_rate_on(day: dt.date, periods: Sequence[RatePeriod]) -> DailyRate:
    for period in periods:
        if period.covers(day):
            return _statutory(period)
    raise MissingInterestRate(
        f"No statutory late-payment interest rate is known for {day}; add the ECB main "
        "refinancing rate of that half-year (statutory interest rates in the admin)."
    )


class RateSchedule:
    """The daily rate of each day (``schedule(day)``): the contract's unless absent or void
    (see the module); ``changes`` are the days on which it may change."""

    def __init__(self, *, contract_daily_rate: Decimal | None, periods: Sequence[RatePeriod]):
        self._periods = [(period, _statutory(period)) for period in periods]
        self._contract = (
            DailyRate(
                rate=contract_daily_rate,
                label=f"contract {_percent(contract_daily_rate * 100)} % a day",
            )
            if contract_daily_rate is not None
            else None
        )
        self.changes = sorted(
            {p.start for p in periods} | {p.end for p in periods if p.end is not None}
        )

    def __call__(self, day: dt.date) -> DailyRate:
        for period, statutory in self._periods:
            if period.covers(day):
                contract = self._contract
                if contract is None or contract.rate > VOID_MULTIPLE * statutory.rate:
                    return statutory
                return contract
        raise MissingInterestRate(
            f"No statutory late-payment interest rate is known for {day}; add the ECB main "
            "refinancing rate of that half-year (statutory interest rates in the admin)."
        )


def rate_chooser(
    *, contract_daily_rate: Decimal | None, periods: Sequence[RatePeriod]
) -> RateSchedule:
    return RateSchedule(contract_daily_rate=contract_daily_rate, periods=periods)


def _base_on(
    day: dt.date,
    amount_due: Decimal,
    paid: Sequence[tuple[dt.date, Decimal]],
    interest_billed_on_it: Decimal,
) -> Decimal:
    settled = sum((amount for paid_on, amount in paid if paid_on <= day), ZERO)
    return max(amount_due - settled - interest_billed_on_it, ZERO)


def interest_lines(
    *,
    amount_due: Decimal,
    paid: Sequence[tuple[dt.date, Decimal]],
    interest_billed_on_it: Decimal,
    start: dt.date,
    end: dt.date,
    rate_on: RateSchedule,
) -> list[InterestLine]:
    """The interest of ``[start, end)`` as lines; days of zero base bear none, and a line
    that rounds to 0.00 is left out. The base and the rate change only on a payment's day
    and on a rate period's bounds, so the days are walked in those runs, not one by one."""
    cuts = sorted(
        {start, end}
        | {day for day, _ in paid if start < day < end}
        | {day for day in rate_on.changes if start < day < end}
    )
    runs: list[tuple[dt.date, dt.date, Decimal, DailyRate]] = []
    for first, after in pairwise(cuts):
        base = _base_on(first, amount_due, paid, interest_billed_on_it)
        if base <= 0:
            continue
        rate = rate_on(first)
        if runs and runs[-1][1] == first and runs[-1][2] == base and runs[-1][3] == rate:
            runs[-1] = (runs[-1][0], after, base, rate)
        else:
            runs.append((first, after, base, rate))
    lines = []
    for first, after, base, rate in runs:
        unit_price = round_money(
            base * rate.rate, mode=RoundingMode.HALF_UP, places=UNIT_PRICE_PLACES
        )
        amount = round_money((after - first).days * unit_price, mode=RoundingMode.HALF_UP)
        if amount > 0:
            lines.append(InterestLine(first, after, base, rate, unit_price, amount))
    return lines
