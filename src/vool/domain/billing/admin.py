from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vool.domain.billing.models import BillRun, BillRunChunk, BillRunException, Invoice, InvoiceLine


class ReadOnlyAdmin(admin.ModelAdmin):
    """Billing documents change only through the billing operations (runs, credit notes)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = [
        "position",
        "metering_point",
        "component",
        "band",
        "period_start",
        "period_end",
        "quantity",
        "unit",
        "unit_price",
        "amount",
        "vat_rate",
        "is_estimated",
        "is_true_up",
    ]
    readonly_fields = [
        "position",
        "metering_point",
        "component",
        "band",
        "period_start",
        "period_end",
        "quantity",
        "unit",
        "unit_price",
        "amount",
        "vat_rate",
        "is_estimated",
        "is_true_up",
    ]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "kind",
        "status",
        "billing_account",
        "period",
        "issue_date",
        "due_date",
        "gross_amount",
        "amount_due",
    ]
    list_filter = ["kind", "status", "period"]
    search_fields = ["=number", "billing_account__reference_number"]
    raw_id_fields = ["billing_account", "run", "credited_invoice"]
    inlines = [InvoiceLineInline]


class BillRunExceptionInline(admin.TabularInline):
    model = BillRunException
    extra = 0
    fields = ["billing_account", "code", "reason"]
    readonly_fields = ["billing_account", "code", "reason"]
    can_delete = False
    max_num = 0


@admin.register(BillRun)
class BillRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "period",
        "status",
        "account_count",
        "invoice_count",
        "exception_count",
        "gross_amount",
        "started_by",
        "forced",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "forced"]
    inlines = [BillRunExceptionInline]


@admin.register(BillRunChunk)
class BillRunChunkAdmin(ReadOnlyAdmin):
    list_display = ["run", "index", "state", "attempts", "invoice_count", "exception_count"]
    list_filter = ["state"]
