"""``vool datahub sync`` against the local hub stand-in: progress per page, the summary, and
a clear refusal while the hub connection is off."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from datahub_server import CLIENT_ID, CLIENT_SECRET, LocalHub

pytestmark = pytest.mark.django_db


def test_off_by_default_with_a_clear_message() -> None:
    with pytest.raises(CommandError, match="The data hub connection is off"):
        call_command("datahub", "sync")


def test_the_sync_shows_its_progress_and_resumes(settings: object) -> None:
    with LocalHub() as local:
        for name, value in {
            "VOOL_DATAHUB_ENABLED": True,
            "VOOL_DATAHUB_BASE_URL": local.url,
            "VOOL_DATAHUB_TOKEN_URL": f"{local.url}/token",
            "VOOL_DATAHUB_CLIENT_ID": CLIENT_ID,
            "VOOL_DATAHUB_CLIENT_SECRET": CLIENT_SECRET,
        }.items():
            setattr(settings, name, value)
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)).replace(microsecond=0)
        local.state.publish("CUSTOMER", since + dt.timedelta(hours=1), [{"customerId": "C-1"}])
        out = StringIO()
        args = ["datahub", "sync", "--type", "CUSTOMER", "--since", since.isoformat()]
        call_command(*args, "--max-pages", "1", stdout=out)
        assert "CUSTOMER" in out.getvalue() and "page 0: 1 new" in out.getvalue()
        assert "Stopped at --max-pages; run again to go on." in out.getvalue()
        out = StringIO()
        call_command(*args, stdout=out)
        assert "1 pages, 0 new entries" in out.getvalue()
        assert "Stopped" not in out.getvalue()
