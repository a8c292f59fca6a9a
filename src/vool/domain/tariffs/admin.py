"""Admin of products and the dated regulated data.

Every dated version (product prices, band rules, network prices and monthly fees, levy
rates, VAT rates) is checked for overlap with the other versions of the same thing: on its
own page against the database (:func:`operations.check_version`), in an inline table
against the other rows of the table as edited (so ending one version and adding the next in
one save works).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from vool.common.ranges import DateRange
from vool.domain.tariffs import operations
from vool.domain.tariffs.models import (
    BandRule,
    BandScheme,
    Levy,
    LevyRate,
    MarketPrice,
    NetBillingRule,
    NetworkMonthlyFee,
    NetworkPackage,
    NetworkPrice,
    Product,
    ProductionPrice,
    ProductionProduct,
    ProductPrice,
    VatRate,
)


class VersionForm(forms.ModelForm):
    """A dated version on its own page: no overlap with the saved versions of its scope."""

    def validate_unique(self) -> None:
        # runs once the form has built self.instance and the model's own checks passed
        super().validate_unique()
        if self.errors or self.instance.valid_from is None:
            return
        try:
            operations.check_version(self.instance)
        except ValidationError as exc:
            self.add_error(None, exc)


class VersionInlineFormSet(forms.BaseInlineFormSet):
    """The versions of one parent as edited together: none of them may overlap."""

    def clean(self) -> None:
        super().clean()
        periods: dict[tuple[Any, ...], list[DateRange]] = {}
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            version = form.instance
            start, end = form.cleaned_data.get("valid_from"), form.cleaned_data.get("valid_to")
            if start is None or (end is not None and end <= start):
                continue  # the form itself reports it
            scope = tuple(
                form.cleaned_data.get(name.removesuffix("_id"), getattr(version, name, None))
                for name in version.OVERLAP_SCOPE
                if name != f"{self.fk.name}_id"
            )
            period = DateRange(start, end)
            for other in periods.get(scope, []):
                if period.overlaps(other):
                    raise ValidationError(
                        _("Two versions overlap: %(a)s and %(b)s. End one where the next starts.")
                        % {"a": str(other), "b": str(period)}
                    )
            periods.setdefault(scope, []).append(period)


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    formset = VersionInlineFormSet
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_et",
        "kind",
        "segment",
        "band_scheme",
        "on_sale_from",
        "on_sale_to",
        "fixed_term_months",
    ]
    list_filter = ["kind", "segment"]
    search_fields = ["code", "name_et", "name_ru", "name_en"]
    inlines = [ProductPriceInline]


@admin.register(ProductPrice)
class ProductPriceAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = [
        "product",
        "valid_from",
        "valid_to",
        "monthly_fee_amount",
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
    formset = VersionInlineFormSet
    extra = 0


@admin.register(BandScheme)
class BandSchemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "bands"]
    inlines = [BandRuleInline]


class NetworkPriceInline(admin.TabularInline):
    model = NetworkPrice
    formset = VersionInlineFormSet
    extra = 0


class NetworkMonthlyFeeInline(admin.TabularInline):
    model = NetworkMonthlyFee
    formset = VersionInlineFormSet
    extra = 0


@admin.register(NetworkPackage)
class NetworkPackageAdmin(admin.ModelAdmin):
    list_display = ["grid_operator_code", "code", "name", "band_scheme"]
    inlines = [NetworkPriceInline, NetworkMonthlyFeeInline]


@admin.register(NetworkPrice)
class NetworkPriceAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ["package", *SOURCED, "flat_price", "day_price", "night_price"]
    list_filter = ["package", "verified"]


@admin.register(NetworkMonthlyFee)
class NetworkMonthlyFeeAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ["package", "is_apartment", "max_fuse_a", "monthly_fee_amount", *SOURCED]
    list_filter = ["package", "verified"]


class LevyRateInline(admin.TabularInline):
    model = LevyRate
    formset = VersionInlineFormSet
    extra = 0


@admin.register(Levy)
class LevyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_et", "name_en", "position"]
    inlines = [LevyRateInline]


@admin.register(LevyRate)
class LevyRateAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ["levy", "unit_price", *SOURCED]
    list_filter = ["levy", "verified"]


@admin.register(VatRate)
class VatRateAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ["rate", *SOURCED]
    list_filter = ["verified"]


@admin.register(NetBillingRule)
class NetBillingRuleAdmin(admin.ModelAdmin):
    """When prosumer points are billed on net quantities, and the VAT on their surplus."""

    form = VersionForm
    list_display = ["bills_net", "surplus_vat_rate", *SOURCED]
    list_filter = ["verified"]


class ProductionPriceInline(admin.TabularInline):
    model = ProductionPrice
    formset = VersionInlineFormSet
    extra = 0


@admin.register(ProductionProduct)
class ProductionProductAdmin(admin.ModelAdmin):
    """The terms a prosumer's surplus is bought at (a contract's production terms)."""

    list_display = ["code", "name_et", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name_et", "name_ru", "name_en"]
    inlines = [ProductionPriceInline]


@admin.register(ProductionPrice)
class ProductionPriceAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ["production_product", "valid_from", "valid_to", "margin", "buyback_price"]
    list_filter = ["production_product"]


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

    # Prices are versions written by `vool prices import/fetch` (a change is a new version
    # that names the invoices it affects); the database refuses edits of invoiced months, so
    # the admin shows them and changes none.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BandRule)
class BandRuleAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = ["scheme", "default_band", *SOURCED]
    list_filter = ["scheme", "verified"]
