"""Bill runs, invoices and credit notes.

A :class:`BillRun` bills one period (a month) for every billing account with a supply contract
in it. It is a set of :class:`BillRunChunk` rows, each an idempotent unit of work that writes
DRAFT invoices in its own transaction; one final step numbers and issues all drafts of the run
in a single transaction (so the invoice numbers have no gaps) and posts them to the ledger.

Issued invoices are never edited: a correction is a credit note (an Invoice of kind
CREDIT_NOTE with negated lines) and, if wanted, a new invoice (a rebill). The only change an
issued invoice ever sees is its status becoming CANCELLED when a credit note cancels it.
"""

from __future__ import annotations

import uuid
from typing import Final

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vool.domain.customers.models import BillingAccount
from vool.domain.ledger.models import LedgerAccount
from vool.domain.supply.models import MeteringPoint

ACTIVE_RUN_STATUSES = ("PENDING", "RUNNING", "ISSUING")


class BillRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        RUNNING = "RUNNING", _("Running")
        ISSUING = "ISSUING", _("Issuing")
        DONE = "DONE", _("Done")
        ABANDONED = "ABANDONED", _("Abandoned")

    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM"))
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.PENDING
    )
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    as_of = models.DateTimeField(_("as of"), help_text=_("The instant the run bills as of."))
    forced = models.BooleanField(_("forced outside the billing window"), default=False)
    started_by = models.CharField(
        _("started by"),
        max_length=150,
        blank=True,
        default="",
        help_text=_("The user, or 'scheduler', who started the run."),
    )
    forced_by = models.CharField(_("forced by"), max_length=150, blank=True, default="")
    forced_reason = models.TextField(_("why forced"), blank=True, default="")
    workers = models.PositiveSmallIntegerField(_("workers"), default=1)
    chunk_size = models.PositiveIntegerField(_("accounts per chunk"), default=500)
    account_count = models.PositiveIntegerField(_("accounts"), default=0)
    invoice_count = models.PositiveIntegerField(_("invoices"), default=0)
    exception_count = models.PositiveIntegerField(_("exceptions"), default=0)
    net_amount = models.DecimalField(_("net"), max_digits=16, decimal_places=2, default=0)
    vat_amount = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=0)
    gross_amount = models.DecimalField(_("gross"), max_digits=16, decimal_places=2, default=0)
    first_number = models.BigIntegerField(_("first invoice number"), null=True, blank=True)
    last_number = models.BigIntegerField(_("last invoice number"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    token = models.UUIDField(
        _("token"),
        default=uuid.uuid4,
        editable=False,
        help_text=_("Identifies this run in caches of worker processes."),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("bill run")
        verbose_name_plural = _("bill runs")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(status__in=ACTIVE_RUN_STATUSES),
                name="bill_run_one_active_per_period",
                violation_error_message=_("A bill run of this period is already in progress."),
            ),
            models.CheckConstraint(
                condition=Q(forced=False) | (~Q(forced_by="") & ~Q(forced_reason="")),
                name="bill_run_forced_says_who_and_why",
                violation_error_message=_("A forced run records who forced it and why."),
            ),
        ]

    def __str__(self) -> str:
        return f"Bill run {self.pk} {self.period} {self.status}"


class BillRunChunk(models.Model):
    class State(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    run = models.ForeignKey(BillRun, on_delete=models.PROTECT, related_name="chunks")
    index = models.PositiveIntegerField(_("index"))
    account_ids = models.JSONField(_("billing account ids"))
    # len(account_ids), stored so that progress is counted without reading the ids
    account_count = models.PositiveIntegerField(_("accounts"), default=0)
    first_account_id = models.BigIntegerField(_("first account id"))
    last_account_id = models.BigIntegerField(_("last account id"))
    state = models.CharField(_("state"), max_length=7, choices=State.choices, default="PENDING")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    invoice_count = models.PositiveIntegerField(_("invoices"), default=0)
    exception_count = models.PositiveIntegerField(_("exceptions"), default=0)
    report = models.JSONField(_("totals of the chunk's drafts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bill run chunk")
        verbose_name_plural = _("bill run chunks")
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="bill_run_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index} {self.state}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "INVOICE", _("Invoice")
        CREDIT_NOTE = "CREDIT_NOTE", _("Credit note")

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        ISSUED = "ISSUED", _("Issued")
        CANCELLED = "CANCELLED", _("Cancelled")

    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    period = models.CharField(_("period"), max_length=7)
    run = models.ForeignKey(
        BillRun, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(_("kind"), max_length=11, choices=Kind.choices, default="INVOICE")
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default="DRAFT")
    number = models.BigIntegerField(_("number"), null=True, blank=True, unique=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    net_amount = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    gross_amount = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    credit_applied_amount = models.DecimalField(
        _("credit balance applied"), max_digits=14, decimal_places=2, default=0
    )
    amount_due = models.DecimalField(_("amount due"), max_digits=14, decimal_places=2, default=0)
    vat_summary = models.JSONField(
        _("VAT summary"),
        default=list,
        blank=True,
        help_text=_('[{"rate": "0.24", "base": "10.00", "vat": "2.40"}, ...]'),
    )
    credited_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    reason = models.TextField(_("reason"), blank=True, default="")
    created_by = models.CharField(_("created by"), max_length=150, blank=True, default="")
    as_of = models.DateTimeField(
        _("data as of"),
        null=True,
        blank=True,
        help_text=_("The data cut-off: the invoice bills the data known at this instant."),
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [
            models.Index(fields=["run", "status"]),
            models.Index(fields=["billing_account", "period"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["billing_account", "period"],
                condition=Q(kind="INVOICE") & ~Q(status="CANCELLED"),
                name="invoice_one_per_account_and_period",
                violation_error_message=_("This account already has an invoice for the period."),
            ),
            models.UniqueConstraint(
                fields=["credited_invoice"],
                condition=Q(kind="CREDIT_NOTE"),
                name="invoice_credited_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="DRAFT", number__isnull=True)
                    | Q(status="ISSUED", number__isnull=False, issue_date__isnull=False)
                    | Q(status="CANCELLED")
                ),
                name="invoice_number_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(kind="INVOICE", credited_invoice__isnull=True)
                | Q(kind="CREDIT_NOTE", credited_invoice__isnull=False),
                name="invoice_credit_note_credits_an_invoice",
            ),
        ]

    def __str__(self) -> str:
        shown = self.number if self.number is not None else "draft"
        return f"{self.get_kind_display()} {shown} ({self.period})"


#: an invoice line's fields, in the order the bill run and the credit notes write them
#: (``operations.copy_rows``: each row a tuple in this order)
INVOICE_LINE_FIELDS: Final = (
    "invoice",
    "position",
    "metering_point",
    "component",
    "band",
    "period_start",
    "period_end",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "vat_rate",
    "ledger_account",
    "is_estimated",
    "is_true_up",
    "basis",
)
#: those the admin's invoice page shows under the invoice (not the invoice itself, the ledger
#: account the line posts to, nor the pricing basis kept for the audit)
INVOICE_LINE_SHOWN_FIELDS: Final = tuple(
    name for name in INVOICE_LINE_FIELDS if name not in {"invoice", "ledger_account", "basis"}
)


class InvoiceLine(models.Model):
    class Unit(models.TextChoices):
        KWH = "KWH", _("kWh")
        DAY = "DAY", _("days")
        PCS = "PCS", _("pcs")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    metering_point = models.ForeignKey(
        MeteringPoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    component = models.CharField(_("component"), max_length=32)
    band = models.CharField(_("time band"), max_length=16, default="ALL")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (exclusive)"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=3, choices=Unit.choices)
    # quantity x unit_price rounds half-up to amount: 6 decimals, up to 9 on very large lines
    unit_price = models.DecimalField(
        _("unit price"), max_digits=15, decimal_places=9, null=True, blank=True
    )
    amount = models.DecimalField(_("amount (excl. VAT)"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    ledger_account = models.CharField(
        _("revenue account"), max_length=16, choices=LedgerAccount.choices
    )
    is_estimated = models.BooleanField(_("estimated"), default=False)
    is_true_up = models.BooleanField(_("true-up"), default=False)
    basis = models.JSONField(_("readings or interval totals used"), default=dict, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
        ]

    def __str__(self) -> str:
        return f"{self.component} {self.band} {self.quantity} {self.unit} {self.amount}"


class InvoiceIntervalCorrection(models.Model):
    """An interval-data correction whose version (or a later one) this invoice bills, as the
    month's consumption or as a true-up. When the invoice is issued the correction is settled
    (no longer looked at by later runs); a credit note unsettles it again."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="interval_corrections"
    )
    correction = models.ForeignKey(
        "metering.IntervalCorrection", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("interval correction on an invoice")
        verbose_name_plural = _("interval corrections on invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "correction"], name="invoice_interval_correction_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: correction {self.correction_id}"


class InvoiceIntervalDays(models.Model):
    """Which version of each local day's interval data an invoice billed as the month's
    consumption of one metering point: ``versions[i]`` is the version number of day
    ``first_day + i`` (0 = the day is not billed on this invoice). One row per invoice and
    point; with :class:`InvoiceIntervalTerm` it says exactly which data each bill holds."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="interval_days")
    metering_point = models.ForeignKey(MeteringPoint, on_delete=models.PROTECT, related_name="+")
    first_day = models.DateField(_("first day"))
    versions = models.JSONField(_("version of each day"), default=list)

    class Meta:
        verbose_name = _("interval data billed")
        verbose_name_plural = _("interval data billed")
        indexes = [models.Index(fields=["metering_point", "first_day"])]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "metering_point"], name="invoice_interval_days_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.metering_point_id} from {self.first_day}"


class InvoiceIntervalTerm(models.Model):
    """A true-up of one day of interval data on an invoice, as signed versions: the invoice
    bills the sum of ``sign x`` the values of each term's version. A true-up to version ``T``
    of a day whose live bills hold the terms ``S`` has the terms ``+T - S``, so after it the
    live bills of the day add up to exactly version ``T``, whatever was billed, credited or
    rebilled before."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="interval_terms")
    metering_point = models.ForeignKey(MeteringPoint, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("local day"))
    interval_day = models.ForeignKey(
        "metering.IntervalDay", on_delete=models.PROTECT, related_name="+"
    )
    sign = models.SmallIntegerField(_("sign"))

    class Meta:
        verbose_name = _("interval true-up term")
        verbose_name_plural = _("interval true-up terms")
        indexes = [models.Index(fields=["metering_point", "day"])]
        constraints = [
            models.CheckConstraint(condition=Q(sign__in=[-1, 1]), name="invoice_term_sign"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.day} {self.sign:+d} x {self.interval_day_id}"


class BillRunException(models.Model):
    run = models.ForeignKey(BillRun, on_delete=models.PROTECT, related_name="exceptions")
    billing_account = models.ForeignKey(
        BillingAccount, on_delete=models.PROTECT, related_name="bill_run_exceptions"
    )
    code = models.CharField(_("code"), max_length=32)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("bill run exception")
        verbose_name_plural = _("bill run exceptions")
        constraints = [
            models.UniqueConstraint(
                fields=["run", "billing_account"], name="bill_run_exception_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.billing_account_id}: {self.reason}"


class PendingCharge(models.Model):
    """A charge the account's next invoice bills as its own line: late-payment interest on
    an overdue invoice (``source_invoice``) for ``[period_start, period_end)``, or a dunning
    level's fee (``source_key`` names the letter). Written by receivables; the bill run adds a
    line for every open charge of the accounts it bills and links the charge to the invoice
    (:mod:`vool.domain.billing.charges`), so each charge is billed exactly once.

    Open = no invoice yet, or only a draft that was never issued (an abandoned run's): a
    draft deleted when its chunk runs again sets ``invoice`` back to empty. The line is
    ``quantity x unit_price`` rounded half-up = ``amount`` (interest: days x daily amount;
    a fee: 1 x the fee)."""

    class Kind(models.TextChoices):
        LATE_INTEREST = "LATE_INTEREST", _("Late-payment interest")
        DUNNING_FEE = "DUNNING_FEE", _("Dunning fee")

    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="pending_charges",
    )
    kind = models.CharField(_("kind"), max_length=13, choices=Kind.choices)
    source_key = models.CharField(_("source"), max_length=64, unique=True)
    source_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("overdue invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interest_charges",
    )
    component = models.CharField(_("component"), max_length=32)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until (exclusive)"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=3, choices=InvoiceLine.Unit.choices)
    unit_price = models.DecimalField(_("unit price"), max_digits=15, decimal_places=9)
    amount = models.DecimalField(_("amount (excl. VAT)"), max_digits=14, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4, default=0)
    ledger_account = models.CharField(
        _("revenue account"), max_length=16, choices=LedgerAccount.choices
    )
    basis = models.JSONField(_("basis"), default=dict, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("billed on"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charges",
    )
    created_by = models.CharField(_("by"), max_length=150)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("pending charge")
        verbose_name_plural = _("pending charges")
        ordering = ["billing_account", "period_start", "id"]
        indexes = [models.Index(fields=["billing_account", "invoice"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pending_charge_positive"),
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="pending_charge_period",
            ),
            models.CheckConstraint(
                condition=~Q(kind="LATE_INTEREST") | Q(source_invoice__isnull=False),
                name="pending_interest_names_its_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.billing_account_id})"
