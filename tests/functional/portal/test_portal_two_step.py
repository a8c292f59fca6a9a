"""Optional two-step sign-in (TOTP, issue 13 §1): set up on the profile with a first code,
then signing in needs the code after the password (each code once, five wrong codes end the
attempt), turned off with a code; turning it on and off is audited."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.test import Client
from tests.functional.portal.conftest import PASSWORD

from vool.domain.audit.models import AuditEntry
from vool.domain.customers.models import SecondFactor

pytestmark = pytest.mark.django_db


def turn_on(client: Client, household) -> pyotp.TOTP:  # type: ignore[no-untyped-def]
    client.force_login(household.user)
    assert client.post("/portal/profile/two-step/new/").status_code == 302
    page = client.get("/portal/profile/two-step/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    secret = SecondFactor.objects.get(user=household.user).secret
    assert secret in page and "<svg" in page
    totp = pyotp.TOTP(secret)
    assert client.post("/portal/profile/two-step/", {"code": totp.now()}).status_code == 302
    client.logout()
    return totp


def wrong_code(secret: str) -> str:
    """A six-digit code that is none of the three the server accepts now."""
    totp, now = pyotp.TOTP(secret), time.time()
    valid = {totp.at(now + d) for d in (-60, -30, 0, 30, 60)}
    return next(c for c in (f"{n:06d}" for n in range(10)) if c not in valid)


def password_step(client: Client, household) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/portal/login/", {"username": household.user.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/portal/login/code/"


class TestSetUp:
    def test_a_wrong_first_code_leaves_it_off(self, client, household):
        client.force_login(household.user)
        client.post("/portal/profile/two-step/new/")
        secret = SecondFactor.objects.get(user=household.user).secret
        response = client.post("/portal/profile/two-step/", {"code": wrong_code(secret)})
        assert response.status_code == 400
        assert SecondFactor.objects.get(user=household.user).confirmed_at is None

    def test_on_with_a_first_code_and_audited(self, client, household):
        turn_on(client, household)
        assert SecondFactor.objects.get(user=household.user).confirmed_at is not None
        entry = AuditEntry.objects.get(action="auth.second_factor_on")
        assert (entry.user, entry.customer_id, entry.source_address) == (
            household.user,
            household.customer.pk,
            "127.0.0.1",
        )


class TestSignIn:
    def test_the_password_alone_does_not_sign_in(self, client, household):
        totp = turn_on(client, household)
        password_step(client, household)
        assert client.get("/portal/").status_code == 302  # still signed out
        code = totp.at(time.time() + 30)  # the next step: the first one was used to set up
        response = client.post("/portal/login/code/", {"code": code})
        assert response.status_code == 302
        assert client.get("/portal/").status_code == 200
        client.logout()
        password_step(client, household)
        again = client.post("/portal/login/code/", {"code": code}, HTTP_ACCEPT_LANGUAGE="en")
        assert again.status_code == 400 and "The code is not right" in again.content.decode()

    def test_five_wrong_codes_end_the_attempt(self, client, household):
        totp = turn_on(client, household)
        password_step(client, household)
        for _ in range(4):
            code = wrong_code(totp.secret)
            assert client.post("/portal/login/code/", {"code": code}).status_code == 400
        last = client.post("/portal/login/code/", {"code": wrong_code(totp.secret)})
        assert last.status_code == 302 and last["Location"] == "/portal/login/"
        assert client.get("/portal/login/code/")["Location"] == "/portal/login/"

    def test_without_two_step_the_password_signs_in(self, client, household):
        response = client.post(
            "/portal/login/", {"username": household.user.email, "password": PASSWORD}
        )
        assert response.status_code == 302 and response["Location"] == "/portal/"


class TestTurnOff:
    def test_off_with_a_code_and_audited(self, client, household):
        totp = turn_on(client, household)
        client.force_login(household.user)
        wrong = client.post("/portal/profile/two-step/", {"code": "123"})
        assert wrong.status_code == 400 and SecondFactor.objects.exists()
        response = client.post("/portal/profile/two-step/", {"code": totp.at(time.time() + 30)})
        assert response.status_code == 302
        assert not SecondFactor.objects.exists()
        assert AuditEntry.objects.filter(action="auth.second_factor_off").count() == 1
