"""Shadow billing on a small generated extract: the last legacy month billed again in Vool,
nothing written, every loaded account of the month in the report, an altered legacy bill a
difference."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from vool.domain.billing.models import Invoice, InvoiceLine
from vool.domain.ledger.models import Posting
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy import operations, rules, shadow_data
from vool.domain.legacy.models import HistoricBill, KeyMap
from vool.domain.metering.models import IntervalDay
from vool.usecases import legacy_shadow
from vool.usecases.demo import seed

pytestmark = pytest.mark.django_db

CUSTOMERS = 60
SEED = 5
AS_OF = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def loaded(extract: Path) -> Path:
    seed.ensure_reference_data()
    operations.load_extract(
        directory=extract, as_of=AS_OF, now=AS_OF, user=None, reason="rehearsal", dry_run=False
    )
    return extract


def written() -> tuple[int, ...]:
    return (Invoice.objects.count(), InvoiceLine.objects.count(), Posting.objects.count())


def test_every_account_of_the_month_and_nothing_written(loaded: Path) -> None:
    before = written()
    report = legacy_shadow.shadow_bill(period=None, as_of=AS_OF)
    assert written() == before
    assert report.period == "2026-10"
    bills = HistoricBill.objects.filter(period="2026-10")
    old = dict(KeyMap.objects.filter(entity="accounts").values_list("new_id", "old_key"))
    assert sorted(a.account for a in report.accounts) == sorted(
        old[b.billing_account_id] for b in bills
    )
    assert sum(report.distribution().values()) == bills.count() > 0


def test_an_altered_legacy_bill_is_a_difference(loaded: Path, tmp_path: Path) -> None:
    before = {a.account: a for a in legacy_shadow.shadow_bill(period=None, as_of=AS_OF).accounts}
    # an account Vool could bill (others lack market prices or interval data in this test)
    key = next(k for k, a in sorted(before.items()) if a.vool_total is not None)
    account_id = KeyMap.objects.get(entity="accounts", old_key=key).new_id
    bill = HistoricBill.objects.get(billing_account_id=account_id, period="2026-10")
    HistoricBill.objects.filter(pk=bill.pk).update(total_amount=bill.total_amount + 25)
    after = {a.account: a for a in legacy_shadow.shadow_bill(period=None, as_of=AS_OF).accounts}
    assert after[key].difference == before[key].difference - 25
    assert after[key].parts[-1].cause == "unexplained"
    report = tmp_path / "shadow.csv"
    with pytest.raises(CommandError, match="Unexplained shadow differences"):
        call_command(
            "legacy", "shadow", str(loaded), "--period", "2026-10", "--report", str(report)
        )
    rows = report.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + len(after)
    assert any(row.startswith(f"{key};") and "unexplained" in row for row in rows)


def test_a_day_twice_in_the_shadow_month_is_listed_and_the_load_goes_on(
    extract: Path, tmp_path: Path
) -> None:
    """A point's day given twice in the shadow month's file is a validation error on the second
    row (file, line, field), like any bad row: the load goes on and stores the first."""
    copy = tmp_path / "extract"
    shutil.copytree(extract, copy)
    name = "VEERANDTUNNID.csv"
    lines = (copy / name).read_text(encoding="utf-8-sig").splitlines()
    twice = lines[1].split(";")[0:2]
    (copy / name).write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8-sig")
    manifest = (copy / "MANIFEST.csv").read_text(encoding="utf-8-sig")
    count = len(lines) - 1
    manifest = manifest.replace(f"{name};UTF-8-BOM;{count};", f"{name};UTF-8-BOM;{count + 1};")
    (copy / "MANIFEST.csv").write_text(manifest, encoding="utf-8-sig")
    seed.ensure_reference_data()
    result = operations.load_extract(
        directory=copy, as_of=AS_OF, now=AS_OF, user=None, reason="rehearsal", dry_run=False
    )
    duplicates = [i for i in result.issues if i.rule == "DUPLICATE_INTERVAL_DAY"]
    assert [(i.file_name, i.line, i.field) for i in duplicates] == [
        (name, len(lines) + 1, "KUUPAEV")
    ]
    assert twice[1] in duplicates[0].message
    intervals = result.counts["intervals"]  # every row but the second once
    bad = sum(1 for i in result.issues if i.rule == "BAD_INTERVAL_ROW")
    assert intervals["new"] + intervals["held_back"] + bad == count, (intervals, bad)


def test_the_interval_rows_in_many_batches_as_in_one(extract: Path, tmp_path: Path) -> None:
    """The shadow month's intervals stored a few rows at a time give the counts, the issues
    and the stored days of one batch; a day given again in a later batch than its first row
    is still DUPLICATE_INTERVAL_DAY naming that row's line."""
    name = "VEERANDTUNNID.csv"
    copy, without = tmp_path / "extract", tmp_path / "without"
    shutil.copytree(extract, copy)
    shutil.copytree(extract, without)
    lines = (copy / name).read_text(encoding="utf-8-sig").splitlines()
    (copy / name).write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8-sig")
    manifest = (copy / "MANIFEST.csv").read_text(encoding="utf-8-sig")
    count = len(lines) - 1
    listed = f"{name};UTF-8-BOM;{count};"
    (copy / "MANIFEST.csv").write_text(
        manifest.replace(listed, f"{name};UTF-8-BOM;{count + 1};"), encoding="utf-8-sig"
    )
    # the history loaded from a copy whose manifest does not list the intervals
    kept = [line for line in manifest.splitlines() if not line.startswith(listed)]
    (without / "MANIFEST.csv").write_text("\r\n".join(kept) + "\r\n", encoding="utf-8-sig")
    seed.ensure_reference_data()
    operations.load_extract(
        directory=without, as_of=AS_OF, now=AS_OF, user=None, reason="rehearsal", dry_run=False
    )
    assert not IntervalDay.objects.exists()
    results, stored = [], []
    for batch_rows in (shadow_data.BATCH_ROWS, 7):
        savepoint = transaction.savepoint()
        issues: list[rules.Issue] = []
        rows = fmt.iter_rows(copy, fmt.SPECS["intervals"], fmt.read_manifest(copy))
        counts = shadow_data.load_intervals(rows, as_of=AS_OF, issues=issues, batch_rows=batch_rows)
        results.append(shadow_data.ShadowData({"intervals": counts}, issues))
        stored.append(
            list(
                IntervalDay.objects.order_by("metering_point__eic", "day").values_list(
                    "metering_point__eic", "day", "version", "values_wh"
                )
            )
        )
        transaction.savepoint_rollback(savepoint)
    one, many = results
    assert len(stored[0]) == one.counts["intervals"]["new"] > 7 * 2
    assert many.counts == one.counts
    assert many.issues == one.issues
    assert [bytes(row[3]) for row in stored[1]] == [bytes(row[3]) for row in stored[0]]
    assert [row[:3] for row in stored[1]] == [row[:3] for row in stored[0]]
    duplicates = [i for i in many.issues if i.rule == "DUPLICATE_INTERVAL_DAY"]
    assert [(i.file_name, i.line) for i in duplicates] == [(name, len(lines) + 1)]
    assert "given on line 2 already" in duplicates[0].message
