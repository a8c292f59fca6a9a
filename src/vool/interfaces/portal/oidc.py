"""OpenID Connect sign-in to the portal through a national eID broker (off by default).

``VOOL_OIDC_ENABLED=1`` with the broker's endpoints and this client's id and secret turns it
on (see ``config/settings.py``). The code flow, state, nonce and the RS256 signature check of
the ID token are mozilla-django-oidc's; this module adds what the broker means here: the
token's issuer and audience are checked, and the person is the portal user of the customer
whose personal code the broker vouches for (``sub`` = ``EE`` + isikukood, as Estonian eID
brokers send it). Nobody is created: a person without a portal user is refused like a wrong
password. While it is off, the two URLs answer 404."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from vool.domain.customers import queries as customer_queries


def personal_code_of(subject: str) -> str | None:
    """The isikukood in an eID subject (``EE38001085718``), else ``None``."""
    code = subject.strip().upper().removeprefix("EE")
    return code if code.isdigit() and len(code) == 11 else None


class PortalOIDCBackend(OIDCAuthenticationBackend):
    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.OIDC_OP_ISSUER:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is for another client.")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return personal_code_of(str(claims.get("sub", ""))) is not None

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        code = personal_code_of(str(claims.get("sub", ""))) or ""
        return customer_queries.portal_users_with_personal_code(personal_code=code)


def _enabled() -> None:
    if not settings.VOOL_OIDC_ENABLED:
        raise Http404


class _Start(OIDCAuthenticationRequestView):
    def get(self, request: HttpRequest) -> HttpResponse:
        _enabled()
        response: HttpResponse = super().get(request)
        return response


class _Callback(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        _enabled()
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation:  # a token not from our broker, or not for us: logged
            failure: HttpResponse = self.login_failure()
            return failure
        if request.user.is_authenticated:
            request.session.set_expiry(settings.VOOL_PORTAL_SESSION_MINUTES * 60)
        return response


def start(request: HttpRequest) -> HttpResponse:
    _enabled()
    return _Start.as_view()(request)


def callback(request: HttpRequest) -> HttpResponse:
    _enabled()
    return _Callback.as_view()(request)
