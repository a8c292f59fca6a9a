# ruff: noqa: RUF001 - the Russian messages are Cyrillic on purpose
"""``vool billing run --force --user NAME``: NAME is a real user who may force runs (an active
superuser), and the run records that user (issue 9 §4)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from billing_factories import add_intervals, fixed_product, load_test_tariffs, remote_account
from vool.common.localtime import Month
from vool.domain.billing.models import BillRun
from vool.domain.billing.operations import OutsideBillingWindow
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)


@pytest.fixture(autouse=True)
def customer() -> None:
    load_test_tariffs()
    contract = remote_account(product=fixed_product())
    add_intervals(contract.metering_point, OCTOBER, wh=100)


def force(user: str) -> str:
    out = StringIO()
    call_command(
        "billing",
        "run",
        "--period",
        "2026-10",
        "--today",
        "2026-11-10",
        "--force",
        "--user",
        user,
        "--reason",
        "late meter data",
        "--no-progress",
        stdout=out,
    )
    return out.getvalue()


class TestForcingNeedsAUserWhoMay:
    def test_a_name_that_is_no_user_is_refused_and_nothing_runs(self):
        with pytest.raises(CommandError) as refused:
            force("no-such-user")
        assert str(refused.value) == (
            "Kasutajat 'no-such-user' ei ole: nimeta kasutaja, kes jooksu erandkorras käivitab."
        )
        assert not BillRun.objects.exists()

    def test_a_staff_user_who_is_no_superuser_is_refused(self):
        get_user_model().objects.create_user("kati", password="pw", is_staff=True)
        with pytest.raises(CommandError) as refused:
            force("kati")
        assert str(refused.value) == (
            "kati ei tohi arveldusjooksu erandkorras käivitada: seda tohib ainult aktiivne "
            "superkasutaja."
        )
        assert not BillRun.objects.exists()

    def test_an_inactive_superuser_is_refused(self):
        get_user_model().objects.create_superuser("vana", "v@example.com", "pw", is_active=False)
        with pytest.raises(CommandError):
            force("vana")
        assert not BillRun.objects.exists()

    def test_a_superuser_forces_and_is_recorded(self):
        get_user_model().objects.create_superuser("juhan", "j@example.com", "pw")
        output = force(" juhan ")
        run = BillRun.objects.get()
        assert (run.forced, run.forced_by, run.forced_reason) == (
            True,
            "juhan",
            "late meter data",
        )
        assert "forced by juhan: late meter data" in output


class TestTheBillingWindowRefusalSpeaksTheUsersLanguage:
    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            (
                "et",
                "Perioodi 2026-10 arved koostatakse 2026-11-01 kuni 2026-11-09; täna on "
                "2026-11-10. Õigustega kasutaja saab jooksu erandkorras käivitada (--force "
                "--reason TEKST --user NIMI).",
            ),
            (
                "ru",
                "Счета за 2026-10 выставляются с 2026-11-01 по 2026-11-09; сегодня 2026-11-10. "
                "Пользователь с правами может запустить прогон принудительно (--force --reason "
                "ТЕКСТ --user ИМЯ).",
            ),
            (
                "en",
                "Bills for 2026-10 are made from 2026-11-01 to 2026-11-09; today is 2026-11-10. "
                "A privileged user can force the run (--force --reason TEXT --user NAME).",
            ),
        ],
    )
    def test_in_estonian_russian_and_english(self, language, expected):
        with translation.override(language), pytest.raises(OutsideBillingWindow) as refused:
            bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 10))
        assert str(refused.value) == expected
