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
from typing import Final

__all__ = [
    "LEAD_DAYS_FROM_GENERAL_SERVICE",
    "LEAD_DAYS_FROM_OPEN_SUPPLY",
    "WITHDRAWAL_DAYS",
    "earliest_start",
    "withdrawal_problem",
]

LEAD_DAYS_FROM_OPEN_SUPPLY: Final = 14
LEAD_DAYS_FROM_GENERAL_SERVICE: Final = 1
WITHDRAWAL_DAYS: Final = 14


def earliest_start(*, submitted_on: dt.date, open_supply_elsewhere: bool) -> dt.date:
    """The first day a supply agreement submitted on ``submitted_on`` may start."""
    days = LEAD_DAYS_FROM_OPEN_SUPPLY if open_supply_elsewhere else LEAD_DAYS_FROM_GENERAL_SERVICE
    return submitted_on + dt.timedelta(days=days)


def withdrawal_problem(*, concluded_on: dt.date, starts_on: dt.date, today: dt.date) -> str | None:
    """Why a withdrawal on ``today`` cannot cancel the agreement, or ``None`` if it can."""
    if today > concluded_on + dt.timedelta(days=WITHDRAWAL_DAYS):
        return (
            f"the contract was concluded on {concluded_on}; a withdrawal is possible for "
            f"{WITHDRAWAL_DAYS} days, until {concluded_on + dt.timedelta(days=WITHDRAWAL_DAYS)}"
        )
    if today >= starts_on:
        return (
            f"the supply starts on {starts_on}; the agreement is cancelled in the hub at "
            "least one day before it starts (end the contract instead)"
        )
    return None
