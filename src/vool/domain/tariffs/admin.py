from django.contrib import admin

from vool.domain.tariffs.models import Product, ProductPrice


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
    ]
    list_filter = ["product"]
    search_fields = ["product__code"]
