"""The customers' ledger: append-only double entry.

A :class:`LedgerTransaction` is one business event on one billing account (an invoice issued,
a credit note, a payment received); its :class:`Posting` rows move amounts between ledger
accounts and always sum to zero. The receivable balance of a billing account is the sum of
its ``RECEIVABLE`` postings: positive = the customer owes, negative = a credit balance.
A payment that no billing account holds yet is on the ledger too: a transaction without a
billing account moves it between ``CASH`` and ``SUSPENSE`` (received into suspense, refunded
or returned from it); allocating it moves it from ``SUSPENSE`` to the customer's
``RECEIVABLE``. A posting belongs to its transaction's billing account (or to none), so the
postings of each billing account, and those of none, sum to zero.
Nothing is ever updated or deleted: a correction is a new transaction (e.g. a credit note).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vool.domain.customers.models import BillingAccount


class LedgerAccount(models.TextChoices):
    RECEIVABLE = "RECEIVABLE", _("Receivable from customers")
    REVENUE_ENERGY = "REVENUE_ENERGY", _("Revenue: energy")
    REVENUE_NETWORK = "REVENUE_NETWORK", _("Revenue: network fees (pass-through)")
    REVENUE_LEVIES = "REVENUE_LEVIES", _("Revenue: levies and excise (pass-through)")
    REVENUE_FEES = "REVENUE_FEES", _("Revenue: monthly fees")
    VAT_PAYABLE = "VAT_PAYABLE", _("VAT payable")
    CASH = "CASH", _("Cash at bank")
    SUSPENSE = "SUSPENSE", _("Payments in suspense (not yet allocated)")
    REVENUE_INTEREST = "REVENUE_INTEREST", _("Revenue: late-payment interest")
    REVENUE_DUNNING = "REVENUE_DUNNING", _("Revenue: dunning fees")
    OPENING_BALANCES = "OPENING_BALANCES", _("Opening balances taken over (migration)")
    PRODUCTION_COST = "PRODUCTION_COST", _("Purchases: surplus energy bought from prosumers")


#: Ledger accounts that may be posted without a billing account: money at the bank that no
#: customer's account holds yet (a payment in suspense, its refund or return).
RETAILER_ACCOUNTS = (LedgerAccount.CASH, LedgerAccount.SUSPENSE)


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "INVOICE", _("Invoice")
        CREDIT_NOTE = "CREDIT_NOTE", _("Credit note")
        PAYMENT = "PAYMENT", _("Payment")
        REFUND = "REFUND", _("Refund")
        ADJUSTMENT = "ADJUSTMENT", _("Adjustment")
        OPENING_BALANCE = "OPENING_BALANCE", _("Opening balance")

    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="ledger_transactions",
        null=True,
        blank=True,
        help_text=_("Empty for money no customer's account holds yet (suspense)."),
        db_index=False,  # the index (billing_account, posted_date) serves it
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    document_type = models.CharField(
        _("source document type"), max_length=32, help_text=_("e.g. billing.Invoice")
    )
    document_id = models.BigIntegerField(_("source document id"))
    reference = models.CharField(_("reference"), max_length=64, blank=True, default="")
    posted_date = models.DateField(_("posted on"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        indexes = [models.Index(fields=["billing_account", "posted_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_id", "kind"],
                name="ledger_one_transaction_per_document",
                violation_error_message=_("This document is already posted."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference or self.document_id} ({self.posted_date})"


class Posting(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="postings",
        null=True,
        blank=True,
        db_index=False,  # the index (billing_account, account) serves it
    )
    account = models.CharField(_("ledger account"), max_length=16, choices=LedgerAccount.choices)
    amount = models.DecimalField(_("amount (EUR, debit +)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        indexes = [models.Index(fields=["billing_account", "account"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_non_zero"),
            models.CheckConstraint(
                condition=Q(billing_account__isnull=False)
                | Q(account__in=[a.value for a in RETAILER_ACCOUNTS]),
                name="posting_without_account_is_cash_or_suspense",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount}"
