"""Which open invoices a payment pays, by the retailer's rule. Pure: no Django.

``OLDEST_FIRST`` (the default): the invoices due earliest first (then by number), each paid in
full before the next; ``EXACT_AMOUNT_FIRST``: an open invoice of exactly the payment's amount
is paid first (the customer paid that bill), then the rest oldest first. What is left over is
a credit balance on the account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

__all__ = ["EXACT_AMOUNT_FIRST", "OLDEST_FIRST", "RULES", "OpenInvoice", "Settlement", "settle"]

OLDEST_FIRST: Final = "OLDEST_FIRST"
EXACT_AMOUNT_FIRST: Final = "EXACT_AMOUNT_FIRST"
RULES: Final = (OLDEST_FIRST, EXACT_AMOUNT_FIRST)
ZERO: Final = Decimal("0.00")


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: int
    number: int
    due_date: dt.date
    open_amount: Decimal  # positive


@dataclass(frozen=True)
class Settlement:
    invoice_id: int
    amount: Decimal


def settle(
    *,
    amount: Decimal,
    open_invoices: Sequence[OpenInvoice],
    rule: str = OLDEST_FIRST,
    first_invoice_id: int | None = None,
) -> tuple[list[Settlement], Decimal]:
    """The settlements of ``amount`` against ``open_invoices`` (each never more than its open
    amount) and what is left over (a credit balance). ``first_invoice_id`` (the invoice a
    direct-debit collection collected) is paid before the rule's order."""
    if rule not in RULES:
        raise ValueError(f"Unknown allocation rule {rule!r}; use one of {', '.join(RULES)}")
    if amount <= 0:
        raise ValueError(f"Only a positive amount is settled, not {amount}")
    ordered = sorted(open_invoices, key=lambda i: (i.due_date, i.number))
    if rule == EXACT_AMOUNT_FIRST:
        exact = [i for i in ordered if i.open_amount == amount]
        ordered = exact[:1] + [i for i in ordered if i not in exact[:1]]
    if first_invoice_id is not None:
        ordered = sorted(ordered, key=lambda i: i.invoice_id != first_invoice_id)
    left = amount
    settlements = []
    for invoice in ordered:
        if left <= 0:
            break
        if invoice.open_amount <= 0:
            continue
        paid = min(left, invoice.open_amount)
        settlements.append(Settlement(invoice.invoice_id, paid))
        left -= paid
    return settlements, left
