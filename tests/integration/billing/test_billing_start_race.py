"""Two starts of the same month at the same instant: one run, and the other start is told which
run won (issue 9 §3), through the use case and through the back office's double submit.

On PostgreSQL both starts pass the "no active run" check before either inserts (a barrier
in ``pre_save`` holds them there), so the loser meets the unique constraint. SQLite takes
the write lock when the transaction begins (``transaction_mode=IMMEDIATE``), so there the
second start waits and then sees the first: no barrier (it would wait forever)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.db.models.signals import pre_save
from django.test import Client

from billing_factories import add_intervals, fixed_product, remote_account
from vool.common.localtime import Month
from vool.domain.billing.models import BillRun
from vool.usecases import bill_run

pytestmark = pytest.mark.django_db(transaction=True)

OCTOBER = Month(2026, 10)
BILL_DAY = dt.date(2026, 11, 4)
START_URL = "/backoffice/bill-runs/start/"


@pytest.fixture
def accounts() -> None:
    product = fixed_product()
    for n in range(2):
        contract = remote_account(product=product)
        add_intervals(contract.metering_point, OCTOBER, wh=100 * (n + 1))


@pytest.fixture
def both_pass_the_check() -> Iterator[None]:
    """Hold each insert of a BillRun until two are about to happen (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        yield
        return
    barrier = threading.Barrier(2, timeout=10)

    def wait(sender: Any, instance: BillRun, **kwargs: Any) -> None:
        if instance.pk is None:  # an insert (the winner saves its run again later)
            barrier.wait()

    pre_save.connect(wait, sender=BillRun, dispatch_uid="race")
    try:
        yield
    finally:
        pre_save.disconnect(sender=BillRun, dispatch_uid="race")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads started together; each returns its result or its exception."""
    results: list[Any] = [None] * len(calls)

    def run(n: int, call: Callable[[], Any]) -> None:
        try:
            results[n] = call()
        except Exception as exc:
            results[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def start(who: str) -> Callable[[], BillRun]:
    return lambda: bill_run.start_run(period=OCTOBER, today=BILL_DAY, started_by=who)


class TestTwoStartsAtOnce:
    def test_the_use_case_starts_one_run_and_names_it_to_the_other(
        self, accounts, both_pass_the_check, monkeypatch
    ):
        monkeypatch.setattr(bill_run, "launch_in_background", lambda run_id: None)
        results = at_once(start("kati"), start("mari"))
        run = BillRun.objects.get()
        won = [r for r in results if isinstance(r, BillRun)]
        lost = [r for r in results if not isinstance(r, BillRun)]
        assert [w.pk for w in won] == [run.pk]
        assert len(lost) == 1 and isinstance(lost[0], bill_run.RunAlreadyStarted), lost
        assert lost[0].run.pk == run.pk
        # in the default language, Estonian
        assert (
            f"Perioodi 2026-10 arveldusjooks {run.pk}, mille käivitas {run.started_by}, on juba "
            "käimas; teist jooksu ei käivitatud." in str(lost[0])
        )

    def test_the_cli_path_of_the_use_case_answers_in_words_too(self, accounts, both_pass_the_check):
        def run_billing() -> BillRun:
            return bill_run.run_billing(period=OCTOBER, today=BILL_DAY, estimate=False)

        results = at_once(run_billing, run_billing)
        lost = [r for r in results if not isinstance(r, BillRun)]
        assert len(lost) == 1 and isinstance(lost[0], bill_run.RunAlreadyStarted), results
        assert BillRun.objects.count() == 1


@pytest.fixture
def clerks(monkeypatch) -> list[Client]:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: BILL_DAY)
    monkeypatch.setattr(bill_run, "launch_in_background", lambda run_id: None)
    permissions = Permission.objects.filter(codename__in=["add_billrun", "view_billrun"])
    clients = []
    for name in ("kati", "mari"):
        user = get_user_model().objects.create_user(name, password="pw", is_staff=True)
        user.user_permissions.add(*permissions)
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


class TestDoubleSubmitInTheBackOffice:
    FORM = {"period": "2026-10", "workers": "1"}

    def test_the_second_submit_shows_the_run_that_was_started(self, accounts, clerks):
        kati = clerks[0]
        first = kati.post(START_URL, self.FORM)
        second = kati.post(START_URL, self.FORM, follow=True)
        run = BillRun.objects.get()
        page = f"/admin/billing/billrun/{run.pk}/change/"
        assert first.status_code == 302 and first.url == page
        assert second.redirect_chain == [(page, 302)]
        assert second.status_code == 200
        shown = [str(m) for m in second.context["messages"]]
        assert any(
            f"Perioodi 2026-10 arveldusjooks {run.pk}, mille käivitas kati" in m for m in shown
        )

    def test_two_clerks_submitting_at_the_same_instant_both_see_the_one_run(
        self, accounts, clerks, both_pass_the_check
    ):
        responses = at_once(*(lambda c=c: c.post(START_URL, self.FORM) for c in clerks))
        run = BillRun.objects.get()
        assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
        assert {r.url for r in responses} == {f"/admin/billing/billrun/{run.pk}/change/"}
