"""Grid operators and metering points (the places electricity is delivered)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vool.domain import validators


class GridOperator(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    eic = models.CharField(
        _("EIC"), max_length=16, unique=True, validators=[validators.validate_eic]
    )

    class Meta:
        verbose_name = _("grid operator")
        verbose_name_plural = _("grid operators")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MeteringPoint(models.Model):
    class MeteringMethod(models.TextChoices):
        REMOTE_INTERVAL = "REMOTE_INTERVAL", _("Remote read (interval data)")
        MANUAL_REGISTER = "MANUAL_REGISTER", _("Manual register readings")

    class Resolution(models.TextChoices):
        PT15M = "PT15M", _("15 minutes")
        PT60M = "PT60M", _("60 minutes")

    eic = models.CharField(
        _("EIC"),
        max_length=16,
        unique=True,
        validators=[validators.validate_eic],
        help_text=_("16-character Energy Identification Code, e.g. 38ZEE-1000007L-E."),
    )
    grid_operator = models.ForeignKey(
        GridOperator,
        verbose_name=_("grid operator"),
        on_delete=models.PROTECT,
        related_name="metering_points",
    )
    street_address = models.CharField(_("street address"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True, default="")
    is_apartment = models.BooleanField(
        _("apartment"),
        default=False,
        help_text=_("Apartment connections have their own monthly network fee."),
    )
    main_fuse_a = models.PositiveSmallIntegerField(_("main fuse (A)"))
    network_package_code = models.CharField(
        _("network package"), max_length=32, help_text=_("The grid operator's package, e.g. V1.")
    )
    metering_method = models.CharField(
        _("metering method"), max_length=16, choices=MeteringMethod.choices
    )
    resolution = models.CharField(
        _("resolution"), max_length=5, choices=Resolution.choices, default=Resolution.PT15M
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("metering point")
        verbose_name_plural = _("metering points")
        constraints = [
            models.CheckConstraint(
                condition=Q(main_fuse_a__gt=0) & Q(main_fuse_a__lte=6300),
                name="metering_point_fuse_range",
                violation_error_message=_("The main fuse must be between 1 and 6300 A."),
            ),
            models.CheckConstraint(
                condition=Q(metering_method__in=["REMOTE_INTERVAL", "MANUAL_REGISTER"]),
                name="metering_point_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(resolution__in=["PT15M", "PT60M"]),
                name="metering_point_resolution_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.eic

    @property
    def interval_minutes(self) -> int:
        return 15 if self.resolution == self.Resolution.PT15M else 60
