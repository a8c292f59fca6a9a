from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vool.domain.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = (
        "happened_at",
        "username",
        "source_address",
        "action",
        "object_type",
        "object_id",
        "reason",
    )
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_id", "reason", "request_id")
    date_hierarchy = "happened_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
