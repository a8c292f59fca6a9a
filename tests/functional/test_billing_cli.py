"""``vool billing``: run with a report, refusals with a clear message, credit, rebill."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from billing_factories import add_intervals, fixed_product, load_test_tariffs, remote_account
from vool.common.localtime import Month
from vool.domain.billing.models import BillRun, Invoice

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)


def vool(*args: str) -> str:
    out = StringIO()
    call_command("billing", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def tariffs() -> None:
    load_test_tariffs()


@pytest.fixture
def customer():  # type: ignore[no-untyped-def]
    contract = remote_account(product=fixed_product())
    add_intervals(contract.metering_point, OCTOBER, wh=100)
    return contract


def test_run_prints_the_report(customer) -> None:  # type: ignore[no-untyped-def]
    output = vool("run", "--period", "2026-10", "--today", "2026-11-05", "--no-progress")
    run = BillRun.objects.get()
    assert f"Bill run {run.pk} of 2026-10: DONE" in output
    assert "accounts 1, invoices 1, exceptions 0" in output
    assert "invoice numbers 1-1" in output
    assert "total 72,23\xa0€" in output
    assert "accounts/s" in output
    assert f"Bill run {run.pk} of 2026-10: DONE" in vool("report", str(run.pk))


def test_outside_the_window_is_refused_with_how_to_force(customer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="koostatakse 2026-11-01 kuni 2026-11-09"):
        vool("run", "--period", "2026-10", "--today", "2026-11-10", "--no-progress")
    with pytest.raises(CommandError, match="--force needs --user NAME and --reason TEXT"):
        vool("run", "--period", "2026-10", "--force", "--no-progress")
    get_user_model().objects.create_superuser("mari", "mari@example.com", "pw")
    output = vool(
        "run",
        "--period",
        "2026-10",
        "--today",
        "2026-11-10",
        "--force",
        "--user",
        "mari",
        "--reason",
        "late meter data",
        "--no-progress",
    )
    assert "forced by mari: late meter data" in output
    assert BillRun.objects.get().forced


def test_a_bad_period_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="expected YYYY-MM"):
        vool("run", "--period", "October", "--no-progress")


def test_credit_and_rebill(customer) -> None:  # type: ignore[no-untyped-def]
    vool("run", "--period", "2026-10", "--today", "2026-11-05", "--no-progress")
    with mock.patch("django.utils.timezone.localdate", return_value=dt.date(2026, 11, 20)):
        output = vool("credit", "1", "--reason", "wrong reading", "--user", "mari")
        assert "Credit note 2 issued for invoice 1: -72,23\xa0€." in output
        reference = customer.billing_account.reference_number
        output = vool("rebill", reference, "--period", "2026-10")
    assert "Invoice 3 issued: 72,23\xa0€" in output
    assert Invoice.objects.filter(status="ISSUED", kind="INVOICE").count() == 1
    with pytest.raises(CommandError, match=r"^Arvet numbriga 9 pole\.$"):
        vool("credit", "9", "--reason", "x")
