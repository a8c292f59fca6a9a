"""Forms of the portal: sign-in (e-mail or user name) and the customer switcher."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from vool.usecases import portal

_NOT_RIGHT = _("The e-mail or user name and the password do not match. Check them and try again.")


class SignInForm(AuthenticationForm):
    """Sign in with an e-mail address or a user name. Every failure says the same thing,
    whether the account exists or not (no account enumeration)."""

    username = forms.CharField(
        label=_("E-mail or user name"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {"invalid_login": _NOT_RIGHT, "inactive": _NOT_RIGHT}

    def clean(self) -> dict[str, Any]:
        typed = self.cleaned_data.get("username")
        if typed:
            self.cleaned_data["username"] = portal.username_for_sign_in(typed)
        return super().clean()


class SwitchCustomerForm(forms.Form):
    customer = forms.IntegerField(min_value=1)
