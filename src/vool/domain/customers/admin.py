from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vool.domain.customers import operations
from vool.domain.customers.models import (
    BillingAccount,
    Consent,
    Customer,
    PortalAccess,
    SecondFactor,
)


class BillingAccountInline(admin.TabularInline):
    model = BillingAccount
    extra = 0
    fields = ["reference_number", "invoice_channel", "payment_method"]
    readonly_fields = ["reference_number"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "personal_code",
        "registry_code",
        "email",
        "preferred_language",
        "is_vulnerable",
    ]
    list_filter = ["kind", "preferred_language", "is_vulnerable"]
    search_fields = [
        "name",
        "personal_code",
        "registry_code",
        "email",
        "phone",
        "billing_accounts__reference_number",
    ]
    inlines = [BillingAccountInline]
    readonly_fields = ["created_at"]

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # every customer starts with a billing account and its reference number
            operations.create_billing_account(customer=obj)


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ["reference_number", "customer", "invoice_channel", "payment_method"]
    list_filter = ["invoice_channel", "payment_method"]
    search_fields = [
        "reference_number",
        "customer__name",
        "customer__personal_code",
        "customer__registry_code",
    ]
    autocomplete_fields = ["customer"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A reference number is generated at creation and never changes afterwards.
        return [*self.readonly_fields, "reference_number"]

    def save_model(
        self, request: HttpRequest, obj: BillingAccount, form: Any, change: bool
    ) -> None:
        if not change:
            (obj.reference_number,) = operations.allocate_reference_numbers(count=1)
        super().save_model(request, obj, form, change)


@admin.register(PortalAccess)
class PortalAccessAdmin(admin.ModelAdmin):
    """Portal users who may act for a customer besides its holder (household member,
    representative)."""

    list_display = ["user", "customer", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "customer__name"]
    raw_id_fields = ["user", "customer"]
    readonly_fields = ["created_at"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    """Read-only: a consent's history is its proof (a change is a new row, from the portal)."""

    list_display = ["customer", "kind", "granted", "recorded_at", "channel", "user"]
    list_filter = ["kind", "granted", "channel"]
    search_fields = ["customer__name", "customer__personal_code"]
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SecondFactor)
class SecondFactorAdmin(admin.ModelAdmin):
    """Shown without the key; customer service may only remove one (a lost phone), after which
    the user signs in with the password alone and may set up a new one."""

    list_display = ["user", "confirmed_at", "created_at"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "confirmed_at", "created_at"]
    readonly_fields = ["user", "confirmed_at", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
