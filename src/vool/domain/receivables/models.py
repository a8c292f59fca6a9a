"""Receivables: the money that reaches the retailer's bank accounts and where it went.

A :class:`Payment` is one booked credit on one of the retailer's :class:`BankAccount` rows,
from a bank statement (:class:`StatementFile`, camt.053) or an intraday notification
(camt.054); the same bank entry in both is one payment (unique per account and the bank's own
reference). What happened to its money is a list of append-only :class:`Allocation` rows:
ACCOUNT (onto a billing account; posted to the ledger as cash against receivable; a negative
ACCOUNT row takes it back off when the bank reverses the payment), REFUND (paid back to the
payer) and RETURNED (taken back by the bank). Whatever is not allocated is in suspense. So for
every payment ``amount = allocated + refunded + returned + suspense``.

How an ACCOUNT allocation pays the account's invoices (oldest first by default) is kept in
:class:`InvoiceSettlement` rows, so issued invoices and the ledger are never edited; an amount
not settled against an invoice is a credit balance that the next bill applies.

Debits on the statement (a reversal of a payment, a returned direct debit, a refund we sent,
bank fees) are :class:`BankDebit` rows, linked to what they undo or pay out when known.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vool.domain import validators
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import BillingAccount


class BankAccount(models.Model):
    """One of the retailer's own bank accounts; statements for any other IBAN are refused."""

    iban = models.CharField(
        _("IBAN"), max_length=34, unique=True, validators=[validators.validate_iban]
    )
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["iban"]

    def __str__(self) -> str:
        return f"{self.name} {self.iban}"


class StatementFile(models.Model):
    """An imported camt file; the same bytes are imported once (unique checksum)."""

    bank_account = models.ForeignKey(
        BankAccount, verbose_name=_("bank account"), on_delete=models.PROTECT
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    file_name = models.CharField(_("file name"), max_length=255)
    message = models.CharField(_("message"), max_length=16)
    message_id = models.CharField(_("message id"), max_length=35, blank=True, default="")
    statement_id = models.CharField(_("statement id"), max_length=35, blank=True, default="")
    entry_count = models.PositiveIntegerField(_("entries"), default=0)
    new_payment_count = models.PositiveIntegerField(_("new payments"), default=0)
    imported_by = models.CharField(_("imported by"), max_length=150, blank=True, default="")
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("bank statement file")
        verbose_name_plural = _("bank statement files")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.message} {self.statement_id or self.file_name}"


