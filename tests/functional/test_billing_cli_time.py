"""``vool billing``: the issue date (``--today``), the data cut-off (``--as-of``) and who may
back-date a run, a credit note or a rebill."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from billing_factories import add_intervals, fixed_product, load_test_tariffs, remote_account
from vool.common.localtime import Month
from vool.domain.billing.models import BillRun, Invoice

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
REAL_TODAY = dt.date(2026, 11, 29)


def vool(*args: str) -> str:
    out = StringIO()
    with mock.patch("django.utils.timezone.localdate", return_value=REAL_TODAY):
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


class TestBackDatedRunsInProduction:
    def test_an_issue_date_other_than_today_is_refused_without_force(
        self, customer, settings
    ) -> None:  # type: ignore[no-untyped-def]
        settings.PRODUCTION = True
        with pytest.raises(CommandError, match=r"not today \(2026-11-29\); in production"):
            vool("run", "--period", "2026-10", "--today", "2026-11-05", "--no-progress")
        assert not BillRun.objects.exists()

    def test_forced_it_is_recorded_as_forced_with_the_date(self, customer, settings) -> None:  # type: ignore[no-untyped-def]
        settings.PRODUCTION = True
        User.objects.create_superuser("mari", "mari@example.ee", "x")
        vool(
            "run", "--period", "2026-10", "--today", "2026-11-05", "--force",
            "--user", "mari", "--reason", "catching up", "--no-progress",
        )  # fmt: skip
        run = BillRun.objects.get()
        assert run.forced and run.forced_by == "mari"
        assert run.forced_reason == "issue date 2026-11-05 set on 2026-11-29: catching up"
        assert run.issue_date == dt.date(2026, 11, 5)

    def test_outside_production_any_issue_date_is_allowed(self, customer) -> None:  # type: ignore[no-untyped-def]
        output = vool("run", "--period", "2026-10", "--today", "2026-11-05", "--no-progress")
        run = BillRun.objects.get()
        assert not run.forced and run.issue_date == dt.date(2026, 11, 5)
        assert "issue date 2026-11-05, data as of 2026-11-05 00:00 (local time)" in output


class TestCreditAndRebillTimes:
    def test_credit_and_rebill_take_an_issue_date_and_a_cut_off(self, customer) -> None:  # type: ignore[no-untyped-def]
        vool("run", "--period", "2026-10", "--today", "2026-11-05", "--no-progress")
        vool("credit", "1", "--reason", "wrong", "--today", "2026-11-20")
        assert Invoice.objects.get(number=2).issue_date == dt.date(2026, 11, 20)
        reference = customer.billing_account.reference_number
        vool(
            "rebill", reference, "--period", "2026-10", "--today", "2026-11-21",
            "--as-of", "2026-11-21T08:00:00+02:00",
        )  # fmt: skip
        invoice = Invoice.objects.get(number=3)
        assert invoice.issue_date == dt.date(2026, 11, 21)
        assert invoice.as_of == dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)

    def test_back_dating_a_credit_note_in_production_needs_force(self, customer, settings) -> None:  # type: ignore[no-untyped-def]
        vool("run", "--period", "2026-10", "--today", "2026-11-05", "--no-progress")
        settings.PRODUCTION = True
        with pytest.raises(CommandError, match="in production that is a forced action"):
            vool("credit", "1", "--reason", "wrong", "--today", "2026-11-20")
        assert Invoice.objects.get(number=1).status == "ISSUED"

    def test_a_bad_date_is_named(self) -> None:
        with pytest.raises(CommandError, match="'2026-13-01' is not a date"):
            vool("run", "--period", "2026-10", "--today", "2026-13-01")


def test_a_forced_run_of_a_billed_month_points_to_rebill(customer) -> None:  # type: ignore[no-untyped-def]
    vool("run", "--period", "2026-10", "--today", "2026-11-05", "--no-progress")
    User.objects.create_superuser("mari", "mari@example.ee", "x")
    with pytest.raises(CommandError, match=r"juba arveldatud.*vool billing rebill"):
        vool(
            "run", "--period", "2026-10", "--today", "2026-11-25", "--force",
            "--user", "mari", "--reason", "again", "--no-progress",
        )  # fmt: skip
