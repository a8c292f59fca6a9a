"""Receivables in the admin: the retailer's bank accounts (editable), imported files,
payments with their allocations, and bank debits (read-only: they change only through
``receivables.operations``, which record who and why). Two actions on a payment in suspense
(until the back office has its own page): allocate or split it onto billing accounts, and
refund it to the payer; each asks for the reason and records the user."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vool.domain.billing.models import PendingCharge
from vool.domain.customers.models import BillingAccount
from vool.domain.receivables import operations, queries
from vool.domain.receivables.models import (
    Allocation,
    BankAccount,
    BankDebit,
    DirectDebitItem,
    DirectDebitMandate,
    DisconnectionRequest,
    DunningHold,
    DunningLetter,
    DunningLevel,
    DunningRun,
    Payment,
    StatementFile,
    StatutoryInterestRate,
)


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ["iban", "name", "is_active"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AllocationInline(admin.TabularInline):
    model = Allocation
    extra = 0
    fields = ("kind", "billing_account", "amount", "refund_iban", "created_by", "reason")
    readonly_fields = ("kind", "billing_account", "amount", "refund_iban", "created_by", "reason")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StatementFile)
class StatementFileAdmin(ReadOnlyAdmin):
    list_display = ["imported_at", "message", "statement_id", "bank_account", "entry_count"]
    list_filter = ["message"]


class SuspenseForm(forms.Form):
    parts = forms.CharField(
        label=gettext_lazy("Billing accounts and amounts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One line per account: reference number and amount."),
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount to refund"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Empty: everything in suspense."),
    )
    iban = forms.CharField(label=gettext_lazy("Refund to IBAN"), required=False, max_length=34)
    reason = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2}))


def _parts(text: str) -> list[operations.Part]:
    parts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        reference, _sep, amount = line.strip().replace("=", " ").partition(" ")
        account = BillingAccount.objects.filter(reference_number=reference.strip()).first()
        try:
            value = Decimal(amount.strip().replace(",", "."))
        except InvalidOperation:
            value = None
        if account is None or value is None:
            raise operations.UnableToAllocate(
                _("%(line)s: give a billing account's reference number and an amount.")
                % {"line": line.strip()}
            )
        parts.append(operations.Part(account.pk, value))
    return parts


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["booking_date", "amount", "payer_name", "reference", "status", "entry_key"]
    list_filter = ["status", "booking_date"]
    search_fields = ["entry_key", "reference", "payer_name", "payer_iban", "text"]
    inlines = [AllocationInline]
    actions = ["allocate_or_split", "refund_to_payer"]

    def _suspense_action(
        self, request: HttpRequest, queryset: QuerySet[Payment], refund: bool
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select one payment."), messages.WARNING)
            return None
        payment = queryset.get()
        left = queries.unallocated_amount(payment=payment)
        if left <= 0:
            self.message_user(request, _("This payment has nothing in suspense."), messages.WARNING)
            return None
        suggestions = queries.suggestions_for(payment=payment)
        if "apply" in request.POST:
            form = SuspenseForm(request.POST)
            if form.is_valid() and self._apply(request, payment, form.cleaned_data, refund):
                return None
        else:
            first = suggestions[0].reference_number if suggestions else ""
            form = SuspenseForm(initial={"parts": f"{first} {left}".strip()})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund a payment") if refund else _("Allocate a payment"),
            "payment": payment,
            "unallocated": left,
            "suggestions": suggestions,
            "form": form,
            "refund": refund,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/receivables/payment/suspense_action.html", context)

    def _apply(
        self, request: HttpRequest, payment: Payment, data: dict[str, Any], refund: bool
    ) -> bool:
        user = request.user.get_username()
        try:
            if refund:
                operations.refund_from_suspense(
                    payment_id=payment.pk,
                    amount=data["amount"],
                    iban=data["iban"],
                    by=user,
                    reason=data["reason"],
                    as_of=timezone.now(),
                )
            else:
                operations.allocate_from_suspense(
                    payment_id=payment.pk,
                    parts=_parts(data["parts"]),
                    by=user,
                    reason=data["reason"],
                    as_of=timezone.now(),
                    rule=settings.VOOL_PAYMENT_ALLOCATION_RULE,
                )
        except operations.UnableToAllocate as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(request, _("Done; the payment's allocations show what was recorded."))
        return True

    @admin.action(description=gettext_lazy("Allocate or split the payment in suspense"))
    def allocate_or_split(
        self, request: HttpRequest, queryset: QuerySet[Payment]
    ) -> HttpResponse | None:
        return self._suspense_action(request, queryset, refund=False)

    @admin.action(description=gettext_lazy("Refund the payment in suspense to the payer"))
    def refund_to_payer(
        self, request: HttpRequest, queryset: QuerySet[Payment]
    ) -> HttpResponse | None:
        return self._suspense_action(request, queryset, refund=True)


@admin.register(BankDebit)
class BankDebitAdmin(ReadOnlyAdmin):
    list_display = ["booking_date", "amount", "kind", "counterparty_name", "payment", "entry_key"]
    list_filter = ["kind"]


# --- dunning -----------------------------------------------------------------------------


@admin.register(DunningLevel)
class DunningLevelAdmin(admin.ModelAdmin):
    """Dated data: a change is a new version (end the old one with *valid to*)."""

    list_display = [
        "level",
        "days_after_due",
        "disconnection_after_days",
        "fee_amount",
        "minimum_amount",
        "valid_from",
        "valid_to",
        "verified",
    ]
    list_filter = ["level", "verified"]


@admin.register(DunningHold)
class DunningHoldAdmin(admin.ModelAdmin):
    list_display = ["kind", "billing_account", "invoice", "valid_from", "valid_to", "created_by"]
    list_filter = ["kind"]
    raw_id_fields = ["billing_account", "invoice"]
    fields = ["kind", "billing_account", "invoice", "reason", "valid_from", "valid_to"]

    @staticmethod
    def _held_by_open_request(hold: Any) -> bool:
        """A bill dispute's hold (``cases.Case.dunning_hold``, the reverse ``case``) while the
        request is open: it ends when the request is resolved, so here it is only shown."""
        case = getattr(hold, "case", None) if hold is not None else None
        return case is not None and case.status != "RESOLVED"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._held_by_open_request(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._held_by_open_request(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.created_by = request.user.get_username()
        if not change:
            obj.created_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(DunningRun)
class DunningRunAdmin(ReadOnlyAdmin):
    list_display = ["run_date", "letter_count", "request_count", "created_by", "created_at"]


@admin.register(DunningLetter)
class DunningLetterAdmin(ReadOnlyAdmin):
    """The letters, until the documents issue sends them."""

    list_display = [
        "run",
        "billing_account",
        "invoice",
        "level",
        "open_amount",
        "fee_amount",
        "disconnection_date",
    ]
    list_filter = ["level", "run__run_date"]
    search_fields = ["billing_account__reference_number"]


@admin.register(DisconnectionRequest)
class DisconnectionRequestAdmin(ReadOnlyAdmin):
    list_display = ["run", "billing_account", "open_amount", "status", "sent_at", "note"]
    list_filter = ["status"]
    search_fields = ["billing_account__reference_number", "note"]


@admin.register(StatutoryInterestRate)
class StatutoryInterestRateAdmin(admin.ModelAdmin):
    """Dated data: the ECB main refinancing rate of each half-year (+ 8 %); rows not yet
    checked against Eesti Pank's publication are unverified."""

    list_display = [
        "valid_from",
        "valid_to",
        "ecb_rate_percent",
        "margin_percent",
        "verified",
        "source",
    ]
    list_filter = ["verified"]


@admin.register(PendingCharge)
class PendingChargeAdmin(ReadOnlyAdmin):
    """Late-payment interest and dunning fees waiting for (or billed on) the next invoice."""

    list_display = [
        "billing_account",
        "kind",
        "period_start",
        "period_end",
        "quantity",
        "unit_price",
        "amount",
        "invoice",
    ]
    list_filter = ["kind"]
    raw_id_fields = ["billing_account", "source_invoice", "invoice"]


@admin.register(DirectDebitMandate)
class DirectDebitMandateAdmin(admin.ModelAdmin):
    """A customer's SEPA mandate; a revoked one is ended with *revoked on*, not deleted."""

    list_display = ["mandate_id", "billing_account", "signed_date", "debtor_name", "revoked_date"]
    raw_id_fields = ["billing_account"]
    search_fields = ["mandate_id", "billing_account__reference_number", "debtor_iban"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DirectDebitItem)
class DirectDebitItemAdmin(ReadOnlyAdmin):
    list_display = [
        "end_to_end_id",
        "invoice",
        "amount",
        "sequence_type",
        "status",
        "return_reason",
    ]
    list_filter = ["status", "collection__collection_date"]
