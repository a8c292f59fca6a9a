"""Forms of the portal: sign-in (e-mail or user name) and the customer switcher."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from vool.interfaces.reading_fields import add_reading_fields, reading_values
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


class ReadingForm(forms.Form):
    """One value per register of the meter (``value_SINGLE`` or ``value_DAY`` and
    ``value_NIGHT``), in kWh as the meter shows it, written as the reader's language writes
    numbers; no more than the meter's digits."""

    def __init__(self, *args: Any, registers: list[portal.RegisterField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for register in registers:
            add_reading_fields(self, [register.kind], digits=register.digits)

    def values_kwh(self) -> dict[str, Decimal]:
        return reading_values(self)
