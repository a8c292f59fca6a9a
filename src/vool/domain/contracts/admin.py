from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from vool.domain.contracts import operations
from vool.domain.contracts.models import SupplyContract


class SupplyContractForm(forms.ModelForm):
    class Meta:
        model = SupplyContract
        fields = [
            "customer",
            "billing_account",
            "metering_point",
            "product",
            "valid_from",
            "valid_to",
            "status",
            "signed_channel",
            "green_energy",
            "production_product",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needed = ("customer", "billing_account", "metering_point", "valid_from")
        if all(data.get(name) for name in needed) and data.get("status") != "CANCELLED":
            operations.check_contract(
                customer=data["customer"],
                billing_account=data["billing_account"],
                metering_point=data["metering_point"],
                valid_from=data["valid_from"],
                valid_to=data.get("valid_to"),
                exclude_id=self.instance.pk,
            )
        return data


@admin.register(SupplyContract)
class SupplyContractAdmin(admin.ModelAdmin):
    form = SupplyContractForm
    list_display = [
        "metering_point",
        "customer",
        "product",
        "valid_from",
        "valid_to",
        "status",
        "signed_channel",
    ]
    list_filter = ["status", "signed_channel", "product", "green_energy"]
    search_fields = [
        "metering_point__eic",
        "customer__name",
        "customer__personal_code",
        "billing_account__reference_number",
    ]
    autocomplete_fields = ["customer", "billing_account", "metering_point"]
    date_hierarchy = "valid_from"
    readonly_fields = ["created_at"]

    def save_model(
        self, request: Any, obj: SupplyContract, form: forms.ModelForm, change: bool
    ) -> None:
        """Saved through the locked operation, not the form: the form's check gives the
        clerk the message, the operation keeps two concurrent saves from overlapping."""
        try:
            operations.save_contract(contract=obj)
        except operations.UnableToCreateContract as exc:
            # another save won the race between the form's check and this one
            raise PermissionDenied(" ".join(exc.messages)) from exc
