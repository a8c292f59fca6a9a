"""Electricity packages (products) and their dated prices."""

from __future__ import annotations

from typing import Any, ClassVar

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
    band_scheme = models.ForeignKey(
        "BandScheme",
        verbose_name=_("time bands"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The day and night bands of a day/night product; empty: the standard day/night "
            "scheme (EE_DAY_NIGHT)."
        ),
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
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.band_scheme is None:
            return
        if self.kind != self.Kind.DAY_NIGHT:
            raise ValidationError({"band_scheme": _("Only a day/night product has time bands.")})
        if set(self.band_scheme.bands or []) != {"DAY", "NIGHT"}:
            raise ValidationError(
                {"band_scheme": _("A day/night product needs a scheme of the bands DAY and NIGHT.")}
            )

    @property
    def name(self) -> str:
        language = (get_language() or "et")[:2]
        return str(getattr(self, f"name_{language}", "") or self.name_et)


class DatedVersion(models.Model):
    """A value valid on local dates ``[valid_from, valid_to)`` (open end: ``None``).

    Two versions of the same thing (the same :attr:`OVERLAP_SCOPE` values) never overlap:
    a PostgreSQL exclusion constraint (migration ``0004_h3_no_overlap``) and, on every
    database, ``tariffs.operations.check_version`` (the operations, the admin forms and the
    default-data loader call it)."""

    OVERLAP_SCOPE: ClassVar[tuple[str, ...]] = ()

    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        abstract = True

    def overlap_scope(self) -> dict[str, Any]:
        """The fields two versions share when they version the same thing."""
        return {name: getattr(self, name) for name in self.OVERLAP_SCOPE}


class ProductPrice(DatedVersion):
    """A dated version of a product's prices, excl. VAT, ``[from, to)``: per-kWh prices in
    EUR/kWh and the monthly fee (prorated by days supplied)."""

    OVERLAP_SCOPE = ("product_id",)

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="prices"
    )
    monthly_fee_amount = models.DecimalField(
        _("monthly fee (EUR, excl. VAT)"), max_digits=10, decimal_places=2, default=0
    )
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
    green_price = models.DecimalField(
        _("green-energy add-on (EUR/kWh)"),
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Empty when the product has no green-energy add-on."),
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
            models.CheckConstraint(
                condition=Q(monthly_fee_amount__gte=0), name="product_price_fee_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} from {self.valid_from}"


# -- dated regulated data: time bands, network packages, levies, VAT, market prices ----------


class SourcedVersion(DatedVersion):
    """A dated value ``[valid_from, valid_to)`` (local dates) with where it comes from."""

    source = models.TextField(
        _("source"), blank=True, default="", help_text=_("Where the value comes from.")
    )
    verified = models.BooleanField(
        _("verified"),
        default=False,
        help_text=_(
            "Checked against the sources named (see docs/architecture.md, tariffs); "
            "unverified values await a check against the issuer's own publication."
        ),
    )

    class Meta:
        abstract = True


class BandScheme(models.Model):
    """A set of time bands (e.g. DAY/NIGHT) whose windows are dated rules."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    bands = models.JSONField(
        _("bands"), help_text=_('Band codes in display order, e.g. ["DAY", "NIGHT"].')
    )

    class Meta:
        verbose_name = _("time-band scheme")
        verbose_name_plural = _("time-band schemes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class BandRule(SourcedVersion):
    """The windows of a band scheme valid on some dates; first matching window wins."""

    OVERLAP_SCOPE = ("scheme_id",)

    scheme = models.ForeignKey(
        BandScheme, verbose_name=_("scheme"), on_delete=models.CASCADE, related_name="rules"
    )
    default_band = models.CharField(_("default band"), max_length=16)
    windows = models.JSONField(
        _("windows"),
        default=list,
        help_text=_(
            'e.g. [{"band": "DAY", "start": "07:00", "end": "22:00", "day_type": "WORKDAY"}]; '
            "day_type ANY/WORKDAY/REST_DAY/WEEKDAY (Monday to Friday, holidays included), "
            "optional months [11, 12, 1], "
            "season ANY/SUMMER_TIME/STANDARD_TIME."
        ),
    )

    class Meta:
        verbose_name = _("time-band rule")
        verbose_name_plural = _("time-band rules")
        ordering = ["scheme", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "valid_from"], name="band_rule_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="band_rule_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} from {self.valid_from}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from vool.domain.tariffs.tariff_data import parse_windows

        try:
            parse_windows(self.windows or [])
        except ValueError as exc:
            raise ValidationError({"windows": str(exc)}) from exc


class NetworkPackage(models.Model):
    """A grid operator's network package (e.g. Elektrilevi Võrk 2 = ``V2``)."""

    grid_operator_code = models.CharField(
        _("grid operator"),
        max_length=32,
        help_text=_("The grid operator's code, e.g. ELEKTRILEVI."),
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    band_scheme = models.ForeignKey(
        BandScheme,
        verbose_name=_("time bands"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty for one flat price."),
    )

    class Meta:
        verbose_name = _("network package")
        verbose_name_plural = _("network packages")
        ordering = ["grid_operator_code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid_operator_code", "code"], name="network_package_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid_operator_code} {self.code}"


def _price_field(label: Any) -> Any:
    return models.DecimalField(label, max_digits=10, decimal_places=6, null=True, blank=True)


class NetworkPrice(SourcedVersion):
    """Per-kWh network prices (EUR/kWh excl. VAT) of a package, by band."""

    OVERLAP_SCOPE = ("package_id",)

    BAND_FIELDS = {
        "ALL": "flat_price",
        "DAY": "day_price",
        "NIGHT": "night_price",
        "DAY_PEAK": "day_peak_price",
        "REST_PEAK": "rest_peak_price",
    }

    package = models.ForeignKey(
        NetworkPackage, verbose_name=_("package"), on_delete=models.CASCADE, related_name="prices"
    )
    flat_price = _price_field(_("flat price (EUR/kWh)"))
    day_price = _price_field(_("day price (EUR/kWh)"))
    night_price = _price_field(_("night price (EUR/kWh)"))
    day_peak_price = _price_field(_("day peak price (EUR/kWh)"))
    rest_peak_price = _price_field(_("rest-day peak price (EUR/kWh)"))

    class Meta:
        verbose_name = _("network price")
        verbose_name_plural = _("network prices")
        ordering = ["package", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "valid_from"], name="network_price_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="network_price_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package} from {self.valid_from}"


class NetworkMonthlyFee(SourcedVersion):
    """A package's monthly fee (EUR excl. VAT) for apartments or by main-fuse size: the row
    with the smallest ``max_fuse_a`` at least the point's fuse applies."""

    OVERLAP_SCOPE = ("package_id", "is_apartment", "max_fuse_a")

    package = models.ForeignKey(
        NetworkPackage,
        verbose_name=_("package"),
        on_delete=models.CASCADE,
        related_name="monthly_fees",
    )
    is_apartment = models.BooleanField(_("apartment"), default=False)
    max_fuse_a = models.PositiveSmallIntegerField(_("up to main fuse (A)"), null=True, blank=True)
    monthly_fee_amount = models.DecimalField(
        _("monthly fee (EUR)"), max_digits=10, decimal_places=2
    )

    class Meta:
        verbose_name = _("network monthly fee")
        verbose_name_plural = _("network monthly fees")
        ordering = ["package", "valid_from", "-is_apartment", "max_fuse_a"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "valid_from", "is_apartment", "max_fuse_a"],
                name="network_fee_unique",
            ),
            models.CheckConstraint(
                condition=Q(is_apartment=True) | Q(max_fuse_a__isnull=False),
                name="network_fee_fuse_or_apartment",
                violation_error_message=_("A fee is for apartments or up to a fuse size."),
            ),
        ]

    def __str__(self) -> str:
        what = "apartment" if self.is_apartment else f"<= {self.max_fuse_a} A"
        return f"{self.package} {what} from {self.valid_from}"


class Levy(models.Model):
    """A per-kWh charge set by law or the TSO: excise, renewable energy fee, ..."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_et = models.CharField(_("name (Estonian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position on the bill"), default=0)

    class Meta:
        verbose_name = _("levy")
        verbose_name_plural = _("levies")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.code


class LevyRate(SourcedVersion):
    OVERLAP_SCOPE = ("levy_id",)
    levy = models.ForeignKey(
        Levy, verbose_name=_("levy"), on_delete=models.CASCADE, related_name="rates"
    )
    unit_price = models.DecimalField(_("price (EUR/kWh)"), max_digits=10, decimal_places=6)

    class Meta:
        verbose_name = _("levy rate")
        verbose_name_plural = _("levy rates")
        ordering = ["levy", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["levy", "valid_from"], name="levy_rate_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="levy_rate_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.levy.code} {self.unit_price} from {self.valid_from}"


class VatRate(SourcedVersion):
    OVERLAP_SCOPE = ()  # one VAT rate at a time

    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4, help_text=_("0.24 = 24%"))

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from"], name="vat_rate_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="vat_rate_period_valid",
            ),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=1), name="vat_rate_range"),
        ]

    def __str__(self) -> str:
        return f"{self.rate} from {self.valid_from}"


class MarketPrice(models.Model):
    """A day-ahead market price of one interval (EUR/MWh excl. VAT), as Elering publishes it.

    Versioned: a changed price is a new row (``version`` n + 1, current) and the old one is
    kept with ``is_current=False`` and ``superseded_at``, so what an issued invoice was priced
    with stays on record. Bills read the current version."""

    area = models.CharField(_("bidding zone"), max_length=4, default="ee")
    start_at = models.DateTimeField(_("interval start (UTC)"))
    resolution_minutes = models.PositiveSmallIntegerField(_("resolution (min)"))
    price_eur_mwh = models.DecimalField(_("price (EUR/MWh)"), max_digits=12, decimal_places=3)
    source = models.CharField(_("source"), max_length=200, blank=True, default="")
    imported_at = models.DateTimeField(_("imported at"))
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1)
    is_current = models.BooleanField(_("current"), default=True, db_default=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("market price")
        verbose_name_plural = _("market prices")
        ordering = ["area", "start_at", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "start_at", "version"], name="market_price_version_unique"
            ),
            models.UniqueConstraint(
                fields=["area", "start_at"],
                condition=Q(is_current=True),
                name="market_price_one_current",
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__in=[15, 60]), name="market_price_resolution"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.start_at:%Y-%m-%d %H:%M} {self.price_eur_mwh}"


# -- prosumers: net billing and the production terms of surplus fed in (issue 15) -------------


class NetBillingRule(SourcedVersion):
    """How a bidirectional (prosumer) point is billed on local dates ``[from, to)``: on the
    net quantities per interval (consumption = net OUT, the surplus fed in = net IN, settled
    at the customer's production terms) or, without a rule for a day, on gross OUT.

    ``surplus_vat_rate`` is the VAT on the surplus credit: 0 for a private producer who is
    not VAT-registered (the sale is outside the scope of VAT; docs/architecture.md,
    "Prosumers")."""

    OVERLAP_SCOPE = ()  # one rule at a time

    bills_net = models.BooleanField(
        _("bill on net quantities"),
        default=True,
        help_text=_(
            "Points with net data are billed on the net consumption of each interval and "
            "credited for the surplus fed in."
        ),
    )
    surplus_vat_rate = models.DecimalField(
        _("VAT on the surplus credit"),
        max_digits=5,
        decimal_places=4,
        default=0,
        help_text=_("0 = no VAT: a private producer who is not VAT-registered."),
    )

    class Meta:
        verbose_name = _("net billing rule")
        verbose_name_plural = _("net billing rules")
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from"], name="net_billing_rule_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="net_billing_rule_period_valid",
            ),
            models.CheckConstraint(
                condition=Q(surplus_vat_rate__gte=0) & Q(surplus_vat_rate__lt=1),
                name="net_billing_rule_vat_range",
            ),
        ]

    def __str__(self) -> str:
        return f"net billing {self.bills_net} from {self.valid_from}"


class ProductionProduct(models.Model):
    """The terms at which a retailer buys a prosumer's surplus: the exchange price of each
    interval minus a margin, or a fixed buy-back price (dated, :class:`ProductionPrice`)."""

    class Kind(models.TextChoices):
        EXCHANGE = "EXCHANGE", _("Exchange price minus a margin")
        FIXED = "FIXED", _("Fixed buy-back price")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_et = models.CharField(_("name (Estonian)"), max_length=100)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)

    class Meta:
        verbose_name = _("production product")
        verbose_name_plural = _("production products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_et}"


class ProductionPrice(DatedVersion):
    """A dated version of a production product's price, excl. VAT, ``[from, to)``: the margin
    kept from the exchange price (EXCHANGE) or the buy-back price (FIXED), in EUR/kWh."""

    OVERLAP_SCOPE = ("production_product_id",)

    production_product = models.ForeignKey(
        ProductionProduct,
        verbose_name=_("production product"),
        on_delete=models.PROTECT,
        related_name="prices",
    )
    margin = models.DecimalField(
        _("margin kept from the exchange price (EUR/kWh)"),
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
    )
    buyback_price = models.DecimalField(
        _("buy-back price (EUR/kWh)"), max_digits=10, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = _("production price")
        verbose_name_plural = _("production prices")
        ordering = ["production_product", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["production_product", "valid_from"],
                name="production_price_unique_start",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="production_price_period_valid",
                violation_error_message=_("A price ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(margin__isnull=False) | Q(buyback_price__isnull=False),
                name="production_price_has_a_price",
                violation_error_message=_("Give the margin or the buy-back price."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.production_product.code} from {self.valid_from}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        product = self.production_product if self.production_product_id else None
        if product is None:
            return
        if product.kind == ProductionProduct.Kind.EXCHANGE and self.margin is None:
            raise ValidationError({"margin": _("An exchange-price product needs a margin.")})
        if product.kind == ProductionProduct.Kind.FIXED and self.buyback_price is None:
            raise ValidationError(
                {"buyback_price": _("A fixed-price product needs a buy-back price.")}
            )
