from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vool.domain.cases.models import Case, Freeze, QueuedReading, ServiceLevel


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    """Service levels are dated data edited here: a new level is a row from a later day."""

    list_display = ("case_type", "days", "valid_from", "valid_to")
    list_filter = ("case_type",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Requests, freezes and queued readings are written in the back office (audited)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "customer", "case_type", "status", "due_date", "assigned_user")
    list_filter = ("status", "case_type", "channel")
    search_fields = ("subject", "customer__name")


@admin.register(Freeze)
class FreezeAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "ended_at", "started_by", "message")


@admin.register(QueuedReading)
class QueuedReadingAdmin(ReadOnlyAdmin):
    list_display = ("read_at", "metering_point", "status", "worked_at")
    list_filter = ("status",)
