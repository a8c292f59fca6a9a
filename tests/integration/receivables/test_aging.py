"""Aging: open invoices as of a date by days past due, from invoices, credit notes and the
payments that settled them by then."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from receivables_factories import AS_OF, account, credit, issued_invoice, our_bank_account
from receivables_factories import statement_file as bank_file
from vool.domain.billing import operations as billing_operations
from vool.domain.receivables import queries
from vool.usecases import import_bank_statement

ON = dt.date(2026, 12, 31)


def aged(on: dt.date) -> dict[str, tuple[int, Decimal]]:
    return {b.name: (b.invoices, b.open_amount) for b in queries.aging(on=on)}


def pay(tmp_path: Path, key: str, amount: str, reference: str, day: dt.date) -> None:
    import_bank_statement.import_bank_file(
        path=bank_file(
            tmp_path / f"{key}.xml",
            credit(key, amount, reference=reference, day=day),
            statement_id=key,
        ),
        as_of=AS_OF,
    )


@pytest.mark.django_db
def test_buckets_as_of_a_date(tmp_path: Path) -> None:
    our_bank_account()
    mari, juri, paike = account("10000016"), account("10000029"), account("10000032")
    small, credited = account("10000045"), account("10000058")
    issued_invoice(mari, number=1001, gross="10.00", due=ON + dt.timedelta(days=10), period="a")
    issued_invoice(mari, number=1002, gross="7.00", due=ON, period="b")  # due today: not yet due
    issued_invoice(mari, number=1003, gross="20.00", due=ON - dt.timedelta(days=30), period="c")
    issued_invoice(juri, number=1004, gross="30.00", due=ON - dt.timedelta(days=31), period="d")
    issued_invoice(paike, number=1005, gross="40.00", due=ON - dt.timedelta(days=77), period="e")
    issued_invoice(small, number=1006, gross="50.00", due=ON - dt.timedelta(days=91), period="f")
    gone = issued_invoice(
        credited, number=1007, gross="60.00", due=dt.date(2026, 10, 1), period="g"
    )
    pay(tmp_path, "P1", "5.00", "10000029", dt.date(2026, 12, 1))  # part of Jüri's 30.00
    pay(tmp_path, "P2", "40.00", "10000032", dt.date(2027, 1, 5))  # Päike pays after the date
    assert gone.number is not None
    billing_operations.credit_invoice(
        number=gone.number, reason="wrong meter", today=dt.date(2026, 12, 15), now=AS_OF
    )

    assert aged(ON) == {
        "NOT_DUE": (2, Decimal("17.00")),
        "0-30": (1, Decimal("20.00")),
        "31-60": (1, Decimal("25.00")),
        "61-90": (1, Decimal("40.00")),
        "90+": (1, Decimal("50.00")),
    }
    # 10 December: the last two bills not yet issued, the 60.00 not yet credited
    assert aged(dt.date(2026, 12, 10)) == {
        "NOT_DUE": (0, Decimal("0.00")),
        "0-30": (2, Decimal("45.00")),
        "31-60": (1, Decimal("40.00")),
        "61-90": (2, Decimal("110.00")),
        "90+": (0, Decimal("0.00")),
    }
    # 30 November: Jüri's payment (booked 1 December) has not settled anything yet
    assert aged(dt.date(2026, 11, 30))["NOT_DUE"] == (2, Decimal("50.00"))
    # after Päike's payment nothing is 61-90 on 6 January (Jüri's 25.00 is 37 days past due)
    after = aged(dt.date(2027, 1, 6))
    assert after["61-90"] == (0, Decimal("0.00"))
    assert after["31-60"] == (2, Decimal("45.00"))
