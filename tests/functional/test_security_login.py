"""Sign-in throttling for the admin and the back office (issue 9 §4): after five wrong
passwords for one user name from one address, even the right password is refused for a while
(HTTP 429 and a page that says why); other users and addresses are not affected."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/backoffice/bill-runs/start/"


@pytest.fixture
def staff(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed
    get_user_model().objects.create_user("kati", password="the-right-one", is_staff=True)
    get_user_model().objects.create_user("mari", password="hers", is_staff=True)


def sign_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        ADMIN_LOGIN,
        {"username": username, "password": password, "next": "/backoffice/bill-runs/start/"},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


class TestSignInThrottling:
    def test_a_few_wrong_passwords_then_the_right_one_still_signs_in(self, client, staff):
        for _ in range(4):
            assert sign_in(client, "kati", "wrong").status_code == 200
        assert signed_in(sign_in(client, "kati", "the-right-one"))

    def test_after_five_wrong_passwords_the_right_one_is_refused(self, client, staff):
        for _ in range(5):
            sign_in(client, "kati", "wrong")
        response = sign_in(client, "kati", "the-right-one")
        assert response.status_code == 429
        assert not signed_in(response)
        html = response.content.decode()
        assert "<h1>Too many failed sign-ins</h1>" in html
        assert "even with the right password" in html

    def test_twenty_wrong_passwords_do_not_end_in_a_sign_in(self, client, staff):
        for _ in range(20):
            sign_in(client, "kati", "wrong")
        assert sign_in(client, "kati", "the-right-one").status_code == 429

    def test_another_user_and_another_address_are_not_locked_out(self, client, staff):
        for _ in range(5):
            sign_in(client, "kati", "wrong")
        assert signed_in(sign_in(client, "mari", "hers"))
        client.logout()
        assert signed_in(sign_in(client, "kati", "the-right-one", address="10.0.0.2"))
