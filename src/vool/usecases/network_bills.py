"""The grid operators' network bills against what Vool billed (issue 15, joint invoices).

A point under a joint-invoice agreement (``hub.JointInvoice``) has its network fee on our
invoice: Vool prices the network energy itself, from the metering data and the dated network
tariffs, like every other line. The grid operator's own bill for the point, distributed by
the hub (NETWORK_BILL), is the cross-check, not the source (see docs/architecture.md,
"Network bills and joint invoices"): :func:`check` lists, for a month, every point whose
billed network kWh differ from the hub's bill, and the points where one side is missing.

Compared: the kWh consumed (direction OUT) per time band. The hub's bill has DAY and NIGHT;
Vool's network lines have the package's bands (DAY and NIGHT, or ALL for a single-rate
package: then the totals are compared). Billed means the NETWORK_ENERGY lines of issued
invoices not credited, within the bill's period (true-ups included). Equal means equal to
the Wh (both have 3 decimals).

:func:`record_check` also keeps what it found as the back office's work queue "Network bill
differences" (``hub.NetworkBillDifference``): a clerk explains each (with a reason, audited:
``usecases.case_work.explain_bill_differences``); a later check that no longer finds one
closes it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from vool.common.localtime import Month
from vool.domain.billing import queries as billing_queries
from vool.domain.hub import operations as hub_operations
from vool.domain.hub import queries as hub_queries
from vool.domain.supply import queries as supply_queries

__all__ = ["BillDifference", "NetworkBillCheck", "RecordedCheck", "check", "record_check"]

# what a difference is
KWH_DIFFER: Final = "KWH_DIFFER"  # both sides have the period, the kWh differ
NO_HUB_BILL: Final = "NO_HUB_BILL"  # joint invoice in the month, the hub sent no network bill
NOT_BILLED: Final = "NOT_BILLED"  # the hub billed kWh, our issued invoices have no network kWh
NO_JOINT_INVOICE: Final = "NO_JOINT_INVOICE"  # a network bill for a point with no agreement

_ZERO: Final = Decimal("0.000")


@dataclass(frozen=True)
class BillDifference:
    eic: str
    kind: str
    band: str = ""  # DAY, NIGHT or ALL (totals); "" when the whole point differs
    hub_kwh: Decimal | None = None
    billed_kwh: Decimal | None = None
    bill_id: str = ""
    metering_point_id: int = 0

    @property
    def difference(self) -> Decimal | None:
        """Billed minus the hub's (positive: we billed more)."""
        if self.hub_kwh is None or self.billed_kwh is None:
            return None
        return self.billed_kwh - self.hub_kwh


@dataclass
class NetworkBillCheck:
    period: Month
    bills: int = 0
    joint_points: int = 0
    matching: int = 0
    differences: list[BillDifference] = field(default_factory=list)


@dataclass(frozen=True)
class RecordedCheck:
    """What :func:`record_check` found, and what that did to the back office's queue."""

    check: NetworkBillCheck
    recorded: hub_operations.RecordedDifferences


def _compare(
    eic: str,
    point_id: int,
    bill_id: str,
    hub: dict[str, Decimal],
    billed: dict[str, Decimal],
) -> list[BillDifference]:
    """The bands in which the hub's OUT kWh (``hub``: DAY, NIGHT) and ours differ."""
    if not billed:
        total = hub["DAY"] + hub["NIGHT"]
        if total == 0:
            return []
        return [BillDifference(eic, NOT_BILLED, "ALL", total, _ZERO, bill_id, point_id)]
    if set(billed) - {"DAY", "NIGHT"}:  # a single-rate package (ALL): compare the totals
        hub_total, ours = hub["DAY"] + hub["NIGHT"], sum(billed.values(), _ZERO)
        if hub_total == ours:
            return []
        return [BillDifference(eic, KWH_DIFFER, "ALL", hub_total, ours, bill_id, point_id)]
    return [
        BillDifference(eic, KWH_DIFFER, band, hub[band], billed.get(band, _ZERO), bill_id, point_id)
        for band in ("DAY", "NIGHT")
        if hub[band] != billed.get(band, _ZERO)
    ]


def check(*, period: Month) -> NetworkBillCheck:
    """Compare the network bills of ``period`` (by the start of their period) with the
    network kWh billed for the same days; see the module."""
    first, end = period.first_day, period.next().first_day
    report = NetworkBillCheck(period=period)
    bills = hub_queries.network_bills_starting(start=first, end=end)
    joint = hub_queries.points_with_joint_invoice_between(start=first, end=end)
    report.bills, report.joint_points = len(bills), len(joint)
    by_period: dict[tuple[dt.date, dt.date], list[int]] = defaultdict(list)
    for bill in bills:
        by_period[(bill.period_start, bill.period_end)].append(bill.metering_point_id)
    billed: dict[tuple[dt.date, dt.date, int], dict[str, Decimal]] = defaultdict(dict)
    for (start, stop), ids in by_period.items():
        kwh_of = billing_queries.issued_network_kwh(point_ids=ids, first_day=start, end_day=stop)
        for (point_id, band), kwh in kwh_of.items():
            billed[(start, stop, point_id)][band] = kwh
    with_bill: set[int] = set()
    for bill in bills:
        point_id = bill.metering_point_id
        with_bill.add(point_id)
        eic = bill.metering_point.eic
        if point_id not in joint:
            report.differences.append(
                BillDifference(
                    eic, NO_JOINT_INVOICE, bill_id=bill.bill_id, metering_point_id=point_id
                )
            )
            continue
        ours = billed.get((bill.period_start, bill.period_end, point_id), {})
        found = _compare(
            eic,
            point_id,
            bill.bill_id,
            {"DAY": bill.day_out_kwh, "NIGHT": bill.night_out_kwh},
            ours,
        )
        report.differences += found
        report.matching += not found
    missing = joint - with_bill
    if missing:
        points = supply_queries.metering_points_by_id(ids=missing)
        report.differences += [
            BillDifference(points[pid].eic, NO_HUB_BILL, metering_point_id=pid)
            for pid in sorted(missing)
        ]
    report.differences.sort(key=lambda d: (d.eic, d.kind, d.band))
    return report


def record_check(*, period: Month, now: dt.datetime) -> RecordedCheck:
    """:func:`check`, and keep what it found as the back-office queue (see the module): new
    differences open, those no longer found close."""
    report = check(period=period)
    recorded = hub_operations.record_bill_differences(
        period=period.first_day, found=report.differences, now=now
    )
    return RecordedCheck(check=report, recorded=recorded)
