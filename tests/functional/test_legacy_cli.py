"""`vool legacy make-extract / load / reconcile / bank-files`, in-process, on a small extract."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vool.domain.customers.models import BillingAccount
from vool.domain.legacy.models import HistoricBill
from vool.usecases.demo import seed

pytestmark = pytest.mark.django_db

AS_OF = "2026-11-28T22:00:00+02:00"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_go_live_steps(tmp_path: Path) -> None:
    seed.ensure_reference_data()
    extract, banks = tmp_path / "extract", tmp_path / "banks"
    run("legacy", "make-extract", str(extract), "--customers", "40", "--seed", "3")
    dry = run("legacy", "load", str(extract), "--dry-run", "--as-of", AS_OF, "--no-progress")
    assert "Dry run (nothing kept)" in dry and BillingAccount.objects.count() == 0
    out = run("legacy", "load", str(extract), "--as-of", AS_OF, "--no-progress")
    assert "ERROR INVALID_PERSONAL_CODE: 1" in out and "accounts held back" in out
    with (extract / "validation-report.csv").open(encoding="utf-8") as report:
        rows = list(csv.DictReader(report, delimiter=";"))
    assert {"OVERLAPPING_CONTRACTS", "READING_GOES_BACKWARDS"} <= {r["rule"] for r in rows}
    assert "0 unexplained" in run("legacy", "reconcile", str(extract))
    written = run("legacy", "bank-files", str(banks))
    assert "all-reference-numbers.csv" in written
    assert (banks / "LHVBEE22-LHV-agreements.csv").exists()


def test_reconcile_fails_on_an_unexplained_difference(tmp_path: Path) -> None:
    seed.ensure_reference_data()
    run("legacy", "make-extract", str(tmp_path), "--customers", "30", "--seed", "4")
    run("legacy", "load", str(tmp_path), "--as-of", AS_OF, "--no-progress")
    bill = HistoricBill.objects.order_by("pk").first()
    assert bill is not None
    HistoricBill.objects.filter(pk=bill.pk).update(total_amount=bill.total_amount + 1)
    out = io.StringIO()
    with pytest.raises(CommandError, match="Unexplained differences"):
        call_command("legacy", "reconcile", str(tmp_path), stdout=out, stderr=io.StringIO())
    assert "UNEXPLAINED" in out.getvalue() and "bills_amount" in out.getvalue()


def test_an_incomplete_extract_is_refused_by_name(tmp_path: Path) -> None:
    run("legacy", "make-extract", str(tmp_path), "--customers", "20", "--seed", "5")
    (tmp_path / "ARVED.csv").unlink()
    with pytest.raises(CommandError, match=r"ARVED\.csv: missing"):
        call_command("legacy", "load", str(tmp_path), "--no-progress", stdout=io.StringIO())
