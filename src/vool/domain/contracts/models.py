"""Supply contracts: which product a customer buys for a metering point, and when."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.supply.models import MeteringPoint
from vool.domain.tariffs.models import Product, ProductionProduct


class SupplyContract(models.Model):
    """``[valid_from, valid_to)`` in local dates. Two live contracts on one point never overlap:
    a PostgreSQL exclusion constraint (migration 0002) and the same check in the operation."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("Active")
        TERMINATED = "TERMINATED", _("Terminated")
        CANCELLED = "CANCELLED", _("Cancelled")

    class Channel(models.TextChoices):
        PORTAL = "PORTAL", _("Portal")
        BACKOFFICE = "BACKOFFICE", _("Back office")
        PHONE = "PHONE", _("Phone")
        DATAHUB = "DATAHUB", _("Data hub")
        MIGRATION = "MIGRATION", _("Migration")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="contracts"
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    signed_channel = models.CharField(_("signed in"), max_length=10, choices=Channel.choices)
    green_energy = models.BooleanField(
        _("green energy add-on"),
        default=False,
        help_text=_("The customer buys the product's green-energy add-on."),
    )
    production_product = models.ForeignKey(
        ProductionProduct,
        verbose_name=_("production terms"),
        on_delete=models.PROTECT,
        related_name="contracts",
        null=True,
        blank=True,
        help_text=_(
            "What the surplus a prosumer feeds into the grid is credited at (billed on net "
            "quantities); empty: the customer does not sell a surplus to us."
        ),
    )
    late_interest_daily_rate = models.DecimalField(
        _("late-payment interest a day"),
        max_digits=8,
        decimal_places=7,
        null=True,
        blank=True,
        help_text=_(
            "The contract's own rate as a fraction a day (0.00066 = 0.066 % a day); empty: "
            "the statutory rate (ECB main refinancing rate + 8 % a year)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("supply contract")
        verbose_name_plural = _("supply contracts")
        indexes = [models.Index(fields=["metering_point", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="contract_period_valid",
                violation_error_message=_("A contract ends after it starts."),
            ),
        ]

    def __str__(self) -> str:
        end = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.metering_point} {self.product.code} [{self.valid_from}, {end})"
