"""What Vool keeps of its conversation with the data hub: every entry the hub distributed
(stored once, by the hub's id), how far each resource type has been read, the supply
agreements submitted for our contracts and the connection-state requests with the grid
operator's answers."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from vool.common.ranges import DateRange
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount
from vool.domain.supply.models import MeteringPoint


class HubEntry(models.Model):
    """One data-distribution entry. ``QUEUED``: refused (``problem`` says why), kept for an
    operator; ``KEPT``: a resource type Vool does not act on yet, stored for later. ``raw`` is
    the entry's content as the hub wrote it (JSON text): every reader takes its numbers from
    that text exactly, never through a float."""

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", _("Received")
        DONE = "DONE", _("Done")
        QUEUED = "QUEUED", _("Refused, in the queue")
        KEPT = "KEPT", _("Kept for later")

    entry_id = models.CharField(_("hub id"), max_length=200, unique=True)
    resource_type = models.CharField(_("resource type"), max_length=32)
    hub_created_at = models.DateTimeField(_("created in the hub at"))
    reason = models.CharField(_("reason"), max_length=64, blank=True, default="")
    raw = models.TextField(_("content"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    problem = models.TextField(_("problem"), blank=True, default="")
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data hub entry")
        verbose_name_plural = _("data hub entries")
        indexes = [models.Index(fields=["status", "resource_type"])]

    def __str__(self) -> str:
        return f"{self.resource_type} {self.entry_id}"


class HubCursor(models.Model):
    """How far a resource type has been read: the query window starting at ``window_start``
    and the next ``page`` of it."""

    resource_type = models.CharField(_("resource type"), max_length=32, unique=True)
    window_start = models.DateTimeField(_("window start"))
    page = models.PositiveIntegerField(_("next page"), default=0)
    pages_read = models.PositiveBigIntegerField(_("pages read"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("data hub position")
        verbose_name_plural = _("data hub positions")

    def __str__(self) -> str:
        return f"{self.resource_type} {self.window_start:%Y-%m-%d %H:%M} p{self.page}"


class PointHubState(models.Model):
    """What the hub says of a metering point beyond its master data: the connection state,
    the address id, whether it produces."""

    metering_point = models.OneToOneField(
        MeteringPoint, on_delete=models.PROTECT, related_name="hub_state"
    )
    connection_state = models.CharField(_("connection state"), max_length=20, blank=True)
    address_id = models.BigIntegerField(_("address id (ADS)"), null=True, blank=True)
    production = models.BooleanField(_("produces"), default=False)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("metering point in the hub")
        verbose_name_plural = _("metering points in the hub")

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.connection_state}"


class AgreementSubmission(models.Model):
    """The supply agreement of one of our contracts in the hub. ``PENDING``: concluded, to be
    sent (right after the contract, else by the next sync); ``SUBMITTED``: the hub took it;
    ``CONFIRMED``: the hub distributed it back as in force; ``REFUSED``: the lead time cannot
    be met or the hub said no (``problem`` says why)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("To send to the data hub")
        SUBMITTED = "SUBMITTED", _("Submitted")
        CONFIRMED = "CONFIRMED", _("Confirmed by the data hub")
        REFUSED = "REFUSED", _("Refused")
        CANCELLED = "CANCELLED", _("Cancelled")
        ENDED = "ENDED", _("Ended by the hub")

    contract = models.OneToOneField(
        SupplyContract, on_delete=models.PROTECT, related_name="hub_agreement"
    )
    agreement_id = models.CharField(
        _("hub agreement id"), max_length=200, unique=True, null=True, blank=True
    )
    problem = models.TextField(_("problem"), blank=True, default="")
    valid_from = models.DateField(_("supply from"))
    open_supply_elsewhere = models.BooleanField(_("switching from another supplier"))
    status = models.CharField(_("status"), max_length=9, choices=Status.choices)
    submitted_at = models.DateTimeField(_("submitted at"))
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supply agreement in the hub")
        verbose_name_plural = _("supply agreements in the hub")

    def __str__(self) -> str:
        return self.agreement_id or f"{self.status} {self.contract_id}"


