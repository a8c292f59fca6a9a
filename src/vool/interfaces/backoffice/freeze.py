"""The service freeze in the Django admin: while it is on, a clerk's write through the admin
(an admin action, a changed hold, a retried delivery) is refused like the back office's own
actions, which refuse in their use cases. Signing in and out and a superuser's configuration
(an administrator may need to mend a setting during the freeze) still pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vool.usecases import freeze

STILL_OPEN = frozenset({"login", "logout", "password_change", "password_change_done"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AdminFreezeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if (
            match is None
            or match.namespace != "admin"
            or request.method in SAFE_METHODS
            or match.url_name in STILL_OPEN
            or getattr(request.user, "is_superuser", False)
        ):
            return None
        try:
            freeze.check_not_frozen()
        except freeze.FrozenNow as exc:
            context = {**admin.site.each_context(request), "message": exc}
            return render(request, "backoffice/refused.html", context, status=503)
        return None
