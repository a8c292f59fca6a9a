"""Electricity packages (products) and their dated prices."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    HOUSEHOLD = "HOUSEHOLD", _("Household")
    BUSINESS = "BUSINESS", _("Business")


class Product(models.Model):
    class Kind(models.TextChoices):
        FIXED = "FIXED", _("Fixed price")
        DAY_NIGHT = "DAY_NIGHT", _("Day and night")
        EXCHANGE = "EXCHANGE", _("Exchange price")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_et = models.CharField(_("name (Estonian)"), max_length=100)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(_("kind"), max_length=9, choices=Kind.choices)
    segment = models.CharField(_("segment"), max_length=9, choices=Segment.choices)
    monthly_fee_amount = models.DecimalField(
        _("monthly fee (EUR, excl. VAT)"), max_digits=10, decimal_places=2, default=0
    )
    on_sale_from = models.DateField(_("on sale from"))
    on_sale_to = models.DateField(_("on sale until"), null=True, blank=True)
    fixed_term_months = models.PositiveSmallIntegerField(
        _("fixed term (months)"), null=True, blank=True
    )
    early_termination_fee_amount = models.DecimalField(
        _("early-termination fee (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_sale_to__isnull=True) | Q(on_sale_to__gt=F("on_sale_from")),
                name="product_sale_period_valid",
                violation_error_message=_("A product goes off sale after it went on sale."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_fee_amount__gte=0), name="product_monthly_fee_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        language = (get_language() or "et")[:2]
        return str(getattr(self, f"name_{language}", "") or self.name_et)


class ProductPrice(models.Model):
    """A dated version of a product's per-kWh prices, in EUR/kWh excl. VAT, ``[from, to)``."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="prices"
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    energy_price = models.DecimalField(
        _("energy price (EUR/kWh)"), max_digits=10, decimal_places=6, null=True, blank=True
    )
    day_price = models.DecimalField(
        _("day price (EUR/kWh)"), max_digits=10, decimal_places=6, null=True, blank=True
    )
    night_price = models.DecimalField(
        _("night price (EUR/kWh)"), max_digits=10, decimal_places=6, null=True, blank=True
    )
    margin = models.DecimalField(
        _("exchange margin (EUR/kWh)"), max_digits=10, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = _("product price")
        verbose_name_plural = _("product prices")
        ordering = ["product", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "valid_from"], name="product_price_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="product_price_period_valid",
                violation_error_message=_("A price ends after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} from {self.valid_from}"
