"""``vool bank``: add our account, import statements, the suspense queue, allocate, refund."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from receivables_factories import OURS, STRANGER_IBAN, account, credit, statement_file
from vool.domain.receivables.models import Payment, StatementFile

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parents[2] / "data" / "bank"


def vool(*args: str) -> str:
    out = StringIO()
    call_command("bank", *args, stdout=out, stderr=out)
    return out.getvalue()


class TestBankCli:
    def test_import_then_suspense_then_allocate_and_refund(self, tmp_path: Path) -> None:
        assert "is ours" in vool("add-account", OURS, "Swedbank")
        account("10000016")
        out = vool("import", str(DATA / "swedbank-camt053.xml"), str(DATA / "swedbank-camt054.xml"))
        assert "4 new payments (1 allocated, 3 in suspense), 0 already known" in out
        assert "0 new payments (0 allocated, 0 in suspense), 1 already known" in out
        assert "debit not matched: 2026110300005 0.50" in out
        assert "already imported" in vool("import", str(DATA / "swedbank-camt053.xml"))
        queue = vool("suspense")
        assert "Tundmatu Maksja" in queue and "Jüri Õunapuu" in queue
        payment = Payment.objects.get(entry_key="2026110300002")
        out = vool(
            "allocate",
            str(payment.pk),
            "10000016=15.00",
            "--user",
            "anu",
            "--reason",
            "Jüri pays for Mari",
        )
        assert "Allocated 1 part(s)" in out
        other = Payment.objects.get(entry_key="2026110300003")
        out = vool("refund", str(other.pk), "--user", "anu", "--reason", "not our customer")
        assert "Refund of 20.00 to EE871010220055556666 recorded." in out

    def test_refused_file_fails_with_every_problem(self, tmp_path: Path) -> None:
        vool("add-account", OURS, "Swedbank")
        bad = statement_file(tmp_path / "x.xml", credit("P1", "5.00"), iban=STRANGER_IBAN)
        with pytest.raises(CommandError, match="1 file"):
            vool("import", str(bad))
        assert not StatementFile.objects.exists()
