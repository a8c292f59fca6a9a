"""Forms of the portal's contract and profile pages. A sensitive change is posted twice: first
without ``confirmed`` (the page shows what will happen), then with it (the change is made)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vool.domain.customers.models import BillingAccount, Consent, Customer, Language
from vool.domain.metering.models import Register


class Confirmable(forms.Form):
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def is_confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirmed"))


def _reading_fields(form: forms.Form, kinds: list[str], *, digits: int = 9) -> None:
    labels = dict(Register.Kind.choices)
    for kind in kinds:
        form.fields[f"value_{kind}"] = forms.DecimalField(
            label=labels.get(kind, kind),
            min_value=Decimal(0),
            max_value=Decimal(10) ** digits - Decimal("0.001"),
            max_digits=15,
            decimal_places=3,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )


def reading_values(form: forms.Form) -> dict[str, Decimal]:
    return {
        name.removeprefix("value_"): value
        for name, value in form.cleaned_data.items()
        if name.startswith("value_") and value is not None
    }


class PackageForm(Confirmable):
    product = forms.CharField(max_length=32)


class MoveOutForm(Confirmable):
    move_out_on = forms.DateField(
        label=_("Move-out date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args: Any, registers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _reading_fields(self, registers)


class MoveInForm(Confirmable):
    eic = forms.CharField(
        label=_("Metering point EIC code"),
        max_length=16,
        help_text=_("16 characters, on the meter or on the previous occupant's bill"),
    )
    move_in_on = forms.DateField(
        label=_("Move-in date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    account = forms.TypedChoiceField(label=_("Billing account"), coerce=int)
    product = forms.ChoiceField(label=_("Package"))

    def __init__(
        self,
        *args: Any,
        accounts: list[BillingAccount],
        products: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        account_field = self.fields["account"]
        product_field = self.fields["product"]
        assert isinstance(account_field, forms.ChoiceField)
        assert isinstance(product_field, forms.ChoiceField)
        account_field.choices = [(a.pk, a.reference_number) for a in accounts]
        product_field.choices = products
        for kind in ("SINGLE", "DAY", "NIGHT"):
            _reading_fields(self, [kind])
            self.fields[f"value_{kind}"].required = False


class ContactForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["email", "phone", "street_address", "city", "postal_code", "preferred_language"]
        widgets = {"preferred_language": forms.Select(choices=Language.choices)}


class ChannelForm(Confirmable):
    invoice_channel = forms.ChoiceField(
        label=_("Invoices by"), choices=BillingAccount.InvoiceChannel.choices
    )


class ConsentForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in Consent.Kind.choices:
            self.fields[kind] = forms.BooleanField(label=label, required=False)

    def answers(self) -> dict[str, bool]:
        return {kind: bool(self.cleaned_data.get(kind)) for kind in Consent.Kind.values}
