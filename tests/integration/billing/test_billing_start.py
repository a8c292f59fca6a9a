"""Starting a bill run from the back office, and the scheduler's monthly run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from billing_factories import add_intervals, fixed_product, remote_account
from vool.common.localtime import Month
from vool.config.celery import app as celery_app
from vool.domain.billing.models import BillRun
from vool.interfaces.jobs import billing as billing_jobs
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
START_URL = "/backoffice/bill-runs/start/"


@pytest.fixture
def accounts():
    product = fixed_product()
    ids = []
    for n in range(3):
        contract = remote_account(product=product)
        add_intervals(contract.metering_point, OCTOBER, wh=100 * (n + 1))
        ids.append(contract.billing_account_id)
    return ids


@pytest.fixture
def clerk(client):
    """A billing clerk: staff who may start runs, not a superuser."""
    user = get_user_model().objects.create_user("kati", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_billrun"))
    client.force_login(user)
    return client


@pytest.fixture
def superuser(client):
    user = get_user_model().objects.create_superuser("juhan", "j@example.com", "pw")
    client.force_login(user)
    return client


def on_day(monkeypatch, day: dt.date) -> None:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)


class TestStartFromTheBackOffice:
    def test_the_form_offers_last_month(self, clerk, monkeypatch):
        on_day(monkeypatch, dt.date(2026, 11, 4))
        response = clerk.get(START_URL)
        assert response.status_code == 200
        assert response.context["form"].initial["period"] == "2026-10"

    def test_a_run_inside_the_window_is_started_audited_and_launched(
        self, clerk, accounts, monkeypatch, django_capture_on_commit_callbacks
    ):
        on_day(monkeypatch, dt.date(2026, 11, 4))
        launched = []
        monkeypatch.setattr(
            bill_run, "launch_in_background", lambda run_id: launched.append(run_id)
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = clerk.post(START_URL, {"period": "2026-10", "workers": "1"})
        run = BillRun.objects.get()
        assert response.status_code == 302
        assert run.started_by == "kati" and not run.forced
        assert run.status == "PENDING" and run.account_count == 3
        assert launched == [run.pk]
        # what the background process does: finish the run
        finished = bill_run.finish_run(run_id=run.pk)
        assert finished.status == "DONE" and finished.invoice_count == 3

    def test_outside_the_window_the_clerk_is_told_why_and_nothing_starts(
        self, clerk, accounts, monkeypatch
    ):
        on_day(monkeypatch, dt.date(2026, 11, 27))
        response = clerk.post(START_URL, {"period": "2026-10", "workers": "1"})
        assert response.status_code == 200
        errors = response.context["form"].non_field_errors()
        assert "2026-11-01" in errors[0] and "2026-11-09" in errors[0]
        assert not BillRun.objects.exists()

    def test_only_a_superuser_may_force(self, clerk, accounts, monkeypatch):
        on_day(monkeypatch, dt.date(2026, 11, 27))
        response = clerk.post(
            START_URL, {"period": "2026-10", "workers": "1", "force": "on", "reason": "late data"}
        )
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [
            "kati ei tohi arveldusjooksu erandkorras käivitada: seda tohib ainult aktiivne "
            "superkasutaja."
        ]
        assert not BillRun.objects.exists()

    def test_start_run_itself_refuses_a_force_by_who_may_not(self, accounts):
        # the rule lives in the use case, so every interface (CLI, back office, jobs) has it
        get_user_model().objects.create_user("kati", password="pw", is_staff=True)
        with pytest.raises(bill_run.NotAllowedToForce, match="ainult aktiivne superkasutaja"):
            bill_run.start_run(
                period=OCTOBER, today=dt.date(2026, 11, 27), started_by="kati", force_reason="x"
            )
        with pytest.raises(bill_run.NotAllowedToForce, match="nobody"):
            bill_run.run_billing(
                period=OCTOBER, today=dt.date(2026, 11, 27), forced_by="nobody", forced_reason="x"
            )
        assert not BillRun.objects.exists()

    def test_a_forced_run_records_who_and_why(self, superuser, accounts, monkeypatch):
        on_day(monkeypatch, dt.date(2026, 11, 27))
        monkeypatch.setattr(bill_run, "launch_in_background", lambda run_id: None)
        response = superuser.post(
            START_URL,
            {"period": "2026-10", "workers": "1", "force": "on", "reason": "data hub was late"},
        )
        assert response.status_code == 302
        run = BillRun.objects.get()
        assert (run.forced, run.forced_by, run.forced_reason, run.started_by) == (
            True,
            "juhan",
            "data hub was late",
            "juhan",
        )

    def test_staff_without_the_permission_cannot_start(self, client):
        user = get_user_model().objects.create_user("mari", password="pw", is_staff=True)
        client.force_login(user)
        assert client.get(START_URL).status_code in {302, 403}


class TestScheduler:
    def test_the_beat_schedule_bills_monthly_inside_the_window(self):
        entry = celery_app.conf.beat_schedule["monthly-bill-run"]
        assert entry["task"] == billing_jobs.MONTHLY_TASK
        assert entry["schedule"].day_of_month == {5}
        assert celery_app.conf.timezone == "Europe/Tallinn"

    def test_the_monthly_task_bills_the_previous_month(self, accounts):
        # eager: the chunk tasks the monthly task sends run here, the last one issues the run
        # (on a real one-slot worker: test_billing_distributed.py)
        celery_app.conf.task_always_eager = True
        try:
            status = billing_jobs.bill_previous_month.run(today="2026-11-05")
        finally:
            celery_app.conf.task_always_eager = False
        run = BillRun.objects.get()
        assert (status, run.period, run.started_by, run.invoice_count) == (
            "DONE",
            "2026-10",
            "scheduler",
            3,
        )
