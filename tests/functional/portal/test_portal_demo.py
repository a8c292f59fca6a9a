"""The demo's portal log-ins (issue 13 §1): after `vool demo seed`, demo1..demo3 with the
password `demo` sign in to the portal and see their own customer."""

from __future__ import annotations

import datetime as dt

import pytest

from vool.domain.customers.models import Customer
from vool.usecases.demo import seed, users

pytestmark = pytest.mark.django_db


def test_the_demo_log_ins_sign_in_to_their_customer(client):
    seed.seed_demo(customers=12, seed=7, as_of=dt.date(2026, 4, 2), history_months=1)
    logins = [login for login in users.ensure_demo_users() if login.username.startswith("demo")]
    assert [login.username for login in logins] == ["demo1", "demo2", "demo3"]
    for login in logins:
        response = client.post(
            "/portal/login/",
            {"username": login.username, "password": login.password},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 302, login.username
        page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en")
        customer = Customer.objects.get(user__username=login.username)
        assert page.status_code == 200
        assert f"<h1>{customer.name}</h1>" in page.content.decode()
        client.post("/portal/logout/")
