"""Signing in to the portal (issue 13 §1): e-mail or user name, Argon2 hashes (older ones still
valid), throttling shared with the admin, session expiry, no account enumeration, password
reset by e-mail, one user acting for several customers."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import mail

from factories import BusinessFactory, PersonFactory
from vool.config import settings as project_settings
from vool.domain.customers.models import PortalAccess

pytestmark = pytest.mark.django_db

LOGIN = "/portal/login/"
WRONG = "The e-mail or user name and the password do not match."


@pytest.fixture
def mari():
    user = get_user_model().objects.create_user(
        "mari", email="Mari.Tamm@example.ee", password="kask-ja-mand-7"
    )
    customer = PersonFactory(first_name="Mari", user=user)
    return user, customer


def sign_in(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


class TestSignIn:
    def test_with_the_user_name(self, client, mari):
        response = sign_in(client, "mari", "kask-ja-mand-7")
        assert signed_in(response)
        assert response["Location"] == "/portal/"
        page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en")
        assert mari[1].name in page.content.decode()

    def test_with_the_e_mail_in_any_case(self, client, mari):
        assert signed_in(sign_in(client, "mari.tamm@EXAMPLE.ee", "kask-ja-mand-7"))

    @pytest.fixture
    def project_hashers(self, settings):
        settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # not the tests' MD5

    def test_the_password_is_stored_with_argon2(self, project_hashers):
        get_user_model().objects.create_user("kati", password="kask-ja-mand-7")
        assert get_user_model().objects.get(username="kati").password.startswith("argon2$")

    def test_an_older_pbkdf2_hash_still_signs_in_and_is_upgraded(
        self, client, mari, project_hashers
    ):
        user = mari[0]
        user.password = make_password(
            "kask-ja-mand-7", hasher="pbkdf2_sha256"
        )  # as before the switch
        user.save()
        assert signed_in(sign_in(client, "mari", "kask-ja-mand-7"))
        user.refresh_from_db()
        assert user.password.startswith("argon2$")

    def test_unknown_user_wrong_password_and_unknown_e_mail_read_the_same(self, client, mari):
        answers = [
            sign_in(client, "mari", "wrong"),
            sign_in(client, "nobody", "wrong"),
            sign_in(client, "nobody@example.ee", "wrong"),
        ]
        for response in answers:
            assert response.status_code == 200
            assert WRONG in response.content.decode()
        bodies = {
            re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", r.content.decode())
            .replace('value="mari"', "")
            .replace('value="nobody"', "")
            .replace('value="nobody@example.ee"', "")
            for r in answers
        }
        assert len(bodies) == 1

    def test_pages_need_a_sign_in(self, client):
        response = client.get("/portal/")
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/login/?next=/portal/")

    def test_a_user_for_no_customer_is_told_so(self, client):
        get_user_model().objects.create_user("lonely", password="x-y-z-1-2-3")
        client.force_login(get_user_model().objects.get(username="lonely"))
        response = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403
        assert "not linked to any customer" in response.content.decode()

    def test_the_session_expires_after_the_configured_minutes(self, client, mari, settings):
        settings.VOOL_PORTAL_SESSION_MINUTES = 20
        response = sign_in(client, "mari", "kask-ja-mand-7")
        assert response.wsgi_request.session.get_expiry_age() == 20 * 60
        assert client.cookies["sessionid"]["max-age"] == 20 * 60

    def test_signing_out_needs_a_post_and_ends_the_session(self, client, mari):
        sign_in(client, "mari", "kask-ja-mand-7")
        assert client.get("/portal/logout/").status_code == 405
        assert client.post("/portal/logout/").status_code == 302
        assert client.get("/portal/").status_code == 302

    def test_the_form_carries_a_csrf_token(self, mari):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        assert (
            strict.post(LOGIN, {"username": "mari", "password": "kask-ja-mand-7"}).status_code
            == 403
        )


class TestThrottling:
    def test_five_wrong_passwords_lock_the_portal_sign_in(self, client, mari):
        for _ in range(5):
            sign_in(client, "mari", "wrong")
        response = sign_in(client, "mari", "kask-ja-mand-7")
        assert response.status_code == 429
        assert not signed_in(response)
        assert "Too many failed sign-ins" in response.content.decode()

    def test_wrong_passwords_by_e_mail_count_for_the_user(self, client, mari):
        for _ in range(5):
            sign_in(client, "mari.tamm@example.ee", "wrong")
        assert sign_in(client, "mari", "kask-ja-mand-7").status_code == 429

    def test_another_address_is_not_locked_out(self, client, mari):
        for _ in range(5):
            sign_in(client, "mari", "wrong")
        assert signed_in(sign_in(client, "mari", "kask-ja-mand-7", address="10.0.0.2"))


class TestPasswordReset:
    def ask(self, client, email: str, language: str = "en"):
        return client.post(
            "/portal/password-reset/", {"email": email}, HTTP_ACCEPT_LANGUAGE=language
        )

    def test_a_link_by_e_mail_sets_a_new_password(self, client, mari):
        response = self.ask(client, "mari.tamm@example.ee")
        assert response.status_code == 302
        assert response["Location"] == "/portal/password-reset/sent/"
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["Mari.Tamm@example.ee"]
        assert message.subject == "A new password for Vool self-service"
        link = re.search(r"http://testserver(/portal/password-reset/\S+/)", message.body)
        assert link is not None
        page = client.get(link.group(1), follow=True)
        assert 'name="new_password1"' in page.content.decode()
        done = client.post(
            page.redirect_chain[-1][0],
            {"new_password1": "uus-parool-2027", "new_password2": "uus-parool-2027"},
        )
        assert done["Location"] == "/portal/password-reset/done/"
        client.logout()
        assert signed_in(sign_in(client, "mari", "uus-parool-2027"))

    def test_the_e_mail_is_in_the_users_language(self, client, mari):
        self.ask(client, "mari.tamm@example.ee", language="et")
        assert mail.outbox[0].subject == "Uus parool Voolu iseteenindusse"

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self, client, mari):
        known = self.ask(client, "mari.tamm@example.ee")
        unknown = self.ask(client, "nobody@example.ee")
        assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
        assert len(mail.outbox) == 1

    def test_a_used_link_does_not_work_again(self, client, mari):
        self.ask(client, "mari.tamm@example.ee")
        path = re.search(r"http://testserver(/portal/\S+/)", mail.outbox[0].body).group(1)
        page = client.get(path, follow=True)
        form_url = page.redirect_chain[-1][0]
        client.post(
            form_url, {"new_password1": "uus-parool-2027", "new_password2": "uus-parool-2027"}
        )
        again = client.get(path, follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert "This link does not work any more" in again.content.decode()


class TestActingForSeveralCustomers:
    @pytest.fixture
    def representative(self, mari):
        user, own = mari
        firm = BusinessFactory(name="Kask ja Mänd OÜ")
        PortalAccess.objects.create(user=user, customer=firm, role=PortalAccess.Role.REPRESENTATIVE)
        return user, own, firm

    def test_the_switcher_lists_both_and_switches(self, client, representative):
        user, own, _firm = representative
        client.force_login(user)
        page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Kask ja Mänd OÜ" in page and own.name in page
        assert "<h1>Kask ja Mänd OÜ</h1>" in page  # by name: the firm sorts first
        client.post("/portal/customer/", {"customer": own.pk})
        page = client.get("/portal/").content.decode()
        assert f"<h1>{own.name}</h1>" in page

    def test_switching_to_someone_elses_customer_is_404(self, client, representative):
        user, _own, _firm = representative
        stranger = PersonFactory()
        client.force_login(user)
        assert client.post("/portal/customer/", {"customer": stranger.pk}).status_code == 404
        assert client.post("/portal/customer/", {"customer": "x"}).status_code == 404

    def test_an_access_taken_away_drops_the_choice(self, client, representative):
        user, own, firm = representative
        client.force_login(user)
        client.post("/portal/customer/", {"customer": firm.pk})
        PortalAccess.objects.filter(customer=firm).delete()
        page = client.get("/portal/").content.decode()
        assert f"<h1>{own.name}</h1>" in page
