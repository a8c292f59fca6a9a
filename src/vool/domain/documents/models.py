"""The supplier shown on documents, and the rendered PDF of each invoice."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vool.domain import validators
from vool.domain.billing.models import Invoice
from vool.domain.contracts.models import SupplyContract
from vool.domain.customers.models import BillingAccount, Customer


class Supplier(models.Model):
    """The retailer's own details printed on every bill. The active row is used; with none,
    the ``VOOL_SUPPLIER_*`` settings are (see ``queries.current_supplier``)."""

    name = models.CharField(_("name"), max_length=70)
    street_address = models.CharField(_("street address"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=10)
    country = models.CharField(_("country"), max_length=2, default="EE")
    registry_code = models.CharField(
        _("registry code (registrikood)"),
        max_length=8,
        validators=[validators.validate_registrikood],
    )
    vat_number = models.CharField(
        _("VAT number (KMKR)"),
        max_length=11,
        blank=True,
        default="",
        validators=[validators.validate_kmkr],
    )
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validators.validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, default="")
    bank_name = models.CharField(_("bank"), max_length=100, blank=True, default="")
    email = models.EmailField(_("e-mail"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    website = models.CharField(_("website"), max_length=100, blank=True, default="")
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("The one supplier printed on new documents.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="supplier_one_active",
                violation_error_message=_("Only one supplier can be active."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InvoiceDocument(models.Model):
    """The PDF of an issued invoice or credit note, stored content-addressed: once
    rendered it never changes."""

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="document",
    )
    language = models.CharField(_("language"), max_length=2)
    template = models.CharField(_("template"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(_("file"), max_length=200)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    rendered_at = models.DateTimeField(_("rendered at"))

    class Meta:
        verbose_name = _("invoice document")
        verbose_name_plural = _("invoice documents")
        ordering = ["-invoice_id"]

    def __str__(self) -> str:
        return f"{self.invoice} PDF {self.sha256[:12]}"


class Delivery(models.Model):
    """How an invoice's document got (or is getting) to the customer, by the billing account's
    channel. One per invoice. Sending is recorded around the send: ``SENDING`` (claimed, with a
    lease in ``next_attempt_at``) before, ``SENT`` or ``FAILED`` after (see ``delivery``)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SENDING = "SENDING", _("Sending")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Failed")

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="delivery",
    )
    channel = models.CharField(
        _("invoice channel"), max_length=16, choices=BillingAccount.InvoiceChannel.choices
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        null=True,
        blank=True,
        help_text=_("Empty when sent, or when the attempts are used up."),
    )
    destination = models.CharField(
        _("sent to"),
        max_length=254,
        blank=True,
        default="",
        help_text=_("The e-mail address, the print file or the e-invoice batch file."),
    )
    queued_at = models.DateTimeField(_("queued at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-invoice_id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.invoice} {self.channel} {self.status}"


class EInvoiceChannel(models.Model):
    """The bank channel of a billing account's e-invoices (e-arve): the payer's bank and IBAN,
    as given in the bank's e-invoice or standing-order (püsimakse) agreement notice."""

    billing_account = models.OneToOneField(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="einvoice_channel",
    )
    bank_bic = models.CharField(
        _("payer's bank (BIC)"), max_length=11, help_text=_("For example HABAEE2X.")
    )
    payer_iban = models.CharField(
        _("payer's IBAN"), max_length=34, validators=[validators.validate_iban]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("e-invoice bank channel")
        verbose_name_plural = _("e-invoice bank channels")

    def __str__(self) -> str:
        return f"{self.billing_account_id}: {self.bank_bic} {self.payer_iban}"


class Letter(models.Model):
    """A personal letter of one kind to one billing account in one campaign (e.g. the new
    reference number letter, or the dunning letters of one dunning run): its PDF, rendered
    once in the customer's language and stored content-addressed, and how it was sent. A
    letter of a kind goes to an account once per campaign (the unique constraint); sending is
    claimed (SENDING) before and recorded (SENT/FAILED) after, as for invoices."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SENDING = "SENDING", _("Sending")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Failed")

    kind = models.CharField(_("letter kind"), max_length=40)
    campaign = models.CharField(
        _("campaign"),
        max_length=60,
        help_text=_("A letter of a kind goes to an account once per campaign."),
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="letters",
    )
    language = models.CharField(_("language"), max_length=2)
    channel = models.CharField(
        _("channel"), max_length=16, choices=BillingAccount.InvoiceChannel.choices
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    path = models.CharField(_("file"), max_length=200)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    rendered_at = models.DateTimeField(_("rendered at"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    destination = models.CharField(_("sent to"), max_length=254, blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-rendered_at", "billing_account_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "campaign", "billing_account"], name="letter_once_per_campaign"
            ),
        ]
        indexes = [models.Index(fields=["kind", "campaign", "status"], name="letter_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.campaign} {self.billing_account_id} {self.status}"


class SentEmail(models.Model):
    """An e-mail Vool sent a customer that is neither an invoice (``Delivery``) nor a letter
    (``Letter``): the confirmation of a move in, a move out or a package change. Recorded
    once it was tried, sent or not (a refusal keeps the mail server's error), with what it
    confirms, so the 360° page lists it. Written once, never changed."""

    class Kind(models.TextChoices):
        MOVED_IN = "MOVED_IN", _("Move in confirmed")
        MOVED_OUT = "MOVED_OUT", _("Move out confirmed")
        PACKAGE_CHANGED = "PACKAGE_CHANGED", _("Package change confirmed")

    class Status(models.TextChoices):
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Failed")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="emails_sent",
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emails_sent",
    )
    contract = models.ForeignKey(
        SupplyContract,
        verbose_name=_("contract"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emails_sent",
        help_text=_("The contract the e-mail confirms (the new one of a package change)."),
    )
    kind = models.CharField(_("e-mail kind"), max_length=20, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    recipient = models.CharField(_("sent to"), max_length=254, blank=True, default="")
    language = models.CharField(_("language"), max_length=2)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    error = models.TextField(_("error"), blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="SENT", error="") | (Q(status="FAILED") & ~Q(error="")),
                name="sentemail_failed_has_error",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-sent_at"], name="sentemail_of_customer")]

    def __str__(self) -> str:
        return f"{self.kind} {self.customer_id} {self.status}"
