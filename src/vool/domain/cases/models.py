"""Customer requests (cases), their service levels, notes and attachments; the service freeze
and the readings queued while it is on.

A case concerns one customer and, optionally, one invoice, reading or contract. Its due date
comes from the service level of its type valid on the day it was opened (``ServiceLevel``:
dated rows, edited in the admin). A bill dispute holds dunning of its invoice
(``receivables.DunningHold`` of kind DISPUTED) until the case is resolved.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vool.domain.billing.models import Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import Customer
from vool.domain.metering.models import Reading
from vool.domain.receivables.models import DunningHold
from vool.domain.supply.models import MeteringPoint


class Channel(models.TextChoices):
    PHONE = "PHONE", _("Phone")
    OFFICE = "OFFICE", _("Office")
    PORTAL = "PORTAL", _("Portal")
    EMAIL = "EMAIL", _("E-mail")
    LETTER = "LETTER", _("Letter")


class CaseType(models.TextChoices):
    QUESTION = "QUESTION", _("Question")
    BILL_DISPUTE = "BILL_DISPUTE", _("Bill dispute")
    READING_PROBLEM = "READING_PROBLEM", _("Reading problem")
    MOVING = "MOVING", _("Moving in or out")
    CONTRACT_CHANGE = "CONTRACT_CHANGE", _("Contract change")
    GRID_FAULT = "GRID_FAULT", _("Fault report to the grid operator")


#: the types a customer may open in the portal
PORTAL_TYPES = (
    CaseType.QUESTION,
    CaseType.BILL_DISPUTE,
    CaseType.MOVING,
    CaseType.READING_PROBLEM,
)


class ServiceLevel(models.Model):
    """How many calendar days a case of ``case_type`` opened in ``[valid_from, valid_to)`` has
    until it is due. Dated data: a change is a new row from a later day."""

    case_type = models.CharField(_("type"), max_length=16, choices=CaseType.choices)
    days = models.PositiveIntegerField(_("days to resolve"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")
        ordering = ["case_type", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_type", "valid_from"], name="service_level_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="service_level_period_forward",
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="service_level_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_case_type_display()}: {self.days} ({self.valid_from})"


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "OPEN", pgettext_lazy("case", "Open")
        IN_PROGRESS = "IN_PROGRESS", _("In progress")
        WAITING_CUSTOMER = "WAITING_CUSTOMER", _("Waiting for the customer")
        RESOLVED = "RESOLVED", _("Resolved")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="cases"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    case_type = models.CharField(_("type"), max_length=16, choices=CaseType.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.CharField(_("opened by"), max_length=150)
    opened_during_freeze = models.BooleanField(_("opened during the freeze"), default=False)
    due_date = models.DateField(_("due date"))
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    assigned_group = models.ForeignKey(
        Group,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    reading = models.ForeignKey(
        Reading,
        verbose_name=_("reading"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    contract = models.ForeignKey(
        SupplyContract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    dunning_hold = models.OneToOneField(
        DunningHold,
        verbose_name=_("dunning hold"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True, default="")

    class Meta:
        verbose_name = _("customer request")
        verbose_name_plural = _("customer requests")
        permissions = [
            ("work_case", _("Can work customer requests (notes, status, assignment)")),
            ("switch_freeze", _("Can switch the service freeze on and off")),
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="case_queue"),
            models.Index(fields=["customer", "opened_at"], name="case_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(case_type="BILL_DISPUTE") | Q(invoice__isnull=False),
                name="case_dispute_names_invoice",
            ),
            models.CheckConstraint(
                condition=(Q(status="RESOLVED") & Q(resolved_at__isnull=False))
                | (~Q(status="RESOLVED") & Q(resolved_at__isnull=True)),
                name="case_resolved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class CaseNote(models.Model):
    """A note on a case; ``for_customer`` notes are shown to the customer in the portal."""

    case = models.ForeignKey(
        Case, verbose_name=_("customer request"), on_delete=models.PROTECT, related_name="notes"
    )
    text = models.TextField(_("text"))
    for_customer = models.BooleanField(_("shown to the customer"), default=False)
    written_by = models.CharField(_("by"), max_length=150)
    written_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class CaseAttachment(models.Model):
    """A file on a case, stored by its SHA-256 (``VOOL_CASE_ATTACHMENTS_DIR``)."""

    case = models.ForeignKey(
        Case,
        verbose_name=_("customer request"),
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    stored_path = models.CharField(_("stored as"), max_length=200)
    uploaded_by = models.CharField(_("by"), max_length=150)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.file_name


class Freeze(models.Model):
    """A service freeze ``[started_at, ended_at)``: the portal is read-only, readings are
    queued and the back office only registers requests. At most one is on."""

    message = models.TextField(_("message"))
    started_at = models.DateTimeField(_("started at"))
    started_by = models.CharField(_("started by"), max_length=150)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.CharField(_("ended by"), max_length=150, blank=True, default="")

    class Meta:
        verbose_name = _("service freeze")
        verbose_name_plural = _("service freezes")
        constraints = [
            models.UniqueConstraint(
                fields=["ended_at"],
                condition=Q(ended_at__isnull=True),
                name="freeze_one_on",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="freeze_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}: {self.message[:40]}"


class QueuedReading(models.Model):
    """A reading a customer gave while the freeze was on: kept as given, applied through the
    reading rules when worked after the freeze (``read_at`` = when given)."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("Queued")
        APPLIED = "APPLIED", _("Applied")
        REFUSED = "REFUSED", _("Refused")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="queued_readings",
    )
    values_kwh = models.JSONField(_("values (kWh)"), help_text=_("register kind → kWh as text"))
    read_at = models.DateTimeField(_("read at"))
    given_by = models.CharField(_("given by"), max_length=150)
    given_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    freeze = models.ForeignKey(
        Freeze, verbose_name=_("service freeze"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    outcome = models.TextField(_("outcome"), blank=True, default="")
    worked_at = models.DateTimeField(_("worked at"), null=True, blank=True)
    worked_by = models.CharField(_("worked by"), max_length=150, blank=True, default="")

    class Meta:
        verbose_name = _("queued reading")
        verbose_name_plural = _("queued readings")
        indexes = [models.Index(fields=["status", "read_at"], name="queued_reading_queue")]

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.read_at:%Y-%m-%d}"


class QueueAssignment(models.Model):
    """Who works one item of a work queue (a reading pending review, a bill-run exception, a
    payment in suspense, a failed delivery, a dunning hold, a reading queued during the freeze,
    a network bill difference): a person, a team, or both. One row per item, the current
    assignment; the audit log keeps who assigned it when and why
    (``usecases.queue_assignment``)."""

    class Queue(models.TextChoices):
        READINGS = "READINGS", _("Readings pending review")
        EXCEPTIONS = "EXCEPTIONS", _("Bill-run exceptions")
        SUSPENSE = "SUSPENSE", _("Payments in suspense")
        DELIVERIES = "DELIVERIES", _("Failed deliveries")
        HOLDS = "HOLDS", _("Dunning holds")
        FROZEN_READINGS = "FROZEN_READINGS", _("Readings queued during the freeze")
        NETWORK_BILLS = "NETWORK_BILLS", _("Network bill differences")

    queue = models.CharField(_("work queue"), max_length=16, choices=Queue.choices)
    item_id = models.PositiveBigIntegerField(_("item"))
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_assignments",
    )
    assigned_group = models.ForeignKey(
        Group,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_assignments",
    )
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.CharField(_("assigned by"), max_length=150)

    class Meta:
        verbose_name = _("queue assignment")
        verbose_name_plural = _("queue assignments")
        constraints = [
            models.UniqueConstraint(fields=["queue", "item_id"], name="queue_item_assigned_once"),
            models.CheckConstraint(
                condition=Q(assigned_user__isnull=False) | Q(assigned_group__isnull=False),
                name="queue_assignment_has_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.item_id}"
