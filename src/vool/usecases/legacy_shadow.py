"""``vool legacy shadow``: bill the last legacy month again in Vool in a shadow run — the same
engine (:func:`vool.domain.billing.pricing.price_accounts`, which only computes drafts) —
and compare each account with the legacy bill of that month
(:mod:`vool.domain.legacy.shadow`). No invoice numbers, no ledger postings, no delivery:
nothing is written (the run is inside a transaction that is rolled back as well)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from vool.common.localtime import Month
from vool.domain.billing import pricing
from vool.domain.billing.totals import invoice_totals
from vool.domain.legacy import shadow, shadow_queries
from vool.usecases.bill_run import guard_limits
from vool.usecases.submit_reading import reading_policy

CHUNK = 500


def _vool_bills(
    account_ids: list[int], *, period: Month, as_of: dt.datetime
) -> tuple[dict[int, shadow.Bill], dict[int, str]]:
    """Vool's drafts of ``period`` for the accounts, as bills; and why an account has none."""
    window = reading_policy().window
    limits = guard_limits()
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
                shadow.fold_margin(
                    [
                        shadow.BillLine(
                            component=shadow.vool_component(x.component),
                            quantity=x.quantity,
                            unit=str(x.unit),
                            unit_price=x.unit_price,
                            amount=x.amount,
                        )
                        for x in lines
                    ]
                ),
                totals.vat,
                totals.gross,
            )
    return bills, exceptions


def shadow_bill(*, period: str | None, as_of: dt.datetime) -> shadow.ShadowReport:
    """Price ``period`` (default: the last legacy month) for every account that has a legacy
    bill of it, on the data known at ``as_of``, and compare; nothing is kept."""
    period = period or shadow_queries.last_legacy_month()
    month = Month.parse(period)
    legacy = shadow_queries.legacy_bills(str(month))
    old_keys = shadow_queries.old_account_keys(legacy)
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