class ConnectionRequest(models.Model):
    """A request to the grid operator, through the hub, to disconnect or reconnect a point,
    and the latest state the grid operator answered (every answer in ``answers``)."""

    class Action(models.TextChoices):
        CONNECT = "CONNECT", _("Reconnect")
        DISCONNECT = "DISCONNECT", _("Disconnect")

    class State(models.TextChoices):
        REQUESTED = "REQUESTED", _("Requested")
        PLANNED = "PLANNED", _("Planned")
        REFUSED = "REFUSED", _("Refused")
        CONNECTED = "CONNECTED", _("Connected")
        DISCONNECTED = "DISCONNECTED", _("Disconnected")
        CANCELLED = "CANCELLED", _("Cancelled")

    metering_point = models.ForeignKey(
        MeteringPoint, on_delete=models.PROTECT, related_name="connection_requests"
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("for the debt of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="connection_requests",
        help_text=_("Set when dunning asked for the request (the account's unpaid invoices)."),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    request_id = models.CharField(_("hub request id"), max_length=200, unique=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    answered_at = models.DateTimeField(_("last answer at"), null=True, blank=True)

    class Meta:
        verbose_name = _("connection-state request")
        verbose_name_plural = _("connection-state requests")

    def __str__(self) -> str:
        return f"{self.action} {self.metering_point_id} {self.state}"


class ConnectionAnswer(models.Model):
    request = models.ForeignKey(ConnectionRequest, on_delete=models.PROTECT, related_name="answers")
    state = models.CharField(_("state"), max_length=12, choices=ConnectionRequest.State.choices)
    answered_at = models.DateTimeField(_("answered at"))
    comment = models.TextField(_("comment"), blank=True, default="")
    entry = models.ForeignKey(HubEntry, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("connection-state answer")
        verbose_name_plural = _("connection-state answers")

    def __str__(self) -> str:
        return f"{self.request_id} {self.state}"


class JointInvoice(models.Model):
    """A joint-invoice agreement for a metering point, dated: from ``valid_from`` (until
    ``valid_to``, exclusive, or open) the supplier bills the grid operator's network fee on its
    own invoice. ESTONIA.md §6: only then may the supplier have the point disconnected for
    non-payment. Periods of one point do not overlap (``hub.operations.add_joint_invoice``)."""

    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="joint_invoices",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until (exclusive)"), null=True, blank=True)
    reference = models.CharField(
        _("agreement reference"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("The grid operator's reference of the joint-invoice agreement."),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("joint-invoice agreement")
        verbose_name_plural = _("joint-invoice agreements")
        ordering = ["metering_point", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["metering_point", "valid_from"], name="joint_invoice_point_from"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="joint_invoice_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.valid_from}..{self.valid_to or ''}"

    def clean(self) -> None:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValidationError({"valid_to": _("The agreement must end after it starts.")})
        others = JointInvoice.objects.filter(metering_point_id=self.metering_point_id).exclude(
            pk=self.pk
        )
        mine = DateRange(self.valid_from, self.valid_to)
        for other in others:
            if DateRange(other.valid_from, other.valid_to).overlaps(mine):
                raise ValidationError(
                    _(
                        "A joint-invoice agreement of this point from %(start)s overlaps "
                        "these dates."
                    ),
                    params={"start": other.valid_from},
                )


class NetworkBill(models.Model):
    """The grid operator's network bill of one point and period, as the hub distributed it
    (NETWORK_BILL), read into fields: kWh per time band (DAY/NIGHT) and direction (IN into the
    grid, OUT consumed), and the bill's lines when it has them. One row per hub bill id: a bill
    distributed again is not stored twice; a corrected bill (the same id, other figures)
    replaces the figures and keeps ``first_received_at``."""

    bill_id = models.CharField(_("hub bill id"), max_length=200, unique=True)
    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="network_bills",
    )
    grid_operator_eic = models.CharField(_("grid operator EIC"), max_length=16)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (exclusive)"))
    day_in_kwh = models.DecimalField(_("day IN kWh"), max_digits=14, decimal_places=3)
    day_out_kwh = models.DecimalField(_("day OUT kWh"), max_digits=14, decimal_places=3)
    night_in_kwh = models.DecimalField(_("night IN kWh"), max_digits=14, decimal_places=3)
    night_out_kwh = models.DecimalField(_("night OUT kWh"), max_digits=14, decimal_places=3)
    net_amount = models.DecimalField(
        _("net amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    lines = models.JSONField(_("lines"), default=list, blank=True)
    entry = models.ForeignKey(
        HubEntry, verbose_name=_("hub entry"), on_delete=models.PROTECT, related_name="+"
    )
    first_received_at = models.DateTimeField(_("first received at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("network bill")
        verbose_name_plural = _("network bills")
        ordering = ["period_start", "metering_point"]
        indexes = [models.Index(fields=["period_start", "metering_point"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="network_bill_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} {self.metering_point_id} {self.period_start}"


class NetworkBillDifference(models.Model):
    """A difference between a grid operator's network bill and what Vool billed, as the
    month's check (``usecases.network_bills.record_check``) found it: a back-office work queue.
    ``OPEN`` until a clerk explains it (the reason in the audit log) or a later check of the
    month no longer finds it (``GONE``: a rebill or a corrected bill mended it). One row per
    month, point, kind, band and hub bill (a point may have two bills starting in a month);
    an explained one found again with other figures is open again."""

    class Kind(models.TextChoices):
        KWH_DIFFER = "KWH_DIFFER", _("The kWh differ")
        NO_HUB_BILL = "NO_HUB_BILL", _("No network bill from the hub")
        NOT_BILLED = "NOT_BILLED", _("Network kWh not billed")
        NO_JOINT_INVOICE = "NO_JOINT_INVOICE", _("No joint-invoice agreement")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        EXPLAINED = "EXPLAINED", _("Explained")
        GONE = "GONE", _("No longer differs")

    period = models.DateField(_("month"))  # the month's first day
    metering_point = models.ForeignKey(
        MeteringPoint,
        verbose_name=_("metering point"),
        on_delete=models.PROTECT,
        related_name="network_bill_differences",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    band = models.CharField(_("time band"), max_length=5, blank=True, default="")
    hub_kwh = models.DecimalField(
        _("hub kWh"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    billed_kwh = models.DecimalField(
        _("billed kWh"), max_digits=14, decimal_places=3, null=True, blank=True
    )
    bill_id = models.CharField(_("hub bill id"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=9, choices=Status.choices)
    found_at = models.DateTimeField(_("found at"))
    checked_at = models.DateTimeField(_("last checked at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("network bill difference")
        verbose_name_plural = _("network bill differences")
        indexes = [models.Index(fields=["status", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "metering_point", "kind", "band", "bill_id"],
                name="network_bill_difference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.metering_point_id} {self.kind} {self.band}"

    @property
    def difference(self) -> Decimal | None:
        """Billed minus the hub's (positive: we billed more)."""
        if self.hub_kwh is None or self.billed_kwh is None:
            return None
        return self.billed_kwh - self.hub_kwh
