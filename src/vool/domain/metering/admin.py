from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from vool.domain.metering.models import IntervalDay, Meter, Reading, Register


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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


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
