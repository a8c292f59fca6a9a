"""The go-live rule end to end on a generated extract: make-extract -> load -> reconcile with
zero unexplained differences -> shadow run of the last legacy month with every account billed
and every difference explained by line -> the same extract loaded again changes nothing. Vool
starts with the regulated tariffs and the grid operator only; the products and their prices
come from the extract's price list, the interval data and market prices of the shadow month
from its shadow files."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vool.domain.billing.models import Invoice
from vool.domain.ledger.models import Posting
from vool.domain.legacy.models import HistoricBill
from vool.domain.metering.models import IntervalDay
from vool.domain.supply.models import GridOperator
from vool.domain.tariffs import operations as tariff_operations
from vool.domain.tariffs.models import MarketPrice, ProductPrice
from vool.usecases import legacy_shadow
from vool.usecases.demo import seed

pytestmark = pytest.mark.django_db

AS_OF = "2026-11-28T22:00:00+02:00"
AS_OF_INSTANT = dt.datetime(2026, 11, 28, 20, 0, tzinfo=dt.UTC)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def regulated_reference_data() -> None:
    tariff_operations.load_default_tariffs()
    GridOperator.objects.get_or_create(code=seed.GRID_OPERATOR["code"], defaults=seed.GRID_OPERATOR)


def counts() -> tuple[int, ...]:
    return (
        IntervalDay.objects.count(),
        MarketPrice.objects.count(),
        ProductPrice.objects.count(),
        HistoricBill.objects.count(),
        Invoice.objects.count(),
        Posting.objects.count(),
    )


def test_load_reconcile_shadow_and_load_again(tmp_path: Path) -> None:
    regulated_reference_data()
    run("legacy", "make-extract", str(tmp_path), "--customers", "60", "--seed", "7")
    out = run("legacy", "load", str(tmp_path), "--as-of", AS_OF, "--no-progress")
    assert "intervals" in out and "market_prices" in out and "price_list" in out
    assert IntervalDay.objects.exists() and MarketPrice.objects.exists()
    assert "0 unexplained" in run("legacy", "reconcile", str(tmp_path))

    report = legacy_shadow.shadow_bill(period=None, as_of=AS_OF_INSTANT)
    legacy = HistoricBill.objects.filter(period=report.period).count()
    assert len(report.accounts) == legacy > 0
    assert all(a.vool_total is not None and a.explained for a in report.accounts)
    assert report.ok
    # the differences are real (the old rules: flat network price, no capacity or supply
    # security fees, the month's average exchange price, day/night split 60/40) and named
    differing = [a for a in report.accounts if not a.equal]
    assert differing
    causes = {p.cause for a in differing for p in a.parts}
    assert {"only in Vool", "unit price", "VAT"} <= causes
    for a in differing:
        assert sum((p.difference for p in a.parts), Decimal(0)) == a.difference
    shadow = run("legacy", "shadow", str(tmp_path), "--as-of", AS_OF)
    assert "0 unexplained or not billed" in shadow

    before = counts()
    again = run("legacy", "load", str(tmp_path), "--as-of", AS_OF, "--no-progress")
    assert counts() == before
    for line in again.splitlines():
        if " new " in line and " changed " in line:
            words = line.split()
            assert words[2] == "0" and words[4] == "0", line
    assert "0 unexplained" in run("legacy", "reconcile", str(tmp_path))


def test_shadow_exits_non_zero_on_an_unexplained_difference(tmp_path: Path) -> None:
    regulated_reference_data()
    run("legacy", "make-extract", str(tmp_path), "--customers", "20", "--seed", "8")
    run("legacy", "load", str(tmp_path), "--as-of", AS_OF, "--no-progress")
    run("legacy", "shadow", str(tmp_path), "--as-of", AS_OF)  # passes: all explained
    period = HistoricBill.objects.order_by("-period").values_list("period", flat=True)[0]
    bill = HistoricBill.objects.filter(period=period).order_by("pk").first()
    assert bill is not None
    HistoricBill.objects.filter(pk=bill.pk).update(total_amount=bill.total_amount + 25)
    out = io.StringIO()
    with pytest.raises(CommandError, match="Unexplained shadow differences"):
        call_command(
            "legacy", "shadow", str(tmp_path), "--as-of", AS_OF, stdout=out, stderr=io.StringIO()
        )
    assert "1 unexplained or not billed" in out.getvalue()
