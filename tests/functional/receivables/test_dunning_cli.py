"""``vool dunning``: hold a vulnerable customer, run a date (twice), list the letters."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from receivables_factories import account, issued_invoice
from vool.domain.receivables.models import DunningHold, DunningLetter

pytestmark = pytest.mark.django_db


def vool(*args: str) -> str:
    out = StringIO()
    call_command("dunning", *args, stdout=out, stderr=out)
    return out.getvalue()


class TestDunningCli:
    def test_hold_run_twice_and_list(self) -> None:
        # the shipped levels: a reminder 7 days after the due date, minimum 5.00
        issued_invoice(account("10000016"), number=11, gross="40.00", due=dt.date(2026, 10, 1))
        issued_invoice(account("10000029"), number=12, gross="25.00", due=dt.date(2026, 10, 1))
        out = vool(
            "hold",
            "--kind",
            "VULNERABLE",
            "--account",
            "10000029",
            "--from",
            "2026-09-01",
            "--reason",
            "medical equipment at home",
            "--user",
            "anu",
        )
        assert "(VULNERABLE) recorded" in out
        assert DunningHold.objects.get().created_by == "anu"
        out = vool("run", "--date", "2026-10-08")
        assert "Dunning run 2026-10-08: done. Letters: 1 reminder, 0 warning" in out
        assert "already run; nothing added. Letters: 1 reminder" in vool(
            "run", "--date", "2026-10-08"
        )
        assert DunningLetter.objects.count() == 1
        assert "10000016 invoice 11: REMINDER 40.00 (fee 0.00)" in vool(
            "letters", "--date", "2026-10-08"
        )
        aging = vool("aging", "--date", "2026-10-08")
        assert "  0-30           2 invoices          65.00 EUR" in aging
        assert "  NOT_DUE        0 invoices           0.00 EUR" in aging

    def test_refusals_in_words(self) -> None:
        with pytest.raises(CommandError, match="not a date"):
            vool("run", "--date", "8.10.2026")
        with pytest.raises(CommandError, match="No invoice has number 99"):
            vool(
                "hold",
                "--kind",
                "DISPUTED",
                "--invoice",
                "99",
                "--from",
                "2026-10-01",
                "--reason",
                "x",
                "--user",
                "anu",
            )
