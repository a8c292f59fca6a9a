from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vool.common.localtime import Month


class StartBillRunForm(forms.Form):
    period = forms.CharField(
        label=_("Billing month"), max_length=7, help_text=_("YYYY-MM, e.g. 2026-10")
    )
    workers = forms.IntegerField(label=_("Worker processes"), min_value=1, max_value=16, initial=2)
    force = forms.BooleanField(
        label=_("Force outside the billing window (days 1-9)"), required=False
    )
    reason = forms.CharField(
        label=_("Reason for forcing"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_period(self) -> Month:
        try:
            return Month.parse(self.cleaned_data["period"])
        except ValueError as exc:
            raise forms.ValidationError(_("Give the month as YYYY-MM, e.g. 2026-10.")) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # who may force is the use case's rule (bill_run.start_run), not the form's
        if data.get("force") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the run is forced."))
        return data


class CreditInvoiceForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the invoice credited?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewReadingForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accept", _("Accept")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)
