"""The data-hub conversation in the admin, read-only: the queue of refused entries (filter
*status* = QUEUED, the problem says why), positions, agreements and connection-state
requests with the grid operator's answers, the network bills. Everything here is written by
the sync and the use cases, never by hand, except the joint-invoice agreements (dated, entered
when the grid operator confirms one)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from vool.domain.hub.models import (
    AgreementSubmission,
    ConnectionAnswer,
    ConnectionRequest,
    HubCursor,
    HubEntry,
    JointInvoice,
    NetworkBill,
    PointHubState,
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HubEntry)
class HubEntryAdmin(_ReadOnly):
    list_display = ["entry_id", "resource_type", "status", "hub_created_at", "problem"]
    list_filter = ["status", "resource_type"]
    search_fields = ["entry_id", "problem"]


@admin.register(HubCursor)
class HubCursorAdmin(_ReadOnly):
    list_display = ["resource_type", "window_start", "page", "pages_read", "updated_at"]


@admin.register(PointHubState)
class PointHubStateAdmin(_ReadOnly):
    list_display = ["metering_point", "connection_state", "production", "updated_at"]
    list_filter = ["connection_state", "production"]
    search_fields = ["metering_point__eic"]


@admin.register(AgreementSubmission)
class AgreementSubmissionAdmin(_ReadOnly):
    list_display = ["agreement_id", "contract", "valid_from", "status", "submitted_at", "problem"]
    list_filter = ["status"]
    search_fields = ["agreement_id", "contract__metering_point__eic"]


class ConnectionAnswerInline(admin.TabularInline):
    model = ConnectionAnswer
    extra = 0
    fields = ["state", "answered_at", "comment"]
    readonly_fields = ["state", "answered_at", "comment"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConnectionRequest)
class ConnectionRequestAdmin(_ReadOnly):
    list_display = [
        "request_id",
        "metering_point",
        "action",
        "state",
        "billing_account",
        "requested_at",
        "answered_at",
    ]
    list_filter = ["action", "state"]
    search_fields = ["request_id", "metering_point__eic", "billing_account__reference_number"]
    inlines = [ConnectionAnswerInline]


@admin.register(JointInvoice)
class JointInvoiceAdmin(admin.ModelAdmin):
    list_display = ["metering_point", "valid_from", "valid_to", "reference"]
    search_fields = ["metering_point__eic", "reference"]
    raw_id_fields = ["metering_point"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # end it with valid_to: dunning decisions were taken on it

    def save_model(self, request: HttpRequest, obj: JointInvoice, form: Any, change: bool) -> None:
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(NetworkBill)
class NetworkBillAdmin(_ReadOnly):
    list_display = [
        "bill_id",
        "metering_point",
        "period_start",
        "period_end",
        "day_out_kwh",
        "night_out_kwh",
        "net_amount",
    ]
    list_filter = ["period_start", "grid_operator_eic"]
    search_fields = ["bill_id", "metering_point__eic"]
