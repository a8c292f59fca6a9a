"""``vool legacy shadow``: bill the last legacy month again in Vool in a shadow run — the same
engine (:func:`vool.domain.billing.pricing.price_accounts`, which only computes drafts) —
and compare each account with the legacy bill of that month
(:mod:`vool.domain.legacy.shadow`). No invoice numbers, no ledger postings, no delivery:
nothing is written (the run is inside a transaction that is rolled back as well)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from vool.common.localtime import Month
from vool.domain.billing import guard, pricing
from vool.domain.billing.totals import invoice_totals
from vool.domain.legacy import shadow
from vool.domain.legacy.models import HistoricBill, HistoricBillLine, KeyMap
from vool.usecases.submit_reading import reading_policy

CHUNK = 500


def last_legacy_month() -> str:
    """The latest billing month of the loaded legacy bills (``YYYY-MM``)."""
    period = HistoricBill.objects.order_by("-period").values_list("period", flat=True).first()
    if period is None:
        raise ValueError("No legacy bills loaded: run `vool legacy load DIR` first.")
    return str(period)


def _legacy_bills(period: str) -> dict[int, shadow.Bill]:
    """The loaded legacy bills of ``period`` by Vool billing account id."""
    bills = {
        b.pk: b for b in HistoricBill.objects.filter(period=period).order_by("billing_account_id")
    }
    lines: dict[int, list[shadow.BillLine]] = {pk: [] for pk in bills}
    for line in HistoricBillLine.objects.filter(bill__period=period).order_by("bill", "position"):
        lines[line.bill_id].append(
            shadow.BillLine(
                component=shadow.component_of(line.description),
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


def _vool_bills(
    account_ids: list[int], *, period: Month, as_of: dt.datetime
) -> tuple[dict[int, shadow.Bill], dict[int, str]]:
    """Vool's drafts of ``period`` for the accounts, as bills; and why an account has none."""
    window = reading_policy().window
    limits = guard.configured_limits()
    bills: dict[int, shadow.Bill] = {}
    exceptions: dict[int, str] = {}
    for start in range(0, len(account_ids), CHUNK):
        priced = pricing.price_accounts(
            billing_account_ids=account_ids[start : start + CHUNK],
            period=period,
            as_of=as_of,
            window=window,
            limits=limits,
        )
        for account_id, (code, reason) in priced.exceptions.items():
            exceptions[account_id] = f"{code}: {reason}"
        for account_id, drafts in priced.lines.items():
            if account_id in priced.exceptions:
                continue
            lines = [d.line for d in drafts]
            totals = invoice_totals(lines)
            bills[account_id] = shadow.Bill(
                tuple(
                    shadow.BillLine(
                        component=shadow.component_of(x.component),
                        quantity=x.quantity,
                        unit=str(x.unit),
                        unit_price=x.unit_price,
                        amount=x.amount,
                    )
                    for x in lines
                ),
                totals.vat,
                totals.gross,
            )
    return bills, exceptions


def shadow_bill(*, period: str | None, as_of: dt.datetime) -> shadow.ShadowReport:
    """Price ``period`` (default: the last legacy month) for every account that has a legacy
    bill of it, on the data known at ``as_of``, and compare; nothing is kept."""
    period = period or last_legacy_month()
    month = Month.parse(period)
    legacy = _legacy_bills(str(month))
    old_keys = dict(
        KeyMap.objects.filter(entity="accounts", new_id__in=list(legacy)).values_list(
            "new_id", "old_key"
        )
    )
    with transaction.atomic():
        vool, exceptions = _vool_bills(sorted(legacy), period=month, as_of=as_of)
        transaction.set_rollback(True)
    report = shadow.ShadowReport(str(month))
    for account_id in sorted(legacy, key=lambda i: old_keys.get(i, str(i))):
        report.accounts.append(
            shadow.compare(
                old_keys.get(account_id, str(account_id)),
                legacy[account_id],
                vool.get(account_id),
                exceptions.get(account_id, ""),
            )
        )
    return report
