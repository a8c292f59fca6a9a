"""Customers and their billing accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vool.domain import validators


class Language(models.TextChoices):
    ESTONIAN = "et", _("Estonian")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "PERSON", _("Person")
        BUSINESS = "BUSINESS", _("Business")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    personal_code = models.CharField(
        _("personal code (isikukood)"),
        max_length=11,
        null=True,
        blank=True,
        unique=True,
        validators=[validators.validate_isikukood],
    )
    registry_code = models.CharField(
        _("registry code (registrikood)"),
        max_length=8,
        null=True,
        blank=True,
        unique=True,
        validators=[validators.validate_registrikood],
    )
    vat_number = models.CharField(
        _("VAT number (KMKR)"),
        max_length=11,
        blank=True,
        default="",
        validators=[validators.validate_kmkr],
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    name = models.CharField(_("name"), max_length=200, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, default="")
    phone = models.CharField(_("phone"), max_length=32, blank=True, default="")
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ESTONIAN
    )
    street_address = models.CharField(_("street address"), max_length=200, blank=True, default="")
    city = models.CharField(_("city"), max_length=100, blank=True, default="")
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True, default="")
    country = models.CharField(_("country"), max_length=2, default="EE")
    is_vulnerable = models.BooleanField(
        _("vulnerable customer"),
        default=False,
        help_text=_("Protected from disconnection and shown with care in the back office."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="PERSON", personal_code__isnull=False, registry_code__isnull=True)
                    | Q(kind="BUSINESS", registry_code__isnull=False, personal_code__isnull=True)
                ),
                name="customer_code_matches_kind",
                violation_error_message=_(
                    "A person needs a personal code and a business a registry code."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind="BUSINESS") | Q(vat_number=""),
                name="customer_vat_only_business",
                violation_error_message=_("Only a business customer has a VAT number."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BillingAccount(models.Model):
    class InvoiceChannel(models.TextChoices):
        EMAIL = "EMAIL", _("E-mail")
        PORTAL = "PORTAL", _("Portal only")
        E_INVOICE = "E_INVOICE", _("Bank e-invoice")
        PAPER = "PAPER", _("Paper")

    class PaymentMethod(models.TextChoices):
        BANK_TRANSFER = "BANK_TRANSFER", _("Bank transfer")
        E_INVOICE_STANDING_ORDER = "E_INVOICE_STANDING_ORDER", _("E-invoice standing order")
        DIRECT_DEBIT = "DIRECT_DEBIT", _("Direct debit")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="billing_accounts",
    )
    reference_number = models.CharField(
        _("reference number"),
        max_length=20,
        unique=True,
        validators=[validators.validate_reference_number],
        help_text=_("Estonian 7-3-1 reference number (viitenumber); payments are matched by it."),
    )
    invoice_channel = models.CharField(
        _("invoice channel"),
        max_length=16,
        choices=InvoiceChannel.choices,
        default=InvoiceChannel.EMAIL,
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=32,
        choices=PaymentMethod.choices,
        default=PaymentMethod.BANK_TRANSFER,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(reference_number__regex=r"^[0-9]{2,20}$"),
                name="billing_account_reference_digits",
                violation_error_message=_("A reference number has 2 to 20 digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference_number} ({self.customer})"


class NumberCounter(models.Model):
    """A named counter from which blocks of numbers are allocated (reference-number bases)."""

    name = models.CharField(max_length=50, primary_key=True)
    next_value = models.BigIntegerField()

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")

    def __str__(self) -> str:
        return f"{self.name}: {self.next_value}"


class PortalAccess(models.Model):
    """A portal user who may act for a customer besides its holder (``Customer.user``): a
    household member, or a company's representative. One user may act for several customers
    and switches between them in the portal."""

    class Role(models.TextChoices):
        HOLDER = "HOLDER", _("Account holder")
        MEMBER = "MEMBER", _("Household member")
        REPRESENTATIVE = "REPRESENTATIVE", _("Representative")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        on_delete=models.CASCADE,
        related_name="portal_accesses",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="portal_accesses",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("portal access")
        verbose_name_plural = _("portal accesses")
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="portal_access_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.customer} ({self.get_role_display()})"


class FormerReferenceNumber(models.Model):
    """A reference number an account was known by before its current one (a legacy system's
    number, or one replaced at go-live). Payments quoting it still reach the account; the
    banks' move-over files and the customer's letter list old beside new."""

    account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="former_reference_numbers",
    )
    reference_number = models.CharField(
        _("former reference number"),
        max_length=20,
        unique=True,
        help_text=_("Payments quoting this number are matched to the account."),
    )
    replaced_on = models.DateField(_("replaced on"))
    source = models.CharField(
        _("source"),
        max_length=100,
        help_text=_("Where the number came from, e.g. the legacy system's extract."),
    )

    class Meta:
        verbose_name = _("former reference number")
        verbose_name_plural = _("former reference numbers")
        constraints = [
            models.CheckConstraint(
                condition=Q(reference_number__regex=r"^[0-9]{2,20}$"),
                name="former_reference_number_digits",
                violation_error_message=_("A reference number has 2 to 20 digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference_number} → {self.account.reference_number}"


class Consent(models.Model):
    """A customer's consent given or withdrawn, with when and through which channel: one row per
    change, never edited, so the history is the proof. The latest row per kind is the answer."""

    class Kind(models.TextChoices):
        MARKETING = "MARKETING", _("Offers and news by e-mail")
        PARTNER_OFFERS = "PARTNER_OFFERS", _("Offers from partners")
        CONSUMPTION_ANALYSIS = (
            "CONSUMPTION_ANALYSIS",
            _("Use of my consumption data for saving advice"),
        )

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="consents"
    )
    kind = models.CharField(_("consent"), max_length=24, choices=Kind.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded at"))
    channel = models.CharField(_("channel"), max_length=16, default="PORTAL")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["customer", "kind", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.customer} {self.kind} {'yes' if self.granted else 'no'} {self.recorded_at}"


class SecondFactor(models.Model):
    """A portal user's optional second factor: a TOTP key (RFC 6238: 30-second steps, six
    digits, as authenticator apps use). Usable once confirmed with a code from the app; the
    last step used is kept so a code is never accepted twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="second_factor",
    )
    secret = models.CharField(_("secret key (base32)"), max_length=64)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_used_step = models.BigIntegerField(_("last time step used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")

    def __str__(self) -> str:
        return f"{self.user} ({'on' if self.confirmed_at else 'not confirmed'})"
