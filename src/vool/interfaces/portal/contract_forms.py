"""Forms of the portal's contract and profile pages. A sensitive change is posted twice: first
without ``confirmed`` (the page shows what will happen), then with it (the change is made)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vool.domain.customers import queries as customer_queries
from vool.interfaces.reading_fields import add_reading_fields
from vool.interfaces.reading_fields import reading_values as reading_values

if TYPE_CHECKING:  # types only
    from vool.domain.customers.models import BillingAccount, Customer


class Confirmable(forms.Form):
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def is_confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirmed"))


def _reading_fields(form: forms.Form, kinds: list[str], *, digits: int = 9) -> None:
    add_reading_fields(form, kinds, digits=digits)


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


class ContactForm(forms.Form):
    """The customer's contact details and language, as the customer's fields limit them; saved
    by ``customers.operations.update_contact_details`` (which checks them as the model does)."""

    FIELDS = ("email", "phone", "street_address", "city", "postal_code", "preferred_language")

    email = forms.EmailField(label=_("e-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    street_address = forms.CharField(label=_("street address"), max_length=200, required=False)
    city = forms.CharField(label=_("city"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("postal code"), max_length=10, required=False)
    preferred_language = forms.ChoiceField(
        label=_("preferred language"), choices=customer_queries.LANGUAGES
    )

    def __init__(self, data: Any = None, *, customer: Customer) -> None:
        super().__init__(data, initial={name: getattr(customer, name) for name in self.FIELDS})

    def values(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class ChannelForm(Confirmable):
    invoice_channel = forms.ChoiceField(
        label=_("Invoices by"), choices=customer_queries.InvoiceChannel.choices
    )


class ConsentForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in customer_queries.consent_kinds():
            self.fields[kind] = forms.BooleanField(label=label, required=False)

    def answers(self) -> dict[str, bool]:
        return {
            kind: bool(self.cleaned_data.get(kind)) for kind, _ in customer_queries.consent_kinds()
        }
