from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from vool.domain.metering import operations
from vool.domain.metering.models import (
    IntervalCorrection,
    IntervalDay,
    Meter,
    MeteringImport,
    Reading,
    Register,
)


class RegisterInline(admin.TabularInline):
    model = Register
    extra = 0


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    list_display = [
        "serial_number",
        "metering_point",
        "digits",
        "multiplier",
        "installed_date",
        "removed_date",
    ]
    list_filter = ["digits", "installed_date"]
    search_fields = ["serial_number", "metering_point__eic"]
    autocomplete_fields = ["metering_point"]
    inlines = [RegisterInline]


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["meter", "kind"]
    list_filter = ["kind"]
    search_fields = ["meter__serial_number", "meter__metering_point__eic"]


class AppendOnlyAdmin(admin.ModelAdmin):
    """Readings and interval data are append-only: the admin shows them and never edits."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Reading)
class ReadingAdmin(AppendOnlyAdmin):
    list_display = ["register", "read_at", "value_kwh", "source", "status", "period"]
    list_filter = ["source", "status", "register__kind"]
    search_fields = [
        "register__meter__serial_number",
        "register__meter__metering_point__eic",
        "period",
    ]
    date_hierarchy = "read_at"
    actions = ["accept_after_review", "reject_after_review"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        """Accepting or rejecting changes what is billed: the change permission, which the
        operation checks again."""
        return request.user.has_perm(operations.REVIEW_PERMISSION)

    def _review(self, request: HttpRequest, queryset: QuerySet[Reading], accept: bool) -> None:
        done = 0
        for reading in queryset.filter(status=Reading.Status.PENDING_REVIEW):
            try:
                operations.review_reading(
                    reading=reading,
                    accept=accept,
                    reason="Accepted in the back office."
                    if accept
                    else "Rejected in the back office.",
                    created_by=request.user,
                    as_of=timezone.now(),  # the decision is known from now
                )
                done += 1
            except operations.NotAllowedToReviewReading as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            except operations.UnableToSubmitReading as exc:
                self.message_user(request, f"{reading}: {exc}", messages.WARNING)
        self.message_user(request, f"{done} reading(s) reviewed.")

    @admin.action(
        description="Accept the selected readings waiting for review", permissions=["review"]
    )
    def accept_after_review(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        self._review(request, queryset, accept=True)

    @admin.action(
        description="Reject the selected readings waiting for review", permissions=["review"]
    )
    def reject_after_review(self, request: HttpRequest, queryset: QuerySet[Reading]) -> None:
        self._review(request, queryset, accept=False)


@admin.register(IntervalDay)
class IntervalDayAdmin(AppendOnlyAdmin):
    list_display = [
        "metering_point",
        "day",
        "direction",
        "resolution_minutes",
        "version",
        "is_current",
        "total_wh",
    ]
    list_filter = ["direction", "resolution_minutes", "is_current"]
    search_fields = ["metering_point__eic"]
    date_hierarchy = "day"
    exclude = ["values_wh", "quality"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(IntervalCorrection)
class IntervalCorrectionAdmin(AppendOnlyAdmin):
    list_display = ["metering_point", "day", "direction", "delta_wh", "period", "settled_at"]
    list_filter = ["period", "direction"]
    search_fields = ["metering_point__eic"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MeteringImport)
class MeteringImportAdmin(AppendOnlyAdmin):
    list_display = [
        "kind",
        "file_name",
        "intervals",
        "days_created",
        "days_corrected",
        "days_unchanged",
        "created_at",
    ]
    list_filter = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
