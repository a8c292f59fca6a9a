from django.contrib import admin

from vool.domain.supply.models import GridOperator, MeteringPoint


@admin.register(GridOperator)
class GridOperatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "eic"]
    search_fields = ["code", "name", "eic"]


@admin.register(MeteringPoint)
class MeteringPointAdmin(admin.ModelAdmin):
    list_display = [
        "eic",
        "street_address",
        "city",
        "grid_operator",
        "metering_method",
        "resolution",
        "network_package_code",
        "main_fuse_a",
    ]
    list_filter = [
        "metering_method",
        "resolution",
        "grid_operator",
        "network_package_code",
        "is_apartment",
    ]
    search_fields = ["eic", "street_address", "city", "postal_code"]
    readonly_fields = ["created_at"]
