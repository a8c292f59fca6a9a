from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vool.domain.billing import queries
from vool.domain.billing.models import (
    INVOICE_LINE_SHOWN_FIELDS,
    BillRun,
    BillRunChunk,
    BillRunException,
    Invoice,
    InvoiceIntervalDays,
    InvoiceIntervalTerm,
    InvoiceLine,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Billing documents change only through the billing operations (runs, credit notes)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = INVOICE_LINE_SHOWN_FIELDS
    readonly_fields = INVOICE_LINE_SHOWN_FIELDS  # invoice lines are never edited
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "kind",
        "status",
        "billing_account",
        "period",
        "issue_date",
        "due_date",
        "gross_amount",
        "amount_due",
    ]
    list_filter = ["kind", "status", "period"]
    search_fields = ["=number", "billing_account__reference_number"]
    raw_id_fields = ["billing_account", "run", "credited_invoice"]
    inlines = [InvoiceLineInline]


class BillRunExceptionInline(admin.TabularInline):
    model = BillRunException
    extra = 0
    fields = ["billing_account", "code", "reason"]
    readonly_fields = ["billing_account", "code", "reason"]
    can_delete = False
    max_num = 0


@admin.register(BillRun)
class BillRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "period",
        "status",
        "account_count",
        "invoice_count",
        "exception_count",
        "gross_amount",
        "started_by",
        "forced",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status", "forced"]
    readonly_fields = ["exceptions_in_words", "estimation_in_words"]
    inlines = [BillRunExceptionInline]

    @admin.display(description=_("exceptions by reason"))
    def exceptions_in_words(self, run: BillRun) -> SafeString:
        rows = queries.exceptions_by_code(run=run)
        if not rows:
            return format_html("{}", gettext("none"))
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} <code>{}</code></li>",
                ((row.count, row.description, row.code) for row in rows),
            ),
        )

    @admin.display(description=_("estimated readings"))
    def estimation_in_words(self, run: BillRun) -> SafeString:
        report = queries.estimation_report(run=run)
        if report is None:
            return format_html("{}", gettext("no estimation step"))
        summary = gettext("%(estimated)s of %(registers)s registers estimated") % {
            "estimated": report.estimated,
            "registers": report.registers,
        }
        error = (
            format_html("<p>{}: {}</p>", gettext("The estimation step failed"), report.error)
            if report.error
            else ""
        )
        failures = format_html_join(
            "",
            "<li>{} {}: {}</li>",
            ((f.metering_point, f.register, f.reason) for f in report.failures),
        )
        return format_html(
            "<p>{}</p>{}{}",
            summary,
            error,
            format_html("<p>{}</p><ul>{}</ul>", gettext("Could not be estimated:"), failures)
            if report.failures
            else "",
        )


@admin.register(BillRunChunk)
class BillRunChunkAdmin(ReadOnlyAdmin):
    list_display = ["run", "index", "state", "attempts", "invoice_count", "exception_count"]
    list_filter = ["state"]


@admin.register(InvoiceIntervalDays)
class InvoiceIntervalDaysAdmin(ReadOnlyAdmin):
    """Which interval data version of each day an invoice billed (read-only: written by the
    bill run, kept as the invoice's record)."""

    list_display = ["invoice", "metering_point", "first_day", "days_billed"]
    list_select_related = ["invoice", "metering_point"]
    search_fields = ["=invoice__number", "metering_point__eic"]
    raw_id_fields = ["invoice", "metering_point"]
    date_hierarchy = "first_day"

    @admin.display(description=_("days billed"))
    def days_billed(self, row: InvoiceIntervalDays) -> int:
        return sum(1 for version in row.versions if version)


@admin.register(InvoiceIntervalTerm)
class InvoiceIntervalTermAdmin(ReadOnlyAdmin):
    """The signed interval data versions of the true-ups an invoice billed (read-only)."""

    list_display = ["invoice", "metering_point", "day", "sign", "interval_day"]
    list_select_related = ["invoice", "metering_point", "interval_day"]
    list_filter = ["sign"]
    search_fields = ["=invoice__number", "metering_point__eic"]
    raw_id_fields = ["invoice", "metering_point", "interval_day"]
    date_hierarchy = "day"
