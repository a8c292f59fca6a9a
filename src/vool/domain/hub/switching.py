"""The legal lead times of a supplier switch in Estonia (the hub's
``eng/06.4-open-supplier-change-process.md``, rules since 1 January 2023). Pure.

* A switch may start on any calendar day.
* The new supplier submits the agreement at least 14 days before it starts when the customer
  has an open supply agreement with another supplier (the hub then ends that one), at least
  1 day before when the customer is on general service (üldteenus) or has no supplier.
* A consumer may withdraw within 14 days of concluding the contract; the supplier then cancels
  the agreement in the hub at least 1 day before it starts.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, NamedTuple

__all__ = [
    "LEAD_DAYS_FROM_GENERAL_SERVICE",
    "LEAD_DAYS_FROM_OPEN_SUPPLY",
    "WITHDRAWAL_DAYS",
    "WithdrawalRefusal",
    "earliest_start",
    "withdrawal_problem",
    "withdrawal_refusal",
]

LEAD_DAYS_FROM_OPEN_SUPPLY: Final = 14
LEAD_DAYS_FROM_GENERAL_SERVICE: Final = 1
WITHDRAWAL_DAYS: Final = 14


def earliest_start(*, submitted_on: dt.date, open_supply_elsewhere: bool) -> dt.date:
    """The first day a supply agreement submitted on ``submitted_on`` may start."""
    days = LEAD_DAYS_FROM_OPEN_SUPPLY if open_supply_elsewhere else LEAD_DAYS_FROM_GENERAL_SERVICE
    return submitted_on + dt.timedelta(days=days)


class WithdrawalRefusal(NamedTuple):
    """Why a withdrawal cannot cancel the agreement: too late (``until`` was the last day) or
    the supply starts on ``starts_on`` already."""

    too_late: bool
    concluded_on: dt.date
    until: dt.date
    starts_on: dt.date


def withdrawal_refusal(
    *, concluded_on: dt.date, starts_on: dt.date, today: dt.date
) -> WithdrawalRefusal | None:
    """Why a withdrawal on ``today`` cannot cancel the agreement, or ``None`` if it can."""
    until = concluded_on + dt.timedelta(days=WITHDRAWAL_DAYS)
    if today > until or today >= starts_on:
        return WithdrawalRefusal(today > until, concluded_on, until, starts_on)
    return None


def withdrawal_problem(*, concluded_on: dt.date, starts_on: dt.date, today: dt.date) -> str | None:
    """Why a withdrawal on ``today`` cannot cancel the agreement (in English), or ``None``."""
    refusal = withdrawal_refusal(concluded_on=concluded_on, starts_on=starts_on, today=today)
    if refusal is None:
        return None
    if refusal.too_late:
        return (
            f"the contract was concluded on {concluded_on}; a withdrawal is possible for "
            f"{WITHDRAWAL_DAYS} days, until {refusal.until}"
        )
    return (
        f"the supply starts on {starts_on}; the agreement is cancelled in the hub at "
        "least one day before it starts (end the contract instead)"
    )
