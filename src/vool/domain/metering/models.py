"""Meters, registers, register readings and interval data.

Interval data are stored compactly: one row per metering point, local day, direction and
version, holding the day's values as little-endian int32 Wh and one quality byte per
interval. The number of intervals follows from the day (92/96/100 quarters, 23/24/25 hours).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from vool.domain.supply.models import MeteringPoint


class Meter(models.Model):
    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="meters",
    )
    serial_number = models.CharField(_("serial number"), max_length=40, db_index=True)
    digits = models.PositiveSmallIntegerField(
        _("number of digits"), default=6, help_text=_("Register digits before the decimal point.")
    )
    multiplier = models.DecimalField(_("multiplier"), max_digits=10, decimal_places=3, default=1)
    installed_date = models.DateField(_("installed on"))
    removed_date = models.DateField(_("removed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_date__isnull=True) | Q(removed_date__gt=F("installed_date")),
                name="meter_removed_after_installed",
                violation_error_message=_("A meter is removed after it was installed."),
            ),
            models.CheckConstraint(
                condition=Q(digits__gte=3) & Q(digits__lte=12),
                name="meter_digits_range",
                violation_error_message=_("A meter has 3 to 12 digits."),
            ),
            models.CheckConstraint(
                condition=Q(multiplier__gt=0),
                name="meter_multiplier_positive",
                violation_error_message=_("The multiplier must be positive."),
            ),
            models.UniqueConstraint(
                fields=["metering_point"],
                condition=Q(removed_date__isnull=True),
                name="one_installed_meter_per_point",
                violation_error_message=_("A metering point has one installed meter at a time."),
            ),
        ]

    def __str__(self) -> str:
        return self.serial_number


class Register(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "SINGLE", _("Single rate")
        DAY = "DAY", _("Day")
        NIGHT = "NIGHT", _("Night")

    meter = models.ForeignKey(
        Meter,
        verbose_name=_("meter"),
        on_delete=models.PROTECT,
        related_name="registers",
        db_index=False,  # the unique (meter, kind) serves it
    )
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "kind"], name="register_kind_unique_per_meter"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["SINGLE", "DAY", "NIGHT"]), name="register_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meter} {self.kind}"


class Reading(models.Model):
    """A register reading. Append-only: a correction is a new reading that supersedes.

    ``known_at`` is its data time (given by the caller, never the clock); a reading is
    superseded from the ``known_at`` of the reading that supersedes it, so the readings
    known at an instant are those known by then that nothing known by then supersedes.
    ``created_at`` is the audit time."""

    class Source(models.TextChoices):
        PORTAL = "PORTAL", _("Portal")
        BACKOFFICE = "BACKOFFICE", _("Back office")
        PHONE = "PHONE", _("Phone")
        FILE = "FILE", _("File")
        REMOTE = "REMOTE", _("Remote")
        ESTIMATED = "ESTIMATED", _("Estimated")
        MIGRATION = "MIGRATION", _("Migration")

    class Status(models.TextChoices):
        ACCEPTED = "ACCEPTED", _("Accepted")
        PENDING_REVIEW = "PENDING_REVIEW", _("Pending review")
        REJECTED = "REJECTED", _("Rejected")

    register = models.ForeignKey(
        Register,
        verbose_name=_("register"),
        on_delete=models.PROTECT,
        related_name="readings",
        db_index=False,  # the index (register, read_at) serves it
    )
    read_at = models.DateTimeField(_("read at"))
    value_kwh = models.DecimalField(_("value (kWh)"), max_digits=15, decimal_places=3)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.ACCEPTED
    )
    period = models.CharField(
        _("month-end of"),
        max_length=7,
        blank=True,
        default="",
        help_text=_("YYYY-MM when this is the month-end reading of that month."),
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    known_at = models.DateTimeField(
        _("known since"),
        help_text=_(
            "The data time from which this reading is known (the as-of of the submission, "
            "import or estimate); a bill reads the readings known at its cut-off."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        indexes = [models.Index(fields=["register", "read_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_kwh__gte=0), name="reading_value_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(known_at__gte=F("read_at")),
                name="reading_known_after_read",
                violation_error_message=_("A reading cannot be known before it was read."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.register} {self.value_kwh} @ {self.read_at:%Y-%m-%d %H:%M}"


class IntervalDay(models.Model):
    """One local day of interval data of one metering point and direction, one version.

    The consumption (OUT) row of a prosumer point also carries the day's net quantities
    (``net_wh``, see :mod:`vool.domain.metering.intervals`); a version is one consistent set
    of gross and net values."""

    class Direction(models.TextChoices):
        CONSUMPTION = "OUT", _("Consumption")
        PRODUCTION = "IN", _("Production")

    class Quality(models.IntegerChoices):
        MEASURED = 0, _("Measured")
        ESTIMATED = 1, _("Estimated")
        MISSING = 2, _("Missing")

    metering_point = models.ForeignKey(
        MeteringPoint, on_delete=models.PROTECT, related_name="interval_days"
    )
    day = models.DateField(_("local day"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    resolution_minutes = models.PositiveSmallIntegerField(_("resolution (min)"))
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    values_wh = models.BinaryField(_("values (int32 Wh)"))
    quality = models.BinaryField(_("quality flags"))
    net_wh = models.BinaryField(
        _("net values"),
        db_default=b"",
        blank=True,
        help_text=_(
            "Consumption rows of a prosumer point: net OUT minus net IN per interval "
            "(int16 or int32 Wh); empty when the hub sent no net quantities."
        ),
    )
    total_wh = models.BigIntegerField(_("total (Wh)"))
    known_at = models.DateTimeField(
        _("known since"),
        help_text=_("The data time from which this version is known (the import's as-of)."),
    )
    superseded_at = models.DateTimeField(
        _("superseded at"),
        null=True,
        blank=True,
        help_text=_("When the next version became known; empty while this one is current."),
    )
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("interval day")
        verbose_name_plural = _("interval days")
        constraints = [
            models.UniqueConstraint(
                fields=["metering_point", "day", "direction", "version"],
                name="interval_day_version_unique",
            ),
            models.UniqueConstraint(
                fields=["metering_point", "day", "direction"],
                condition=Q(is_current=True),
                name="interval_day_one_current",
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__in=[15, 60]), name="interval_day_resolution"
            ),
            models.CheckConstraint(
                condition=Q(superseded_at__isnull=True, is_current=True)
                | Q(
                    superseded_at__isnull=False, is_current=False, superseded_at__gte=F("known_at")
                ),
                name="interval_day_superseded_when_not_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.day} {self.direction} v{self.version}"


class IntervalCorrection(models.Model):
    """A true-up marker: interval data of a day changed after it was first stored.

    Written when an import makes a new version of an existing day (a correction from the data
    hub, up to 12 months back, or gaps filled). Billing looks at the unsettled rows to find the
    days that may need a true-up; how much is decided by version (what is known at the bill's
    cut-off minus what the live bills hold, see ``billing.true_ups``), never by ``delta_wh``
    or timestamps. ``settled_at`` is set when an issued bill holds the correction's version
    (or a later one), and cleared by a credit note of that bill. Append-only otherwise.
    """

    metering_point = models.ForeignKey(
        MeteringPoint, on_delete=models.PROTECT, related_name="interval_corrections"
    )
    day = models.DateField(_("local day"))
    period = models.CharField(_("billing month"), max_length=7, help_text=_("YYYY-MM of the day"))
    direction = models.CharField(
        _("direction"), max_length=3, choices=IntervalDay.Direction.choices
    )
    previous = models.OneToOneField(
        IntervalDay, on_delete=models.PROTECT, related_name="corrected_by"
    )
    current = models.OneToOneField(IntervalDay, on_delete=models.PROTECT, related_name="correction")
    previous_total_wh = models.BigIntegerField(_("previous total (Wh)"))
    current_total_wh = models.BigIntegerField(_("new total (Wh)"))
    delta_wh = models.BigIntegerField(_("change (Wh)"))
    import_run = models.ForeignKey(
        "MeteringImport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_at = models.DateTimeField(_("settled on a bill at"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("interval correction")
        verbose_name_plural = _("interval corrections")
        indexes = [models.Index(fields=["period", "metering_point"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(delta_wh=F("current_total_wh") - F("previous_total_wh")),
                name="interval_correction_delta",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.day} {self.direction} {self.delta_wh:+d} Wh"


class MeteringImport(models.Model):
    """One import of a metering file (interval data or register readings): the audit row."""

    class Kind(models.TextChoices):
        INTERVALS = "INTERVALS", _("Interval data")
        READINGS = "READINGS", _("Register readings")

    kind = models.CharField(_("kind"), max_length=9, choices=Kind.choices)
    file_name = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    intervals = models.PositiveIntegerField(_("intervals or readings read"), default=0)
    days_created = models.PositiveIntegerField(_("days created"), default=0)
    days_corrected = models.PositiveIntegerField(_("days given a new version"), default=0)
    days_unchanged = models.PositiveIntegerField(_("days unchanged"), default=0)
    as_of = models.DateTimeField(_("as of"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("metering import")
        verbose_name_plural = _("metering imports")

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"
