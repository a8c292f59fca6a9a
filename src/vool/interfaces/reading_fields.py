"""The meter-reading inputs of a form, shared by the portal's and the back office's forms (the
interfaces are otherwise independent): one field ``value_KIND`` per register kind, in kWh
with three decimals as the reader's language writes numbers, and the values entered."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.functional import Promise

from vool.domain.metering import queries as metering_queries


def add_reading_fields(
    form: forms.Form, kinds: list[str], *, label: Promise | None = None, digits: int | None = None
) -> None:
    """One field ``value_KIND`` per register kind; labelled by the register kind, or by
    ``label`` (a text with ``%(register)s``); at most ``digits`` digits before the point
    (the meter's), when given."""
    labels = metering_queries.register_kind_labels()
    for kind in kinds:
        name = labels.get(kind, kind)
        form.fields[f"value_{kind}"] = forms.DecimalField(
            label=label % {"register": name} if label is not None else name,
            min_value=Decimal(0),
            max_value=Decimal(10) ** digits - Decimal("0.001") if digits is not None else None,
            max_digits=15,
            decimal_places=3,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )


def reading_values(form: forms.Form) -> dict[str, Decimal]:
    """The values entered, by register kind (an empty optional field: none)."""
    return {
        name.removeprefix("value_"): value
        for name, value in form.cleaned_data.items()
        if name.startswith("value_") and value is not None
    }
