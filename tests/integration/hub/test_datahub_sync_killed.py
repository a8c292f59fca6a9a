"""``vool datahub sync`` killed with SIGKILL mid-way, then run again: every entry is handled
exactly once (a real process, a real kill, the local hub stand-in)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub
from factories import MeteringPointFactory
from vool.domain.hub.models import HubCursor, HubEntry
from vool.domain.metering.models import IntervalDay, MeteringImport
from vool.integrations.datahub.client import HttpHub, HubConfig
from vool.usecases import datahub
from worker_processes import database_url

pytestmark = pytest.mark.django_db(transaction=True)

VOOL = Path(sys.executable).with_name("vool")
EIC = "38ZEE-00625607-9"


def test_a_killed_sync_resumes_and_handles_every_entry_once() -> None:
    MeteringPointFactory(eic=EIC)
    hour_start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    since = hour_start - dt.timedelta(hours=12)
    with LocalHub() as local:
        for hour in range(12):
            start = since + dt.timedelta(hours=hour)
            points = [
                {
                    "meteringPointEic": EIC,
                    "periods": [{"pS": start.isoformat(), "outQty": {"rType": "M", "kwh": 0.1}}],
                }
            ]
            local.state.publish("METERING_DATA", start + dt.timedelta(minutes=30), points)
        local.state.delay_s = 0.3
        env = dict(
            os.environ,
            DATABASE_URL=database_url(),
            VOOL_DATAHUB_ENABLED="1",
            VOOL_DATAHUB_BASE_URL=local.url,
            VOOL_DATAHUB_TOKEN_URL=f"{local.url}/token",
            VOOL_DATAHUB_CLIENT_ID=CLIENT_ID,
            VOOL_DATAHUB_CLIENT_SECRET=CLIENT_SECRET,
        )
        process = subprocess.Popen(
            [str(VOOL), "datahub", "sync", "--type", "METERING_DATA", "--since", since.isoformat()],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if HubEntry.objects.filter(status="DONE").count() >= 3:
                    break
                assert process.poll() is None, "the sync ended before it could be killed"
                time.sleep(0.05)
            else:
                pytest.fail("the sync did not get going")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        done_before = HubEntry.objects.count()
        assert 3 <= done_before < 12
        assert HubCursor.objects.get().pages_read == done_before
        local.state.delay_s = 0
        config = HubConfig(
            base_url=local.url,
            token_url=f"{local.url}/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_version="v2",
        )
        with HttpHub(config) as api:
            report = datahub.sync(
                hub=api,
                now=dt.datetime.now(dt.UTC),
                since=since,
                resource_types=["METERING_DATA"],
            )
    assert report.new_entries == 12 - done_before
    assert HubEntry.objects.filter(status="DONE").count() == 12
    assert MeteringImport.objects.count() == 12
    current = IntervalDay.objects.filter(is_current=True)
    assert sum(d.total_wh for d in current) == 1200
