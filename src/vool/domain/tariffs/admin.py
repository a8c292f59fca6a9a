from django.contrib import admin

from vool.domain.tariffs.models import (
    BandRule,
    BandScheme,
    Levy,
    LevyRate,
    MarketPrice,
    NetworkMonthlyFee,
    NetworkPackage,
    NetworkPrice,
    Product,
    ProductPrice,
    VatRate,
)


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_et",
        "kind",
        "segment",
        "monthly_fee_amount",
        "on_sale_from",
        "on_sale_to",
        "fixed_term_months",
    ]
    list_filter = ["kind", "segment"]
    search_fields = ["code", "name_et", "name_ru", "name_en"]
    inlines = [ProductPriceInline]


@admin.register(ProductPrice)
class ProductPriceAdmin(admin.ModelAdmin):
    list_display = [
        "product",
        "valid_from",
        "valid_to",
        "energy_price",
        "day_price",
        "night_price",
        "margin",
        "green_price",
    ]
    list_filter = ["product"]
    search_fields = ["product__code"]


SOURCED = ["valid_from", "valid_to", "verified", "source"]


class BandRuleInline(admin.StackedInline):
    model = BandRule
    extra = 0


@admin.register(BandScheme)
class BandSchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "bands"]
    inlines = [BandRuleInline]


class NetworkPriceInline(admin.TabularInline):
    model = NetworkPrice
    extra = 0


class NetworkMonthlyFeeInline(admin.TabularInline):
    model = NetworkMonthlyFee
    extra = 0


@admin.register(NetworkPackage)
class NetworkPackageAdmin(admin.ModelAdmin):
    list_display = ["grid_operator_code", "code", "name", "band_scheme"]
    inlines = [NetworkPriceInline, NetworkMonthlyFeeInline]


@admin.register(NetworkPrice)
class NetworkPriceAdmin(admin.ModelAdmin):
    list_display = ["package", *SOURCED, "flat_price", "day_price", "night_price"]
    list_filter = ["package", "verified"]


@admin.register(NetworkMonthlyFee)
class NetworkMonthlyFeeAdmin(admin.ModelAdmin):
    list_display = ["package", "is_apartment", "max_fuse_a", "monthly_fee_amount", *SOURCED]
    list_filter = ["package", "verified"]


class LevyRateInline(admin.TabularInline):
    model = LevyRate
    extra = 0


@admin.register(Levy)
class LevyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_et", "name_en", "position"]
    inlines = [LevyRateInline]


@admin.register(LevyRate)
class LevyRateAdmin(admin.ModelAdmin):
    list_display = ["levy", "unit_price", *SOURCED]
    list_filter = ["levy", "verified"]


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    list_display = ["rate", *SOURCED]
    list_filter = ["verified"]


@admin.register(MarketPrice)
class MarketPriceAdmin(admin.ModelAdmin):
    list_display = [
        "area",
        "start_at",
        "resolution_minutes",
        "price_eur_mwh",
        "source",
        "imported_at",
    ]
    list_filter = ["area", "resolution_minutes"]
    date_hierarchy = "start_at"


@admin.register(BandRule)
class BandRuleAdmin(admin.ModelAdmin):
    list_display = ["scheme", "default_band", *SOURCED]
    list_filter = ["scheme", "verified"]
