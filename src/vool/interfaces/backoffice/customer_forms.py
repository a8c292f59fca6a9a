"""Forms of the back office's actions on one customer: move out, move in, change the package,
send a letter. Each carries the reason that goes to the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vool.domain.customers import queries as customer_queries
from vool.interfaces.reading_fields import add_reading_fields
from vool.usecases import customer_actions

#: the back office's reading fields say what they are (the portal's show the register only)
READING_LABEL = _("Reading %(register)s (kWh)")

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Why (for the audit log)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveOutForm(forms.Form):
    move_out_on = forms.DateField(label=_("Move-out date"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, registers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_reading_fields(self, registers, label=READING_LABEL)
        self.fields["reason"] = _reason_field()


class MoveInForm(forms.Form):
    eic = forms.CharField(widget=forms.HiddenInput, max_length=16)
    account = forms.TypedChoiceField(label=_("Billing account"), coerce=int)
    product = forms.ChoiceField(label=_("Package"))
    move_in_on = forms.DateField(label=_("Move-in date"), widget=DATE_WIDGET)

    def __init__(
        self,
        *args: Any,
        accounts: list[tuple[int, str]],
        products: list[tuple[str, str]],
        registers: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        account_field = self.fields["account"]
        product_field = self.fields["product"]
        assert isinstance(account_field, forms.ChoiceField)
        assert isinstance(product_field, forms.ChoiceField)
        account_field.choices = accounts
        product_field.choices = products
        add_reading_fields(self, registers, label=READING_LABEL)
        self.fields["reason"] = _reason_field()


class PackageForm(forms.Form):
    product = forms.CharField(max_length=32)
    reason = _reason_field()


class LetterForm(forms.Form):
    account = forms.TypedChoiceField(label=_("Billing account"), coerce=int)
    kind = forms.ChoiceField(label=_("Letter"))
    reason = _reason_field()

    def __init__(
        self,
        *args: Any,
        accounts: list[tuple[int, str]],
        kinds: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        account_field = self.fields["account"]
        kind_field = self.fields["kind"]
        assert isinstance(account_field, forms.ChoiceField)
        assert isinstance(kind_field, forms.ChoiceField)
        account_field.choices = accounts
        kind_field.choices = kinds


def letter_form(customer_id: int, data: Any = None) -> LetterForm:
    """The letter form of the customer's page: their accounts, the kinds that exist."""
    accounts = customer_queries.billing_accounts_of(customer_id=customer_id)
    return LetterForm(
        data,
        accounts=[(a.pk, a.reference_number) for a in accounts],
        kinds=customer_actions.letter_kinds(),
    )
