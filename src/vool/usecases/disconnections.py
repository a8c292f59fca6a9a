"""Dunning's disconnection step through the data hub (issue 15, section 2).

A dunning run (:func:`run_dunning`) writes its letters and, for the accounts that reached the
DISCONNECTION level, PENDING disconnection requests (``receivables``; the domain knows nothing
of the hub). With the hub connection on, this module sends them: for each request, one
connection-state DISCONNECT (:func:`vool.usecases.datahub.request_connection_state`) per
metering point the account is supplied at on the day, recorded with the account it is for.

* Never twice: a point with a DISCONNECT request that still stands (not refused or cancelled,
  no CONNECT asked for after it) gets no second one, and a request is handled once (SENT, or
  CANCELLED with the reason).
* Not sent (CANCELLED, the note says why): the customer is vulnerable, a vulnerable or clerk's
  dunning hold is active on the day, the debt was paid in the meantime, or the account is
  supplied at no point.
* **Only with a joint invoice** (ESTONIA.md §6, the hub's connection-state rules): a supplier
  may have a point disconnected for non-payment only when it bills the point's network fee
  too (``hub.JointInvoice`` on the day). A request whose account has no such point is closed
  at once, in the dunning run, whether the hub is on or not (CANCELLED, the translated reason
  in the note), and the run lists the account (``DunningOutcome.without_joint_invoice``);
  of an account with some such points, only those are asked for, the others named in the
  note.
* Paid in full afterwards (:func:`send_reconnections`): when every invoice that reached the
  DISCONNECTION level is paid, a point already DISCONNECTED gets a CONNECT request; a
  request not carried out yet (REQUESTED, PLANNED) is cancelled in the hub instead.

The hub being unreachable stops the step; what is not sent stays PENDING and the next run or
``vool datahub sync`` sends it. The grid operator's answers arrive with the sync and are shown
with the request in the admin (*Connection-state requests*).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext

from vool.domain.contracts import queries as contract_queries
from vool.domain.hub import operations as hub_operations
from vool.domain.hub import queries as hub_queries
from vool.domain.receivables import dunning
from vool.domain.receivables import operations as receivables_operations
from vool.domain.receivables import queries as receivables_queries
from vool.domain.supply import queries as supply_queries
from vool.integrations.datahub.client import HubApi, HubRefused
from vool.usecases import datahub

if TYPE_CHECKING:
    from vool.domain.hub.models import ConnectionRequest
    from vool.domain.supply.models import MeteringPoint

__all__ = [
    "DisconnectionReport",
    "DunningOutcome",
    "run_dunning",
    "send_disconnections",
    "send_reconnections",
]


@dataclass
class DisconnectionReport:
    disconnect_requests: list[str] = field(default_factory=list)  # the hub's request ids
    not_sent: dict[str, str] = field(default_factory=dict)  # account reference -> why
    # account reference -> why: points whose network fee we do not bill (no joint invoice)
    without_joint_invoice: dict[str, str] = field(default_factory=dict)
    connect_requests: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)  # DISCONNECT requests called off
    refused: list[str] = field(default_factory=list)  # CONNECT or call-off the hub refused


@dataclass(frozen=True)
class DunningOutcome:
    result: dunning.DunningResult
    hub: DisconnectionReport | None  # None: the hub connection is off
    # account reference -> why no disconnection is asked for: no joint invoice (see the module)
    without_joint_invoice: dict[str, str] = field(default_factory=dict)


def run_dunning(
    *, run_date: dt.date, as_of: dt.datetime, by: str = "", hub: HubApi | None = None
) -> DunningOutcome:
    """The dunning run of ``run_date``; the requests of accounts with no joint invoice are
    closed and listed; then, with a hub (``hub``, or the configured one when
    ``VOOL_DATAHUB_ENABLED``), the other disconnection requests and any reconnections are
    sent."""
    result = dunning.run_dunning(run_date=run_date, as_of=as_of, by=by)
    refused = refuse_without_joint_invoice(today=run_date, now=as_of)
    if hub is None and not settings.VOOL_DATAHUB_ENABLED:
        return DunningOutcome(result=result, hub=None, without_joint_invoice=refused)
    if hub is not None:
        report = send_all(hub=hub, today=run_date, now=as_of)
    else:
        with datahub.hub_from_settings() as configured:
            report = send_all(hub=configured, today=run_date, now=as_of)
    return DunningOutcome(
        result=result, hub=report, without_joint_invoice={**refused, **report.without_joint_invoice}
    )


def no_joint_invoice_reason(eics: list[str], *, day: dt.date) -> str:
    """The translated reason a point is not asked to be disconnected: no joint invoice."""
    return gettext(
        "not sent: we do not bill the network fee of %(points)s on %(day)s (no joint-invoice "
        "agreement), and a supplier may ask for a disconnection for non-payment only with one"
    ) % {"points": ", ".join(sorted(eics)), "day": day.isoformat()}


@dataclass(frozen=True)
class _Plan:
    """An account's pending request, on the day: the points it is supplied at, and of those
    the ones whose network fee we bill (a joint invoice)."""

    points: list[int]
    joint: list[int]


def _plans(
    pending: list[receivables_queries.PendingDisconnection], *, today: dt.date
) -> tuple[dict[int, _Plan], dict[int, MeteringPoint]]:
    """Per account of ``pending``: its plan; and the points by id."""
    account_ids = [p.billing_account_id for p in pending]
    points_of: dict[int, list[int]] = defaultdict(list)
    for live in contract_queries.live_contracts(
        start=today, end=today + dt.timedelta(days=1), billing_account_ids=account_ids
    ):
        points_of[live.billing_account_id].append(live.metering_point_id)
    point_ids = {pid for ids in points_of.values() for pid in ids}
    joint = hub_queries.points_with_joint_invoice(metering_point_ids=point_ids, on=today)
    plans = {
        account_id: _Plan(
            points=points_of.get(account_id, []),
            joint=[pid for pid in points_of.get(account_id, []) if pid in joint],
        )
        for account_id in account_ids
    }
    return plans, supply_queries.metering_points_by_id(ids=point_ids)


def refuse_without_joint_invoice(*, today: dt.date, now: dt.datetime) -> dict[str, str]:
    """Close the PENDING requests of accounts supplied only at points whose network fee we do
    not bill (CANCELLED, the reason in the note); account reference -> the reason."""
    pending = receivables_queries.pending_disconnections()
    if not pending:
        return {}
    plans, points = _plans(pending, today=today)
    refused: dict[str, str] = {}
    for request in pending:
        plan = plans[request.billing_account_id]
        if not plan.points or plan.joint:
            continue  # no point: the send step says so; a joint point: it is asked for
        why = no_joint_invoice_reason([points[p].eic for p in plan.points], day=today)
        receivables_operations.close_disconnection_request(
            request_id=request.request_id, sent=False, note=why, now=now
        )
        refused[request.reference_number] = why
    return refused


def send_all(*, hub: HubApi, today: dt.date, now: dt.datetime) -> DisconnectionReport:
    """The pending disconnection requests, then the reconnections of paid accounts."""
    report = send_disconnections(hub=hub, today=today, now=now)
    send_reconnections(hub=hub, now=now, report=report)
    return report


def _why_not(
    pending: receivables_queries.PendingDisconnection,
    *,
    protected: dict[int, str],
    paid: set[int],
    points: list[int],
) -> str:
    account_id = pending.billing_account_id
    if account_id in protected:
        return f"not sent: {protected[account_id]}"
    if account_id in paid:
        return "not sent: the invoices were paid before the request was sent"
    if not points:
        return "not sent: the account is supplied at no metering point on the day"
    return ""


def send_disconnections(
    *, hub: HubApi, today: dt.date, now: dt.datetime, report: DisconnectionReport | None = None
) -> DisconnectionReport:
    """Send the PENDING disconnection requests (see the module)."""
    report = report if report is not None else DisconnectionReport()
    pending = receivables_queries.pending_disconnections()
    if not pending:
        return report
    account_ids = [p.billing_account_id for p in pending]
    protected = receivables_queries.disconnection_protection(
        billing_account_ids=account_ids, on=today
    )
    paid = receivables_queries.disconnection_debt_paid(billing_account_ids=account_ids)
    plans, points = _plans(pending, today=today)
    standing = hub_queries.standing_disconnections_of_points(metering_point_ids=set(points))
    for request in pending:
        plan = plans[request.billing_account_id]
        why = _why_not(request, protected=protected, paid=paid, points=plan.points)
        if not why and not plan.joint:
            why = no_joint_invoice_reason([points[p].eic for p in plan.points], day=today)
            report.without_joint_invoice[request.reference_number] = why
        if why:
            receivables_operations.close_disconnection_request(
                request_id=request.request_id, sent=False, note=why, now=now
            )
            report.not_sent[request.reference_number] = why
            continue
        done = [
            _disconnect(hub, request, points[point_id], standing=standing, now=now, report=report)
            for point_id in plan.joint
        ]
        refused = [d.note for d in done if d.refused]
        if refused:
            report.not_sent[request.reference_number] = "; ".join(refused)
        left_out = [points[p].eic for p in plan.points if p not in plan.joint]
        notes = [d.note for d in done]
        if left_out:
            reason = no_joint_invoice_reason(left_out, day=today)
            report.without_joint_invoice[request.reference_number] = reason
            notes.append(reason)
        receivables_operations.close_disconnection_request(
            request_id=request.request_id,
            sent=len(refused) < len(done),
            note="; ".join(notes),
            now=now,
        )
    return report


@dataclass(frozen=True)
class _PointDone:
    note: str
    refused: bool = False


def _disconnect(
    hub: HubApi,
    request: receivables_queries.PendingDisconnection,
    point: MeteringPoint,
    *,
    standing: set[int],
    now: dt.datetime,
    report: DisconnectionReport,
) -> _PointDone:
    """One point's DISCONNECT: what was done, as the request's note says it. The hub refusing
    it (e.g. the point is not ours there) is noted, not retried: customer service acts on it."""
    if point.pk in standing:
        return _PointDone(f"{point.eic}: already requested")
    try:
        asked = datahub.request_connection_state(
            hub=hub,
            metering_point=point,
            action=hub_queries.DISCONNECT,
            reason=(
                f"unpaid invoices of billing account {request.reference_number}: "
                f"{request.open_amount} EUR open after the warning (dunning {request.run_date})"
            ),
            user=None,
            now=now,
            billing_account_id=request.billing_account_id,
        )
    except (HubRefused, datahub.UnableToRequestConnection) as exc:
        return _PointDone(f"{point.eic}: the data hub refused the request: {exc}", refused=True)
    standing.add(point.pk)
    report.disconnect_requests.append(asked.request_id)
    return _PointDone(f"{point.eic}: {asked.request_id}")


def send_reconnections(
    *, hub: HubApi, now: dt.datetime, report: DisconnectionReport | None = None
) -> DisconnectionReport:
    """Accounts that paid in full after a disconnection request: reconnect the points already
    disconnected, call off the requests not carried out yet (see the module)."""
    report = report if report is not None else DisconnectionReport()
    standing = hub_queries.standing_debt_disconnections()
    paid = receivables_queries.disconnection_debt_paid(
        billing_account_ids={r.billing_account_id for r in standing if r.billing_account_id}
    )
    for request in standing:
        if request.billing_account_id not in paid:
            continue
        try:
            _reconnect(hub, request, now=now, report=report)
        except HubRefused as exc:  # tried again by the next sync; the others go on
            report.refused.append(f"{request.metering_point.eic}: {exc}")
    return report


def _reconnect(
    hub: HubApi, request: ConnectionRequest, *, now: dt.datetime, report: DisconnectionReport
) -> None:
    if request.state == hub_queries.DISCONNECTED:
        asked = datahub.request_connection_state(
            hub=hub,
            metering_point=request.metering_point,
            action=hub_queries.CONNECT,
            reason=f"the invoices of disconnection request {request.request_id} are paid",
            user=None,
            now=now,
            billing_account_id=request.billing_account_id,
        )
        report.connect_requests.append(asked.request_id)
        return
    hub.cancel_connection_state(request.request_id)
    hub_operations.record_connection_answer(
        request_id=request.request_id,
        state=hub_queries.CANCELLED_REQUEST,
        answered_at=now,
        comment="called off by the supplier: the invoices were paid",
        entry=None,
        now=now,
    )
    report.cancelled.append(request.request_id)
