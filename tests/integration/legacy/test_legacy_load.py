"""The legacy migration, stage by stage, on a generated extract of a few hundred customers:
the dirt in the validation report with its rule, load → reconcile to zero unexplained
differences, loading again changes nothing, a delta applies only its changes, the old
reference numbers still match payments, the bank files."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vool.common import identifiers
from vool.domain.customers.models import BillingAccount, Customer, FormerReferenceNumber
from vool.domain.ledger.models import Posting
from vool.domain.legacy import bank_files, operations, queries, reconcile
from vool.domain.legacy import extract_format as fmt
from vool.domain.legacy.extract_format import UnreadableExtract
from vool.domain.legacy.models import (
    HistoricBill,
    HistoricBillLine,
    Issue,
    KeyMap,
    PaymentAgreement,
    StagedBlock,
    StagedRow,
)
from vool.domain.metering.models import Reading
from vool.domain.receivables import queries as receivables_queries
from vool.domain.supply.models import MeteringPoint
from vool.usecases import legacy_extract

pytestmark = pytest.mark.django_db

CUSTOMERS = 300
SEED = 5
AS_OF = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)
DELTA_AS_OF = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)


def load(
    directory: Path, *, as_of: dt.datetime = AS_OF, dry_run: bool = False
) -> operations.LoadResult:
    return operations.load_extract(
        directory=directory,
        as_of=as_of,
        now=as_of,
        user=None,
        reason="go-live rehearsal",
        dry_run=dry_run,
    )


def state() -> tuple[int, ...]:
    return (
        Customer.objects.count(),
        BillingAccount.objects.count(),
        MeteringPoint.objects.count(),
        Reading.objects.count(),
        HistoricBill.objects.count(),
        Posting.objects.count(),
        KeyMap.objects.count(),
    )


def _earlier_load_lookups(queries_run: CaptureQueriesContext) -> set[str]:
    """The entities whose old keys were looked up in the key map (``queries.key_map``), and
    ``"staged customers"`` if customers' codes were looked up in the staging
    (``queries.staged_customers``)."""
    asked: set[str] = set()
    for query in queries_run.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().startswith("SELECT"):
            continue
        if '"old_key" IN (' in sql or "old_key = ANY(" in sql:
            asked.update(re.findall(r"entity\"? = '(\w+)'", sql))
        if '"lookup" IN (' in sql:
            asked.add("staged customers")
    return asked


DIRT_RULES = {
    "INVALID_PERSONAL_CODE": "ERROR",
    "DUPLICATE_PERSONAL_CODE": "ERROR",
    "SAME_PERSON_TWICE": "WARNING",
    "MISSING_POSTCODE": "WARNING",
    "OVERLAPPING_CONTRACTS": "ERROR",
    "READING_GOES_BACKWARDS": "ERROR",
    "BILL_DOES_NOT_ADD_UP": "WARNING",
    "UNKNOWN_PRODUCT": "ERROR",
}


class TestMakeExtract:
    def test_same_seed_same_bytes(self, extract: Path, tmp_path: Path) -> None:
        legacy_extract.make_extract(directory=tmp_path, customers=CUSTOMERS, seed=SEED)
        for path in sorted(extract.glob("*.csv")):
            if path.name != "validation-report.csv":
                assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name

    def test_old_formats(self, extract: Path) -> None:
        assert (extract / "NAIDUD.csv").read_bytes().startswith(b"\xef\xbb\xbf")
        customers = (extract / "KLIENDID.csv").read_bytes()
        assert not customers.startswith(b"\xef\xbb\xbf")
        customers.decode("cp1257")  # windows-1257, not UTF-8
        first_bill = (extract / "ARVED.csv").read_text(encoding="utf-8-sig").splitlines()[1]
        assert first_bill.split(";")[3].count(".") == 2  # dd.mm.yyyy
        assert "," in first_bill.split(";")[8]  # decimal comma


class TestLoad:
    def test_dirt_in_the_report_with_its_rule(self, extract: Path, reference_data: None) -> None:
        result = load(extract)
        found = {(i.rule, i.severity) for i in result.issues}
        for rule, severity in DIRT_RULES.items():
            assert (rule, severity) in found, rule
        for issue in result.issues:
            assert issue.file_name.endswith(".csv") and issue.line > 1 and issue.field
        errors = {a for i in result.issues if i.severity == "ERROR" for a in i.account_keys}
        assert set(result.held_accounts) == errors
        # a held-back account is not loaded at all, a clean one whole
        held = result.held_accounts[0]
        assert not KeyMap.objects.filter(entity="accounts", old_key=held).exists()
        assert result.counts["accounts"]["held_back"] == len(result.held_accounts)

    def test_every_row_is_staged_as_read(self, extract: Path, reference_data: None) -> None:
        """Staged one to a database row or many to a block, every row of every file is in
        staging as read from the file, once."""
        result = load(extract)
        manifest = fmt.read_manifest(extract)
        for spec in fmt.FILES:
            staged = queries.staged(run_id=result.run_id, entity=spec.entity)
            assert staged == fmt.read_file(extract, spec, manifest), spec.entity
        lines = manifest.rows["ARVE_READ.csv"]
        blocks = StagedBlock.objects.filter(entity="bill_lines").count()
        assert 1 < blocks < lines / 10  # the bill lines, in blocks
        assert not StagedRow.objects.filter(entity="bill_lines").exists()
        assert StagedRow.objects.filter(entity="readings").count() == manifest.rows["NAIDUD.csv"]

    def test_load_then_reconcile_has_no_unexplained_difference(
        self, extract: Path, reference_data: None
    ) -> None:
        result = load(extract)
        report = reconcile.reconcile(directories=[extract])
        assert report.ok, report.unexplained[:5]
        assert report.differences  # the held-back accounts, each explained
        assert all(d.cause.startswith("held back: ") for d in report.differences)
        # as the load run held them back, with the rule, file and line that did
        assert {d.account_key for d in report.differences} <= set(result.held_accounts)
        assert any("INVALID_PERSONAL_CODE (KLIENDID.csv:" in d.cause for d in report.differences)
        assert not report.not_loaded
        for measure in reconcile.MEASURES:
            assert (
                report.legacy_totals[measure] - report.held_totals[measure]
                == report.vool_totals[measure]
            ), measure
        # the opening balances in the ledger are the loaded accounts' open items
        receivable = sum(
            Posting.objects.filter(account="RECEIVABLE").values_list("amount", flat=True),
            Decimal(0),
        )
        assert receivable == report.vool_totals["balance"] != 0

    def test_new_reference_numbers_and_the_old_ones(
        self, extract: Path, reference_data: None
    ) -> None:
        load(extract)
        account = BillingAccount.objects.filter(former_reference_numbers__isnull=False).first()
        assert account is not None
        old = account.former_reference_numbers.get().reference_number
        assert identifiers.is_valid_reference_number(account.reference_number)
        assert old != account.reference_number
        assert receivables_queries.accounts_by_reference(references=[old, "999"]) == {
            old: account.pk
        }
        assert FormerReferenceNumber.objects.count() == BillingAccount.objects.count()

    def test_loading_again_changes_nothing(self, extract: Path, reference_data: None) -> None:
        load(extract)
        before = state()
        result = load(extract)
        assert state() == before
        assert all(c["new"] == 0 and c["changed"] == 0 for c in result.counts.values())

    def test_a_first_load_looks_up_nothing_only_an_earlier_load_leaves(
        self, extract: Path, reference_data: None
    ) -> None:
        """The first load asks neither the key map for its old keys nor the staging for its
        customers' codes (no earlier load can have left them, and its chunks' groups are their
        own); once a load has run, the next one asks both, and so changes nothing."""
        with CaptureQueriesContext(connection) as first:
            load(extract)
        # only the points it has just loaded, to store their shadow month's data
        assert _earlier_load_lookups(first) == {"points"}
        with CaptureQueriesContext(connection) as again:
            result = load(extract)
        asked = _earlier_load_lookups(again)
        assert {"customers", "accounts", "readings", "bills", "staged customers"} <= asked
        assert all(c["new"] == 0 and c["changed"] == 0 for c in result.counts.values())

    def test_dry_run_keeps_nothing(self, extract: Path, reference_data: None) -> None:
        before = state()
        result = load(extract, dry_run=True)
        assert result.errors > 0 and state() == before

    def test_delta_applies_only_the_changes(
        self, extract: Path, delta: Path, reference_data: None
    ) -> None:
        first = load(extract)
        result = load(delta, as_of=DELTA_AS_OF)
        assert result.kind == "delta"
        assert result.counts["customers"]["changed"] >= 3
        assert result.counts["readings"]["changed"] == 0 and result.counts["readings"]["new"] > 0
        # the personal code corrected during the freeze releases the held-back account
        assert set(result.held_accounts) < set(first.held_accounts)
        report = reconcile.reconcile(directories=[extract, delta])
        assert report.ok, report.unexplained[:5]
        assert load(delta, as_of=DELTA_AS_OF).counts["customers"]["changed"] == 0

    def test_a_bill_line_changed_later_changes_its_bill_not_the_history(
        self, extract: Path, tmp_path: Path, reference_data: None
    ) -> None:
        load(extract)
        lines = HistoricBillLine.objects.count()
        assert lines > 0 and not KeyMap.objects.filter(entity="bill_lines").exists()
        for path in extract.iterdir():
            (tmp_path / path.name).write_bytes(path.read_bytes())
        text = (tmp_path / "ARVE_READ.csv").read_bytes().decode("utf-8-sig").splitlines()
        loaded = set(HistoricBill.objects.values_list("number", flat=True))
        at = next(i for i, row in enumerate(text[1:], start=1) if row.split(";")[0] in loaded)
        bill, position, _, *rest = text[at].split(";")
        text[at] = ";".join([bill, position, "Renamed later", *rest])
        data = ("\r\n".join(text) + "\r\n").encode("utf-8-sig")
        (tmp_path / "ARVE_READ.csv").write_bytes(data)
        result = load(tmp_path)
        assert result.counts["bills"]["changed"] == 1
        assert result.counts["bill_lines"]["new"] == 0
        changed = Issue.objects.filter(run_id=result.run_id, rule="HISTORY_CHANGED")
        assert [(i.file_name, i.value) for i in changed] == [("ARVED.csv", bill)]
        assert HistoricBillLine.objects.count() == lines
        assert not HistoricBillLine.objects.filter(description="Renamed later").exists()

    def test_reconcile_counts_the_bill_lines_vool_holds(
        self, extract: Path, reference_data: None
    ) -> None:
        load(extract)
        counts = {c.entity: c for c in reconcile.reconcile(directories=[extract]).counts}
        assert counts["bill_lines"].explained and counts["bill_lines"].loaded > 0
        HistoricBillLine.objects.filter(pk=HistoricBillLine.objects.order_by("pk")[0].pk).delete()
        after = {c.entity: c for c in reconcile.reconcile(directories=[extract]).counts}
        assert after["bill_lines"].loaded == counts["bill_lines"].loaded - 1
        assert not after["bill_lines"].explained

    def test_a_truncated_extract_loads_nothing(
        self, extract: Path, tmp_path: Path, reference_data: None
    ) -> None:
        for path in extract.glob("*.csv"):
            (tmp_path / path.name).write_bytes(path.read_bytes())
        lines = (tmp_path / "NAIDUD.csv").read_bytes().splitlines(keepends=True)
        (tmp_path / "NAIDUD.csv").write_bytes(b"".join(lines[:-1]))
        with pytest.raises(UnreadableExtract, match=r"NAIDUD\.csv"):
            load(tmp_path)
        assert Customer.objects.count() == 0


class TestReconcile:
    def test_an_extract_never_loaded_is_unexplained(
        self, extract: Path, reference_data: None
    ) -> None:
        report = reconcile.reconcile(directories=[extract])
        assert not report.ok and report.not_loaded == [extract]
        # nothing is held back without a load run that validated this extract
        assert {d.cause for d in report.differences} == {"not loaded (run vool legacy load)"}
        assert report.held_totals["bills"] == 0

    def test_a_change_in_vool_is_an_unexplained_difference(
        self, extract: Path, reference_data: None
    ) -> None:
        load(extract)
        bill = HistoricBill.objects.order_by("pk").first()
        assert bill is not None
        # a bill changed after the load
        HistoricBill.objects.filter(pk=bill.pk).update(total_amount=bill.total_amount + 1)
        report = reconcile.reconcile(directories=[extract])
        assert not report.ok
        lost = {(d.measure, d.cause) for d in report.unexplained}
        assert ("bills_amount", "unexplained") in lost


class TestBankFiles:
    def test_a_file_per_bank(self, extract: Path, tmp_path: Path, reference_data: None) -> None:
        load(extract)
        written = bank_files.write_bank_files(directory=tmp_path)
        swedbank = (tmp_path / "HABAEE2X-Swedbank-agreements.csv").read_text().splitlines()
        assert len(swedbank) > 1
        row = dict(zip(swedbank[0].split(";"), swedbank[1].split(";"), strict=True))
        account = BillingAccount.objects.get(reference_number=row["new_reference"])
        assert account.former_reference_numbers.get().reference_number == row["old_reference"]
        assert sum(n for name, n in written.items() if name.endswith("agreements.csv")) == (
            PaymentAgreement.objects.count()
        )
