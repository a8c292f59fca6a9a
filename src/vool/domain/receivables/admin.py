"""Receivables in the admin: the retailer's bank accounts (editable), imported files,
payments with their allocations, and bank debits (read-only: they change only through
``receivables.operations``, which record who and why)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vool.domain.receivables.models import (
    Allocation,
    BankAccount,
    BankDebit,
    Payment,
    StatementFile,
)


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ["iban", "name", "is_active"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AllocationInline(admin.TabularInline):
    model = Allocation
    extra = 0
    fields = ("kind", "billing_account", "amount", "refund_iban", "created_by", "reason")
    readonly_fields = ("kind", "billing_account", "amount", "refund_iban", "created_by", "reason")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StatementFile)
class StatementFileAdmin(ReadOnlyAdmin):
    list_display = ["imported_at", "message", "statement_id", "bank_account", "entry_count"]
    list_filter = ["message"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["booking_date", "amount", "payer_name", "reference", "status", "entry_key"]
    list_filter = ["status", "booking_date"]
    search_fields = ["entry_key", "reference", "payer_name", "payer_iban", "text"]
    inlines = [AllocationInline]


@admin.register(BankDebit)
class BankDebitAdmin(ReadOnlyAdmin):
    list_display = ["booking_date", "amount", "kind", "counterparty_name", "payment", "entry_key"]
    list_filter = ["kind"]
