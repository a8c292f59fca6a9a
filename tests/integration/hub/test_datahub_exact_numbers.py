"""Numbers on the hub-sync path are read exactly, as ``vool intervals import`` reads a file:
the hub's own text of each entry is stored (``HubEntry.raw``) and imported, never a dict whose
numbers went through a float (issue 15). Against the local stand-in hub, which writes a Decimal
with its own digits, as a hub not written in Python does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from datahub_server import LocalHub, dumps
from factories import MeteringPointFactory
from vool.domain.hub.models import HubCursor, HubEntry
from vool.domain.metering.models import IntervalDay, MeteringImport
from vool.integrations.datahub.client import HttpHub
from vool.usecases import datahub, import_intervals

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SINCE = dt.datetime(2026, 11, 1, 22, 0, tzinfo=UTC)  # 2 Nov 00:00 in Tallinn
NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
EIC = "38ZEE-00625607-9"
TOO_PRECISE = Decimal("1.0000000000000001")  # 17 significant digits: a float makes it 1.0


def metering_data(*kwh: Decimal) -> list[dict[str, object]]:
    """V2 metering data of one point, a period per quarter hour from SINCE."""
    return [
        {
            "meteringPointEic": EIC,
            "periods": [
                {
                    "pS": (SINCE + dt.timedelta(minutes=15 * i)).isoformat(),
                    "rTime": "2026-11-02T00:30:00Z",
                    "outQty": {"rType": "M", "kwh": value},
                }
                for i, value in enumerate(kwh)
            ],
        }
    ]


def sync(api: HttpHub) -> datahub.SyncReport:
    return datahub.sync(hub=api, now=NOW, since=SINCE, resource_types=["METERING_DATA"])


def test_a_kwh_a_float_would_round_is_refused_on_sync_as_the_file_import_refuses_it(
    local: LocalHub, api: HttpHub, tmp_path: Path
) -> None:
    MeteringPointFactory(eic=EIC)
    content = metering_data(Decimal("0.250"), TOO_PRECISE)
    local.state.publish("METERING_DATA", SINCE + dt.timedelta(minutes=5), content)
    file = tmp_path / "hub.json"
    file.write_text(dumps(content))
    with pytest.raises(import_intervals.RejectedFile) as refused:
        import_intervals.import_interval_files(paths=[file], as_of=NOW)
    [problem] = refused.value.problems
    assert (problem.field, problem.message) == (
        "outQty.kwh",
        "1.0000000000000001 has more than 3 decimals",
    )

    report = sync(api)

    assert (report.done, report.queued) == (0, 1)
    entry = HubEntry.objects.get()
    assert entry.status == "QUEUED"
    assert f"{problem.location}, {problem.field}: {problem.message}" in entry.problem
    assert not IntervalDay.objects.exists()  # refused whole, as the file is
    assert "1.0000000000000001" in entry.raw  # the hub's digits, kept for the operator


def test_a_three_decimal_kwh_is_stored_to_the_wh_and_the_entry_keeps_the_hubs_text(
    local: LocalHub, api: HttpHub
) -> None:
    MeteringPointFactory(eic=EIC)
    content = metering_data(Decimal("5.678"), Decimal("0.001"), Decimal("2.10"))
    local.state.publish("METERING_DATA", SINCE + dt.timedelta(minutes=5), content)

    report = sync(api)

    assert (report.done, report.queued) == (1, 0), HubEntry.objects.get().problem
    [day] = IntervalDay.objects.all()
    assert day.total_wh == 5_678 + 1 + 2_100
    entry = HubEntry.objects.get()
    assert entry.raw == dumps(content)  # as the hub wrote it, 2.10 with its zero
    assert '"kwh": 2.10}' in entry.raw


@pytest.mark.parametrize("overlap", [True, False])
def test_a_page_of_several_entries_is_imported_entry_by_entry_overlapped_or_not(
    local: LocalHub, api: HttpHub, settings: Any, overlap: bool, monkeypatch: Any
) -> None:
    """A page with several METERING_DATA entries goes through the overlapped import (the next
    entry parsed in a forked process while this one is stored): each entry still an import of
    its own, a bad one queued whole, and a page read again handles nothing twice."""
    settings.VOOL_DATAHUB_OVERLAP = overlap
    MeteringPointFactory(eic=EIC)
    at = SINCE + dt.timedelta(minutes=5)
    local.state.publish("METERING_DATA", at, metering_data(Decimal("0.100")))
    local.state.publish("METERING_DATA", at, metering_data(Decimal("0.100"), TOO_PRECISE))
    later = metering_data(Decimal("0.100"), Decimal("0.200"), Decimal("0.300"))
    local.state.publish("METERING_DATA", at, later)
    overlapped: list[int] = []  # a spy: how many entries each overlapped import was given
    real = import_intervals.import_interval_pages

    def spy(*, pages: Any, **kw: Any) -> Any:
        given = list(pages)
        overlapped.append(len(given))
        return real(pages=given, **kw)

    monkeypatch.setattr(import_intervals, "import_interval_pages", spy)

    report = sync(api)

    assert overlapped == ([3] if overlap else [])
    assert (report.done, report.queued) == (2, 1)
    assert list(HubEntry.objects.order_by("pk").values_list("status", flat=True)) == [
        "DONE",
        "QUEUED",
        "DONE",
    ]
    assert MeteringImport.objects.count() == 2
    [day] = IntervalDay.objects.filter(is_current=True)
    assert day.total_wh == 600  # the third entry's three quarter hours
    # the hub distributes the page again (the position is reset): nothing is handled twice
    HubCursor.objects.update(window_start=SINCE, page=0)
    again = sync(api)
    assert (again.new_entries, again.done, again.queued) == (0, 0, 0)
    assert MeteringImport.objects.count() == 2