class Payment(models.Model):
    class Status(models.TextChoices):
        SUSPENSE = "SUSPENSE", _("In suspense")
        ALLOCATED = "ALLOCATED", _("Allocated")
        REFUNDED = "REFUNDED", _("Refunded")
        RETURNED = "RETURNED", _("Returned by the bank")

    bank_account = models.ForeignKey(
        BankAccount, verbose_name=_("bank account"), on_delete=models.PROTECT
    )
    statement = models.ForeignKey(
        StatementFile,
        verbose_name=_("first seen in"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    entry_key = models.CharField(_("bank reference (AcctSvcrRef)"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    payer_name = models.CharField(_("payer"), max_length=140, blank=True, default="")
    payer_iban = models.CharField(_("payer IBAN"), max_length=34, blank=True, default="")
    end_to_end_id = models.CharField(max_length=35, blank=True, default="")
    reference = models.CharField(_("reference number"), max_length=35, blank=True, default="")
    reference_source = models.CharField(max_length=4, blank=True, default="")
    text = models.CharField(_("payment details"), max_length=500, blank=True, default="")
    bank_transaction_code = models.CharField(max_length=35, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.SUSPENSE
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-booking_date", "-id"]
        indexes = [
            models.Index(fields=["status", "booking_date"]),
            models.Index(fields=["payer_iban"]),
            models.Index(fields=["end_to_end_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "entry_key"], name="payment_once_per_bank_entry"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.payer_name} ({self.entry_key})"


class Allocation(models.Model):
    class Kind(models.TextChoices):
        ACCOUNT = "ACCOUNT", _("To a billing account")
        REFUND = "REFUND", _("Refunded to the payer")
        RETURNED = "RETURNED", _("Returned by the bank")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="allocations"
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_allocations",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    refund_iban = models.CharField(_("refund to IBAN"), max_length=34, blank=True, default="")
    created_by = models.CharField(_("by"), max_length=150)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        indexes = [models.Index(fields=["billing_account", "kind"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="allocation_amount_non_zero"),
            models.CheckConstraint(
                condition=Q(kind="ACCOUNT", billing_account__isnull=False)
                | (~Q(kind="ACCOUNT") & Q(billing_account__isnull=True) & Q(amount__gt=0)),
                name="allocation_account_only_for_account_kind",
            ),
            models.CheckConstraint(
                condition=~Q(created_by="") & ~Q(reason=""),
                name="allocation_says_who_and_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.payment_id})"


class InvoiceSettlement(models.Model):
    """How much of an ACCOUNT allocation pays an invoice (negative when taken back)."""

    allocation = models.ForeignKey(Allocation, on_delete=models.PROTECT, related_name="settlements")
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="settlements"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("invoice settlement")
        verbose_name_plural = _("invoice settlements")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="settlement_amount_non_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount}"


class BankDebit(models.Model):
    class Kind(models.TextChoices):
        REVERSAL = "REVERSAL", _("Reversal of a payment")
        RETURN = "RETURN", _("Returned payment or direct debit")
        REFUND = "REFUND", _("Refund paid out")
        OTHER = "OTHER", _("Other debit")

    bank_account = models.ForeignKey(
        BankAccount, verbose_name=_("bank account"), on_delete=models.PROTECT
    )
    statement = models.ForeignKey(StatementFile, on_delete=models.PROTECT, related_name="debits")
    entry_key = models.CharField(_("bank reference (AcctSvcrRef)"), max_length=40)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    booking_date = models.DateField(_("booking date"))
    counterparty_name = models.CharField(max_length=140, blank=True, default="")
    counterparty_iban = models.CharField(max_length=34, blank=True, default="")
    end_to_end_id = models.CharField(max_length=35, blank=True, default="")
    return_reason = models.CharField(max_length=35, blank=True, default="")
    text = models.CharField(_("payment details"), max_length=500, blank=True, default="")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="debits"
    )
    refund = models.OneToOneField(
        Allocation, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_debit"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("bank debit")
        verbose_name_plural = _("bank debits")
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "entry_key"], name="bank_debit_once_per_bank_entry"
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(payment__isnull=False),
                name="bank_debit_reverses_a_payment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.entry_key})"


# --- dunning ---------------------------------------------------------------------------------


class DunningLevel(models.Model):
    """One level of dunning as dated data (``[valid_from, valid_to)``): a REMINDER some days
    after the due date, a WARNING naming the disconnection date (the run's date plus
    ``disconnection_after_days``), a DISCONNECTION request recorded for the data-hub step. Each
    may carry a fee; an invoice (or an account's debt) under ``minimum_amount`` gets no letter.
    """

    class Level(models.TextChoices):
        REMINDER = "REMINDER", _("Reminder")
        WARNING = "WARNING", _("Warning before disconnection")
        DISCONNECTION = "DISCONNECTION", _("Disconnection request")

    level = models.CharField(_("level"), max_length=13, choices=Level.choices)
    days_after_due = models.PositiveIntegerField(_("days after the due date"))
    disconnection_after_days = models.PositiveIntegerField(
        _("disconnection after (days)"),
        null=True,
        blank=True,
        help_text=_("A warning names the disconnection date: the run's date plus these days."),
    )
    fee_amount = models.DecimalField(_("fee"), max_digits=8, decimal_places=2, default=0)
    minimum_amount = models.DecimalField(
        _("minimum amount"), max_digits=8, decimal_places=2, default=0
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True, default="")
    verified = models.BooleanField(_("verified"), default=False)

    class Meta:
        verbose_name = _("dunning level")
        verbose_name_plural = _("dunning levels")
        ordering = ["valid_from", "days_after_due"]
        constraints = [
            models.UniqueConstraint(fields=["level", "valid_from"], name="dunning_level_once"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="dunning_level_period",
            ),
            models.CheckConstraint(
                condition=~Q(level="WARNING") | Q(disconnection_after_days__isnull=False),
                name="dunning_warning_names_a_date",
            ),
            models.CheckConstraint(
                condition=Q(fee_amount__gte=0) & Q(minimum_amount__gte=0),
                name="dunning_level_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} +{self.days_after_due} d ({self.valid_from})"


class DunningHold(models.Model):
    """No letters while a hold is active (``[valid_from, valid_to)``): a vulnerable customer
    (e.g. medical equipment) or a clerk's hold on a billing account, or a disputed invoice."""

    class Kind(models.TextChoices):
        VULNERABLE = "VULNERABLE", _("Vulnerable customer")
        CLERK = "CLERK", _("Held by a clerk")
        DISPUTED = "DISPUTED", _("Disputed invoice")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dunning_holds",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dunning_holds",
    )
    reason = models.TextField(_("reason"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_by = models.CharField(_("by"), max_length=150)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("dunning hold")
        verbose_name_plural = _("dunning holds")
        indexes = [models.Index(fields=["billing_account", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="DISPUTED") & Q(invoice__isnull=False))
                | (~Q(kind="DISPUTED") & Q(billing_account__isnull=False)),
                name="dunning_hold_on_account_or_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(created_by="") & ~Q(reason=""), name="dunning_hold_who_and_why"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="dunning_hold_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.valid_from} - {self.valid_to or ''}"


class DunningRun(models.Model):
    """One run per date: running the same date again adds nothing."""

    run_date = models.DateField(_("date"), unique=True)
    created_by = models.CharField(_("by"), max_length=150, blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    letter_count = models.PositiveIntegerField(_("letters"), default=0)
    request_count = models.PositiveIntegerField(_("disconnection requests"), default=0)

    class Meta:
        verbose_name = _("dunning run")
        verbose_name_plural = _("dunning runs")
        ordering = ["-run_date"]

    def __str__(self) -> str:
        return str(self.run_date)


class DunningLetter(models.Model):
    """A letter about one overdue invoice at one level; an invoice gets each level once.
    (Sent through the documents issue's letters when they land; until then listed here.)"""

    run = models.ForeignKey(
        DunningRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="letters"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="dunning_letters"
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="dunning_letters",
    )
    level = models.CharField(_("level"), max_length=13, choices=DunningLevel.Level.choices)
    open_amount = models.DecimalField(_("open amount"), max_digits=14, decimal_places=2)
    fee_amount = models.DecimalField(_("fee"), max_digits=8, decimal_places=2, default=0)
    disconnection_date = models.DateField(_("disconnection date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("dunning letter")
        verbose_name_plural = _("dunning letters")
        ordering = ["-run__run_date", "billing_account", "invoice"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="dunning_letter_once"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.invoice_id} ({self.open_amount})"


class DisconnectionRequest(models.Model):
    """A request to the grid operator to disconnect an account's supply, recorded for the
    data-hub step (connection-state DISCONNECT) to send; one per account and run."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("To send to the data hub")
        SENT = "SENT", _("Sent")
        CANCELLED = "CANCELLED", _("Cancelled")

    run = models.ForeignKey(
        DunningRun, verbose_name=_("run"), on_delete=models.PROTECT, related_name="requests"
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="disconnection_requests",
    )
    open_amount = models.DecimalField(_("open amount"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(
        _("note"),
        blank=True,
        default="",
        db_default="",  # the dunning run writes its requests with COPY, without this column
        help_text=_("What the data-hub step did: the hub's request ids, or why nothing was sent."),
    )

    class Meta:
        verbose_name = _("disconnection request")
        verbose_name_plural = _("disconnection requests")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "billing_account"], name="disconnection_once_per_run"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.billing_account_id} {self.status}"


# --- late-payment interest -------------------------------------------------------------------


class StatutoryInterestRate(models.Model):
    """The statutory late-payment interest (viivis, VÕS § 113(1)) as dated data
    (``[valid_from, valid_to)``): the ECB main refinancing rate in force before 1 January /
    1 July plus 8 % a year. Rows seeded from memory are ``verified=False`` until checked
    against Eesti Pank's published rate (editable in the admin)."""

    valid_from = models.DateField(_("valid from"), unique=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    ecb_rate_percent = models.DecimalField(
        _("ECB main refinancing rate (% a year)"), max_digits=6, decimal_places=3
    )
    margin_percent = models.DecimalField(
        _("margin (% a year)"), max_digits=6, decimal_places=3, default=8
    )
    source = models.CharField(_("source"), max_length=200, blank=True, default="")
    verified = models.BooleanField(_("verified"), default=False)

    class Meta:
        verbose_name = _("statutory interest rate")
        verbose_name_plural = _("statutory interest rates")
        ordering = ["valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="statutory_rate_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ecb_rate_percent} + {self.margin_percent} % ({self.valid_from})"


# --- SEPA direct debit -----------------------------------------------------------------------


class DirectDebitMandate(models.Model):
    """A customer's SEPA Core direct-debit mandate for a billing account: its id and the date
    it was signed (both go into every collection), and the debtor's account. At most one
    mandate of an account is in force (not revoked)."""

    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    mandate_id = models.CharField(_("mandate id"), max_length=35, unique=True)
    signed_date = models.DateField(_("signed on"))
    debtor_name = models.CharField(_("debtor"), max_length=70)
    debtor_iban = models.CharField(
        _("debtor IBAN"), max_length=34, validators=[validators.validate_iban]
    )
    debtor_bic = models.CharField(_("debtor BIC"), max_length=11, blank=True, default="")
    revoked_date = models.DateField(_("revoked on"), null=True, blank=True)
    created_by = models.CharField(_("by"), max_length=150)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("direct-debit mandate")
        verbose_name_plural = _("direct-debit mandates")
        constraints = [
            models.UniqueConstraint(
                fields=["billing_account"],
                condition=Q(revoked_date__isnull=True),
                name="one_mandate_in_force_per_account",
            ),
            models.CheckConstraint(
                condition=Q(mandate_id__regex=r"^[A-Za-z0-9+?/:().,' -]{1,35}$"),
                name="mandate_id_sepa_characters",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mandate_id} ({self.signed_date})"


class DirectDebitCollection(models.Model):
    """One pain.008.001.02 file sent to the bank: the collections of one date."""

    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    collection_date = models.DateField(_("collection date"))
    item_count = models.PositiveIntegerField(_("collections"), default=0)
    total_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    xml = models.TextField(_("pain.008 file"))
    created_by = models.CharField(_("by"), max_length=150)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("direct-debit collection file")
        verbose_name_plural = _("direct-debit collection files")
        ordering = ["-collection_date", "-id"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.collection_date})"


class DirectDebitItem(models.Model):
    """One invoice collected by direct debit. An invoice is collected once: after a return
    (the bank's reason code kept here) it is open again and follows dunning."""

    class Status(models.TextChoices):
        SENT = "SENT", _("Sent to the bank")
        RETURNED = "RETURNED", _("Returned")

    collection = models.ForeignKey(
        DirectDebitCollection, on_delete=models.PROTECT, related_name="items"
    )
    invoice = models.OneToOneField(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="direct_debit"
    )
    mandate = models.ForeignKey(DirectDebitMandate, on_delete=models.PROTECT, related_name="items")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    sequence_type = models.CharField(_("sequence"), max_length=4)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.SENT
    )
    return_reason = models.CharField(_("return reason"), max_length=35, blank=True, default="")
    returned_by = models.OneToOneField(
        BankDebit, null=True, blank=True, on_delete=models.PROTECT, related_name="direct_debit"
    )

    class Meta:
        verbose_name = _("direct-debit collection")
        verbose_name_plural = _("direct-debit collections")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="direct_debit_positive"),
            models.CheckConstraint(
                condition=Q(sequence_type__in=["FRST", "RCUR"]), name="direct_debit_sequence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} {self.amount} ({self.status})"
