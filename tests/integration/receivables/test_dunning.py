"""Dunning: levels in order, one step per run, never two letters for a level, holds for a
vulnerable customer and a disputed invoice, the minimum, idempotent per date."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from receivables_factories import (
    AS_OF,
    account,
    credit,
    issued_invoice,
    our_bank_account,
    statement_file,
)
from vool.common.identifiers import make_reference_number
from vool.domain.receivables import dunning
from vool.domain.receivables.models import (
    DisconnectionRequest,
    DunningHold,
    DunningLetter,
    DunningLevel,
)
from vool.usecases import import_bank_statement

DUE = dt.date(2026, 10, 1)


def letters() -> list[tuple[str, str, Decimal, Decimal, dt.date | None]]:
    return sorted(
        (
            letter.billing_account.reference_number,
            letter.level,
            letter.open_amount,
            letter.fee_amount,
            letter.disconnection_date,
        )
        for letter in DunningLetter.objects.select_related("billing_account")
    )


def run(day: dt.date) -> dunning.DunningResult:
    return dunning.run_dunning(run_date=day, as_of=AS_OF, by="test")


@pytest.fixture
def levels() -> None:
    DunningLevel.objects.all().delete()  # the shipped defaults; these are the test's own
    for level, days, disconnection, fee in (
        ("REMINDER", 10, None, "0.00"),
        ("WARNING", 20, 14, "2.50"),
        ("DISCONNECTION", 35, None, "0.00"),
    ):
        DunningLevel.objects.create(
            level=level,
            days_after_due=days,
            disconnection_after_days=disconnection,
            fee_amount=Decimal(fee),
            minimum_amount=Decimal("5.00"),
            valid_from=dt.date(2026, 1, 1),
        )


@pytest.fixture
def book(levels: None, tmp_path: Path) -> dict[str, int]:
    """Mari owes one bill; Jüri is vulnerable (hold until 1 November); Päike disputes one of
    two bills; Small owes 3.00; Paid has paid."""
    mari, juri, paike = account("10000016"), account("10000029"), account("10000032")
    small, paid = account("10000045"), account("10000058")
    issued_invoice(mari, number=1, gross="40.00", due=DUE, period="2026-08")
    issued_invoice(juri, number=2, gross="55.10", due=DUE, period="2026-08")
    disputed = issued_invoice(paike, number=3, gross="99.00", due=DUE, period="2026-08")
    issued_invoice(paike, number=4, gross="12.00", due=DUE, period="2026-09")
    issued_invoice(small, number=5, gross="3.00", due=DUE, period="2026-08")
    issued_invoice(paid, number=6, gross="20.00", due=DUE, period="2026-08")
    our_bank_account()
    import_bank_statement.import_bank_file(
        path=statement_file(tmp_path / "s.xml", credit("P1", "20.00", reference="10000058")),
        as_of=AS_OF,
    )
    dunning.add_hold(
        kind=DunningHold.Kind.VULNERABLE,
        billing_account_id=juri.pk,
        reason="home oxygen concentrator",
        by="clerk.anu",
        valid_from=dt.date(2026, 9, 1),
        valid_to=dt.date(2026, 11, 1),
        as_of=AS_OF,
    )
    dunning.add_hold(
        kind=DunningHold.Kind.DISPUTED,
        invoice_id=disputed.pk,
        reason="the customer disputes the meter reading",
        by="clerk.anu",
        valid_from=dt.date(2026, 10, 5),
        valid_to=None,
        as_of=AS_OF,
    )
    return {"mari": mari.pk, "juri": juri.pk, "paike": paike.pk}


@pytest.mark.django_db
class TestDunningRun:
    def test_levels_in_order_with_holds_and_the_minimum(self, book: dict[str, int]) -> None:
        assert run(dt.date(2026, 10, 10)).letters["REMINDER"] == 0  # 9 days after due
        first = run(dt.date(2026, 10, 11))
        assert first.letters == {"REMINDER": 2, "WARNING": 0, "DISCONNECTION": 0}
        # Jüri is vulnerable, Päike's 99.00 is disputed, 3.00 is under the minimum, 20.00 paid
        assert letters() == [
            ("10000016", "REMINDER", Decimal("40.00"), Decimal("0.00"), None),
            ("10000032", "REMINDER", Decimal("12.00"), Decimal("0.00"), None),
        ]
        # the same date again adds nothing; a later date sends no second reminder
        again = run(dt.date(2026, 10, 11))
        assert (again.already_run, again.run_id) == (True, first.run_id)
        assert again.letters == first.letters
        run(dt.date(2026, 10, 12))
        assert DunningLetter.objects.count() == 2

        warned = run(dt.date(2026, 10, 21))
        assert warned.letters == {"REMINDER": 0, "WARNING": 2, "DISCONNECTION": 0}
        warnings = [row for row in letters() if row[1] == "WARNING"]
        assert warnings == [
            ("10000016", "WARNING", Decimal("40.00"), Decimal("2.50"), dt.date(2026, 11, 4)),
            ("10000032", "WARNING", Decimal("12.00"), Decimal("2.50"), dt.date(2026, 11, 4)),
        ]

        # 5 November: the warned get a disconnection request; Jüri's hold has ended, so he
        # gets his first letter, a reminder (one step per run)
        last = run(dt.date(2026, 11, 5))
        assert last.letters == {"REMINDER": 1, "WARNING": 0, "DISCONNECTION": 2}
        assert last.requests == 2
        requests = sorted(
            (r.billing_account_id, r.open_amount, r.status)
            for r in DisconnectionRequest.objects.all()
        )
        assert requests == sorted(
            [
                (book["mari"], Decimal("40.00"), "PENDING"),
                (book["paike"], Decimal("12.00"), "PENDING"),
            ]
        )
        assert ("10000029", "REMINDER", Decimal("55.10"), Decimal("0.00"), None) in letters()
        assert not DunningLetter.objects.filter(invoice__number=3).exists()

    def test_a_warning_waits_for_a_reminder_from_an_earlier_run(self, book: dict[str, int]) -> None:
        # first run long after due: only the reminder, not all three at once
        result = run(dt.date(2026, 12, 1))
        assert result.letters == {"REMINDER": 3, "WARNING": 0, "DISCONNECTION": 0}
        assert not DisconnectionRequest.objects.exists()

    def test_one_query_per_level_whatever_the_number_of_accounts(self, levels: None) -> None:
        def queries_for(count: int, first: int, day: dt.date) -> int:
            for n in range(count):
                reference = make_reference_number(first + n)
                issued_invoice(account(reference), number=first + n, gross="10.00", due=DUE)
            with CaptureQueriesContext(connection) as captured:
                run(day)
            return len(captured.captured_queries)

        few = queries_for(2, 2000, dt.date(2026, 10, 11))
        assert DunningLetter.objects.count() == 2
        many = queries_for(30, 3000, dt.date(2026, 10, 12))
        assert DunningLetter.objects.count() == 32
        assert many == few

    def test_overlapping_level_versions_are_refused(self, levels: None) -> None:
        DunningLevel.objects.create(
            level="REMINDER", days_after_due=5, valid_from=dt.date(2026, 6, 1)
        )
        with pytest.raises(dunning.AmbiguousDunningLevels, match="REMINDER"):
            run(dt.date(2026, 10, 11))
        assert not DunningLetter.objects.exists()

    def test_a_hold_says_who_and_why(self, book: dict[str, int]) -> None:
        with (
            translation.override("en"),
            pytest.raises(dunning.UnableToHold, match="who sets the hold and why"),
        ):
            dunning.add_hold(
                kind=DunningHold.Kind.CLERK,
                billing_account_id=book["mari"],
                reason=" ",
                by="clerk",
                valid_from=dt.date(2026, 10, 1),
                valid_to=None,
                as_of=AS_OF,
            )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_date_at_once_write_it_once(levels: None) -> None:
    issued_invoice(account("10000016"), number=1, gross="40.00", due=DUE, period="2026-08")
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(run(dt.date(2026, 10, 11)))
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.already_run for o in outcomes) == [False, True]  # type: ignore[attr-defined]
    assert DunningLetter.objects.count() == 1
