from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vool.domain.ledger.models import LedgerTransaction, Posting


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    fields = ["account", "amount"]
    readonly_fields = ["account", "amount"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(admin.ModelAdmin):
    """Read-only: the ledger is append-only; corrections are new documents."""

    list_display = ["posted_date", "billing_account", "kind", "reference", "document_id"]
    list_filter = ["kind", "posted_date"]
    search_fields = ["reference", "billing_account__reference_number"]
    raw_id_fields = ["billing_account"]
    inlines = [PostingInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
