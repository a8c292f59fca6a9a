"""OpenID Connect sign-in through an eID broker (issue 13 §1): off by default (404); on, the
authorization-code flow against a real provider in the test (tests/oidc_provider.py) signs
in the portal user of the customer whose personal code the broker vouches for; another
issuer, an unknown person or a replayed code do not sign anyone in."""

from __future__ import annotations

import urllib.request
from urllib.error import HTTPError
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.django_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def broker_round_trip(client) -> str:  # type: ignore[no-untyped-def]
    """Start at the portal, let the broker answer, and return the callback path + query."""
    start = client.get("/portal/oidc/start/")
    assert start.status_code == 302
    try:
        urllib.request.build_opener(_NoRedirect).open(start["Location"])
    except HTTPError as answer:
        assert answer.code == 302
        back = urlparse(answer.headers["Location"])
        return f"{back.path}?{back.query}"
    raise AssertionError("the provider did not redirect back")


def test_off_by_default(client, settings):
    settings.VOOL_OIDC_ENABLED = False
    assert "/portal/oidc/start/" not in client.get("/portal/login/").content.decode()
    assert client.get("/portal/oidc/start/").status_code == 404
    assert client.get("/portal/oidc/callback/").status_code == 404


class TestBrokerSignIn:
    def test_the_customer_with_that_personal_code_is_signed_in(
        self, client, household, oidc_provider
    ):
        oidc_provider.subject = f"EE{household.customer.personal_code}"
        login = client.get("/portal/login/", HTTP_ACCEPT_LANGUAGE="et").content.decode()
        assert "Logi sisse ID-kaardi, Mobiil-ID või Smart-ID-ga" in login
        callback = broker_round_trip(client)
        assert client.get(callback).status_code == 302
        page = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200 and household.customer.name in page.content.decode()

    def test_a_person_without_a_portal_user_is_refused(self, client, household, oidc_provider):
        oidc_provider.subject = "EE38001085718"  # a valid code nobody here has
        response = client.get(broker_round_trip(client))
        assert response.status_code == 302 and response["Location"] == "/portal/login/"
        assert client.get("/portal/").status_code == 302

    def test_a_token_from_another_issuer_is_refused(self, client, household, oidc_provider):
        oidc_provider.subject = f"EE{household.customer.personal_code}"
        oidc_provider.issuer = "https://elsewhere.example"
        response = client.get(broker_round_trip(client))
        assert response["Location"] == "/portal/login/"
        assert client.get("/portal/").status_code == 302

    def test_a_callback_replayed_signs_nobody_in(self, client, household, oidc_provider):
        oidc_provider.subject = f"EE{household.customer.personal_code}"
        callback = broker_round_trip(client)
        client.get(callback)
        client.logout()
        replay = client.get(callback)
        assert replay["Location"] == "/portal/login/"
        assert client.get("/portal/").status_code == 302
