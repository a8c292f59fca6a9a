"""Why an account cannot be billed in a run: the exception codes of the bill run
(``BillRunException.code``) and the exception pricing raises to put an account there."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from vool.domain.billing.reasons import (
    ESTIMATION_FAILED,
    IMPLAUSIBLE_BILL,
    MISSING_PRICE,
    NO_CONSUMPTION_DATA,
    NO_CONTRACT,
    PENDING_REVIEW,
    WINDOW_OPEN,
    Unbillable,
)

__all__ = [
    "DESCRIPTIONS",
    "ESTIMATION_FAILED",
    "IMPLAUSIBLE_BILL",
    "MISSING_PRICE",
    "NO_CONSUMPTION_DATA",
    "NO_CONTRACT",
    "PENDING_REVIEW",
    "WINDOW_OPEN",
    "Unbillable",
    "describe",
]

# what each code means, in words, for the run's report and page
DESCRIPTIONS = {
    NO_CONTRACT: _("no supply contract in the month"),
    MISSING_PRICE: _("a price or tariff is missing"),
    NO_CONSUMPTION_DATA: _("no consumption data (readings or interval data)"),
    PENDING_REVIEW: _("a reading waits for review"),
    WINDOW_OPEN: _("the reading window is still open"),
    ESTIMATION_FAILED: _("estimating a missing reading failed"),
    IMPLAUSIBLE_BILL: _("the bill looks implausible: a person must check it"),
}


def describe(code: str) -> str:
    """The exception code in words (the code itself when it has no description)."""
    description = DESCRIPTIONS.get(code)
    return str(description) if description is not None else code
