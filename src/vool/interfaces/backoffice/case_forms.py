"""Forms of the request (case) and queue pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from vool.domain.billing import queries as billing_queries
from vool.domain.cases import queries as case_queries


class RegisterCaseForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=case_queries.CHANNEL_CHOICES)
    case_type = forms.ChoiceField(label=_("Type"), choices=case_queries.CASE_TYPE_CHOICES)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    invoice_number = forms.IntegerField(
        label=_("Invoice number"),
        required=False,
        min_value=1,
        help_text=_("The invoice the request concerns (a bill dispute needs it)."),
    )
    reading_id = forms.IntegerField(label=_("Reading id"), required=False, min_value=1)
    contract_id = forms.IntegerField(label=_("Contract id"), required=False, min_value=1)

    def clean_invoice_number(self) -> int | None:
        """The invoice's id (the request links the invoice), or ``None``."""
        number = self.cleaned_data.get("invoice_number")
        if number is None:
            return None
        invoice_id = billing_queries.invoice_id(number=number)
        if invoice_id is None:
            raise forms.ValidationError(
                _("There is no invoice number %(number)s.") % {"number": number}
            )
        return int(invoice_id)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))
    for_customer = forms.BooleanField(label=_("Show to the customer"), required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=case_queries.STATUS_CHOICES)
    resolution = forms.CharField(
        label=_("Resolution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to resolve the request."),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Person"), required=False, queryset=get_user_model().objects.none()
    )
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Group.objects.none())
    reason = forms.CharField(label=_("Why"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee = cast(forms.ModelChoiceField, self.fields["assignee"])
        assignee.queryset = (
            get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
        )
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = Group.objects.order_by("name")


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open (all)")), *case_queries.STATUS_CHOICES],
    )
    case_type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("All types")), *case_queries.CASE_TYPE_CHOICES],
    )
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[
            ("", _("Anyone")),
            ("me", _("To me")),
            ("team", _("To my teams")),
            ("none", _("To nobody")),
        ],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class FreezeForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the customers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
