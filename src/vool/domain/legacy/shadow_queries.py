"""Reads for shadow billing (:mod:`vool.usecases.legacy_shadow`): the loaded legacy bills of
a month as :class:`vool.domain.legacy.shadow.Bill`, and the old account keys."""

from __future__ import annotations

from collections.abc import Iterable

from vool.domain.legacy import shadow
from vool.domain.legacy.models import HistoricBill, HistoricBillLine, KeyMap


def last_legacy_month() -> str:
    """The latest billing month of the loaded legacy bills (``YYYY-MM``)."""
    period = HistoricBill.objects.order_by("-period").values_list("period", flat=True).first()
    if period is None:
        raise ValueError("No legacy bills loaded: run `vool legacy load DIR` first.")
    return str(period)


def legacy_bills(period: str) -> dict[int, shadow.Bill]:
    """The loaded legacy bills of ``period`` by Vool billing account id."""
    bills = {
        b.pk: b for b in HistoricBill.objects.filter(period=period).order_by("billing_account_id")
    }
    lines: dict[int, list[shadow.BillLine]] = {pk: [] for pk in bills}
    for line in HistoricBillLine.objects.filter(bill__period=period).order_by("bill", "position"):
        lines[line.bill_id].append(
            shadow.BillLine(
                component=shadow.legacy_component(line.description),
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                amount=line.amount,
            )
        )
    return {
        b.billing_account_id: shadow.Bill(tuple(lines[pk]), b.vat_amount, b.total_amount)
        for pk, b in bills.items()
    }


def old_account_keys(account_ids: Iterable[int]) -> dict[int, str]:
    """Vool billing account id → the legacy account key it was loaded from."""
    return dict(
        KeyMap.objects.filter(entity="accounts", new_id__in=list(account_ids)).values_list(
            "new_id", "old_key"
        )
    )
