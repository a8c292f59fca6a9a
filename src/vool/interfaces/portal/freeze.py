"""The service freeze in the portal: every portal page knows whether it is on (the notice in
the page's language), and a write other than signing in or out, choosing the customer, a
password reset or a meter reading (which is queued, see ``usecases.portal``) is refused with
a page that says why (HTTP 503)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vool.usecases import freeze

#: portal pages that still take a POST during the freeze
STILL_OPEN = frozenset(
    {
        "login",
        "logout",
        "switch_customer",
        "submit_reading",
        "password_reset",
        "password_reset_confirm",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PortalFreezeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace != "portal":
            return None
        if request.method in SAFE_METHODS:  # only shown: a second late in another process
            request.vool_freeze = freeze.shown()  # type: ignore[attr-defined]
            return None
        current = freeze.current()  # a write: as it is now
        request.vool_freeze = current  # type: ignore[attr-defined]
        if current is None or match.url_name in STILL_OPEN:
            return None
        response = render(request, "portal/frozen.html", {"freeze": current}, status=503)
        response["Retry-After"] = "3600"
        return response
