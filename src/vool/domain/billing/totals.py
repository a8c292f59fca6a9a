"""An invoice's totals from its lines. Pure: no Django.

Totals are sums of the lines, each already rounded half-up to cents by the rating kernel; VAT
is the kernel's one VAT policy (:func:`vool.domain.tariffs.rating.vat_by_rate`: per rate, the
rate times the sum of that rate's lines, rounded half-up once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from vool.common.money import RoundingMode, round_money
from vool.domain.tariffs.rating import Line, vat_by_rate

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InvoiceTotals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_summary: list[dict[str, str]]  # [{"rate", "base", "vat"}], by rate


def invoice_totals(lines: Iterable[Line]) -> InvoiceTotals:
    lines = list(lines)
    net = sum((line.amount for line in lines), ZERO)
    by_rate = vat_by_rate(lines)
    vat = sum((v for _, v in by_rate.values()), ZERO)
    summary = [
        {"rate": f"{rate.normalize():f}", "base": str(base), "vat": str(v)}
        for rate, (base, v) in sorted(by_rate.items())
    ]
    return InvoiceTotals(net=net, vat=vat, gross=net + vat, vat_summary=summary)


def credit_applied(*, gross: Decimal, balance_before: Decimal) -> Decimal:
    """How much of a credit balance (a negative receivable ``balance_before``) goes against an
    invoice of ``gross``: never more than the invoice, never negative."""
    credit = -balance_before if balance_before < 0 else ZERO
    return round_money(min(credit, max(gross, ZERO)), mode=RoundingMode.HALF_UP)
