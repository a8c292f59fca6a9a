"""Celery tasks of the data hub: the scheduler's sync (Celery beat, every 15 minutes) and the
daily check of the grid operators' network bills of the month before against our invoices,
which keeps the back office's network-bill queue current."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from vool.common.localtime import Month, local_date
from vool.usecases import datahub, disconnections, hub_agreements, network_bills

SYNC_TASK = "vool.datahub.sync"
CHECK_TASK = "vool.datahub.check_network_bills"


@shared_task(name=SYNC_TASK)
def sync_datahub(*, since_hours: int = 24) -> str:
    """Read the hub's new entries (resumes where the last sync stopped; a type never read
    starts ``since_hours`` back). ``DISABLED`` while the hub connection is off."""
    now = timezone.now()
    try:
        hub = datahub.hub_from_settings()
    except datahub.HubDisabled:
        return "DISABLED"
    with hub:
        report = datahub.sync(hub=hub, now=now, since=now - dt.timedelta(hours=since_hours))
        sent = hub_agreements.send_pending_agreements(hub=hub, today=local_date(now), now=now)
        connections = disconnections.send_all(hub=hub, today=local_date(now), now=now)
    return (
        f"{report.pages} pages, {report.new_entries} new, {report.queued} queued; "
        f"{sent.submitted} agreements sent, "
        f"{len(connections.disconnect_requests) + len(connections.connect_requests)} "
        "connection-state requests"
    )


@shared_task(name=CHECK_TASK)
def check_network_bills(*, today: str | None = None) -> str:
    """Check the month before ``today`` (ISO date; by default the local date now): the hub's
    network bills against our issued joint invoices, the differences recorded as the back
    office's queue (new ones open, those no longer found close). Grid operators send a month's
    bills in the next month's first days, and may correct them: checked daily, the queue is
    never more than a day behind."""
    now = timezone.now()
    day = dt.date.fromisoformat(today) if today else local_date(now)
    period = Month.of(day).previous()
    recorded = network_bills.record_check(period=period, now=now).recorded
    return (
        f"{period}: {recorded.new} new, {recorded.still_open} still open, "
        f"{recorded.gone} no longer differ"
    )
