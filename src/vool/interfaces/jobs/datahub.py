"""Celery task of the data hub: the scheduler's sync (Celery beat, every 15 minutes)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from vool.common.localtime import local_date
from vool.usecases import datahub, disconnections, hub_agreements

SYNC_TASK = "vool.datahub.sync"


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
