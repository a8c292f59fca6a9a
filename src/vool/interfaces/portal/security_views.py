"""Two-step sign-in (TOTP) in the portal: setting it up and turning it off on the profile,
and the second step of signing in, which asks for the code from the user's app after the
password was right. The user is signed in only after both steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from vool.interfaces.portal.access import SESSION_CUSTOMER, customer_page
from vool.interfaces.portal.contract_views import actor_of
from vool.usecases import portal_profile as profiles

if TYPE_CHECKING:
    from vool.domain.customers.models import Customer

PENDING = "portal_pending_sign_in"
MAX_CODE_ATTEMPTS = 5


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


def needs_second_step(request: HttpRequest, user: Any, next_url: str) -> HttpResponse | None:
    """After a right password: if the user has two-step sign-in on, remember who is half
    signed in and send them to the code page (else ``None``: sign in as usual)."""
    if not profiles.second_factor_on(user_id=user.pk):
        return None
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "next": next_url,
        "failures": 0,
    }
    return redirect("portal:sign_in_code")


def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if profiles.check_sign_in_code(
            user_id=pending["user"], code=form.cleaned_data["code"], at=timezone.now()
        ):
            user = get_user_model().objects.get(pk=pending["user"])
            del request.session[PENDING]
            login(request, user, backend=pending["backend"])
            request.session.pop(SESSION_CUSTOMER, None)
            request.session.set_expiry(settings.VOOL_PORTAL_SESSION_MINUTES * 60)
            safe = url_has_allowed_host_and_scheme(
                pending["next"], allowed_hosts={request.get_host()}
            )
            return redirect(pending["next"] if safe else "portal:overview")
        pending["failures"] += 1
        if pending["failures"] >= MAX_CODE_ATTEMPTS:
            del request.session[PENDING]
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("portal:login")
        request.session[PENDING] = pending
        form.add_error("code", _("The code is not right. Check the time on your phone."))
    status = 400 if form.errors else 200
    return render(request, "portal/sign_in_code.html", {"form": form}, status=status)


@customer_page
def two_step(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Set up (a new key, confirmed with a first code) or turn off two-step sign-in."""
    user_id = int(request.user.pk)  # type: ignore[arg-type]
    is_on = profiles.second_factor_on(user_id=user_id)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if is_on and profiles.turn_off_second_factor(customer, code=code, actor=actor_of(request)):
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("portal:profile")
        if not is_on and profiles.confirm_second_factor(
            customer, code=code, actor=actor_of(request)
        ):
            messages.success(request, _("Two-step sign-in is on: we ask for a code at sign-in."))
            return redirect("portal:profile")
        form.add_error("code", _("The code is not right. Check the time on your phone."))
    setup = None if is_on else profiles.pending_second_factor(user=request.user)
    context = {"is_on": is_on, "setup": setup, "form": form}
    return render(request, "portal/two_step.html", context, status=400 if form.errors else 200)


@require_POST
@customer_page
def two_step_begin(request: HttpRequest, customer: Customer) -> HttpResponse:
    if not profiles.second_factor_on(user_id=int(request.user.pk)):  # type: ignore[arg-type]
        profiles.begin_second_factor(user=request.user)
    return redirect("portal:two_step")
