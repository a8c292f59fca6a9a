"""A run's report in words: ``vool billing report RUN`` and the run's back-office page show the
exceptions by code with what the code means, and what the estimation step could not do."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from billing_factories import fixed_product, load_test_tariffs, manual_account
from vool.common.localtime import Month
from vool.domain.billing import operations
from vool.domain.billing.models import BillRun
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
FAILURE = {
    "register_id": 7,
    "metering_point": "38ZEE-00000007-Q",
    "register": "DAY",
    "reason": "ValueError: the register's history is damaged",
}


@pytest.fixture
def run() -> BillRun:
    """October billed with one manual point that has no reading at all (an exception), and
    the estimation step's report naming one register it could not estimate."""
    load_test_tariffs()
    manual_account(product=fixed_product())
    run = bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    operations.record_estimation(
        run_id=run.pk,
        summary={
            "period": "2026-10",
            "registers": 3,
            "estimated": 2,
            "by_method": {"LOAD_PROFILE": 2},
            "failures": [FAILURE],
        },
    )
    run.refresh_from_db()
    return run


def test_the_cli_report_says_what_each_exception_code_means(run: BillRun) -> None:
    out = StringIO()
    with translation.override("en"):
        call_command("billing", "report", str(run.pk), stdout=out)
    text = out.getvalue()
    assert (
        "    exceptions NO_CONSUMPTION_DATA (no consumption data (readings or interval data)): 1"
        in text
    )
    assert "  readings estimated: 2 of 3 registers (LOAD_PROFILE 2)" in text
    assert "  1 register(s) could not be estimated:" in text
    assert "    38ZEE-00000007-Q DAY: ValueError: the register's history is damaged" in text


def test_the_run_page_shows_exceptions_and_estimation_failures(run: BillRun) -> None:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("admin", "a@example.com", "pw"))
    page = client.get(
        reverse("admin:billing_billrun_change", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        "1: no consumption data (readings or interval data) <code>NO_CONSUMPTION_DATA</code>"
        in (html)
    )
    assert "2 of 3 registers estimated" in html
    assert "38ZEE-00000007-Q DAY: ValueError: the register&#x27;s history is damaged" in html


def test_a_whole_step_failure_is_shown_too(run: BillRun) -> None:
    operations.record_estimation(
        run_id=run.pk, summary={"period": "2026-10", "error": "RuntimeError: tables locked"}
    )
    out = StringIO()
    with translation.override("en"):
        call_command("billing", "report", str(run.pk), stdout=out)
    assert "  the estimation step failed: RuntimeError: tables locked" in out.getvalue()
