"""What pricing gives back for a chunk of accounts: draft lines by account, or an exception.

Pure (no Django): :class:`DraftLine`, :class:`PricedAccounts` and the rule that an account
that failed keeps nothing but its exception (:func:`settle_failures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from vool.domain.billing import consumption
from vool.domain.tariffs import rating

__all__ = ["DraftLine", "PointKey", "PricedAccounts", "settle_failures"]


class PointKey(NamedTuple):
    """A point as billed on one account (a point moves between accounts at a move)."""

    account_id: int
    point_id: int


@dataclass(frozen=True)
class DraftLine:
    metering_point_id: int | None  # None: a charge of the account (interest, a fee)
    line: rating.Line
    ledger_account: str
    is_estimated: bool
    is_true_up: bool
    basis: dict[str, Any]


@dataclass
class PricedAccounts:
    lines: dict[int, list[DraftLine]] = field(default_factory=dict)
    exceptions: dict[int, tuple[str, str]] = field(default_factory=dict)  # code, reason
    # interval corrections whose version each account's bill holds (IntervalCorrection ids)
    corrections: dict[int, list[int]] = field(default_factory=dict)
    # the interval data each account's bill holds: the month's versions, true-up terms
    interval_days: dict[int, list[consumption.BilledDays]] = field(default_factory=dict)
    interval_terms: dict[int, list[Any]] = field(default_factory=dict)  # true_ups.Term
    # accounts that cannot be billed (code, reason), as found; they end in ``exceptions``
    failed: dict[int, tuple[str, str]] = field(default_factory=dict)

    def fail(self, account_id: int, code: str, reason: str) -> None:
        """The account cannot be billed (the first reason found is kept)."""
        self.failed.setdefault(account_id, (code, reason))

    def add_lines(self, account_id: int, drafts: Sequence[DraftLine]) -> None:
        self.lines.setdefault(account_id, []).extend(drafts)


def settle_failures(result: PricedAccounts) -> None:
    """Accounts that failed keep nothing but their exception."""
    for account_id, code_and_reason in result.failed.items():
        result.lines.pop(account_id, None)
        result.corrections.pop(account_id, None)
        result.interval_days.pop(account_id, None)
        result.interval_terms.pop(account_id, None)
        result.exceptions[account_id] = code_and_reason
    result.failed.clear()
