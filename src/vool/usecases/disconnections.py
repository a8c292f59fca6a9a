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
    connect_requests: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)  # DISCONNECT requests called off
    refused: list[str] = field(default_factory=list)  # CONNECT or call-off the hub refused


@dataclass(frozen=True)
class DunningOutcome:
    result: dunning.DunningResult
    hub: DisconnectionReport | None  # None: the hub connection is off


def run_dunning(
    *, run_date: dt.date, as_of: dt.datetime, by: str = "", hub: HubApi | None = None
) -> DunningOutcome:
    """The dunning run of ``run_date``; then, with a hub (``hub``, or the configured one when
    ``VOOL_DATAHUB_ENABLED``), its disconnection requests and any reconnections are sent."""
    result = dunning.run_dunning(run_date=run_date, as_of=as_of, by=by)
    if hub is None and not settings.VOOL_DATAHUB_ENABLED:
        return DunningOutcome(result=result, hub=None)
    if hub is not None:
        return DunningOutcome(result=result, hub=send_all(hub=hub, today=run_date, now=as_of))
    with datahub.hub_from_settings() as configured:
        report = send_all(hub=configured, today=run_date, now=as_of)
    return DunningOutcome(result=result, hub=report)


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
    points_of: dict[int, list[int]] = defaultdict(list)
    for live in contract_queries.live_contracts(
        start=today, end=today + dt.timedelta(days=1), billing_account_ids=account_ids
    ):
        points_of[live.billing_account_id].append(live.metering_point_id)
    point_ids = {pid for ids in points_of.values() for pid in ids}
    points = supply_queries.metering_points_by_id(ids=point_ids)
    standing = hub_queries.standing_disconnections_of_points(metering_point_ids=point_ids)
    for request in pending:
        account_points = points_of.get(request.billing_account_id, [])
        why = _why_not(request, protected=protected, paid=paid, points=account_points)
        if why:
            receivables_operations.close_disconnection_request(
                request_id=request.request_id, sent=False, note=why, now=now
            )
            report.not_sent[request.reference_number] = why
            continue
        done = [
            _disconnect(hub, request, points[point_id], standing=standing, now=now, report=report)
            for point_id in account_points
        ]
        refused = [d.note for d in done if d.refused]
        if refused:
            report.not_sent[request.reference_number] = "; ".join(refused)
        receivables_operations.close_disconnection_request(
            request_id=request.request_id,
            sent=len(refused) < len(done),
            note="; ".join(d.note for d in done),
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
