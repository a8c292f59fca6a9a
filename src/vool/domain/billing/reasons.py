"""Why an account cannot be billed: the exception codes of the bill run
(``BillRunException.code``) and the exception pricing raises to put an account there. Pure: no
Django (their descriptions in words are in :mod:`vool.domain.billing.unbillable`)."""

from __future__ import annotations

__all__ = [
    "ESTIMATION_FAILED",
    "IMPLAUSIBLE_BILL",
    "MISSING_PRICE",
    "NO_CONSUMPTION_DATA",
    "NO_CONTRACT",
    "PENDING_REVIEW",
    "WINDOW_OPEN",
    "Unbillable",
]

NO_CONTRACT = "NO_CONTRACT"
MISSING_PRICE = "MISSING_PRICE"
NO_CONSUMPTION_DATA = "NO_CONSUMPTION_DATA"
PENDING_REVIEW = "PENDING_REVIEW"
WINDOW_OPEN = "READING_WINDOW_OPEN"
ESTIMATION_FAILED = "ESTIMATION_FAILED"  # the run's estimation step failed for a register
IMPLAUSIBLE_BILL = "IMPLAUSIBLE_BILL"  # the plausibility guard (billing.guard) held the bill


class Unbillable(Exception):
    """The account goes to the run's exceptions with ``code`` and ``reason`` (a person reads
    the reason and acts on it); the run goes on with the other accounts."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
