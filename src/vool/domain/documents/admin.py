from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from vool.domain.documents import delivery, storage
from vool.domain.documents.models import (
    Delivery,
    EInvoiceChannel,
    InvoiceDocument,
    Letter,
    SentEmail,
    Supplier,
)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "registry_code", "iban", "is_active", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "registry_code", "vat_number", "is_active"]}),
        (_("Address"), {"fields": ["street_address", "postal_code", "city", "country"]}),
        (_("Bank"), {"fields": ["iban", "bic", "bank_name"]}),
        (_("Contacts"), {"fields": ["email", "phone", "website"]}),
    ]


class StoredPdfAdmin(admin.ModelAdmin):
    """Read-only records of a stored PDF (``path`` in the documents store), each with a
    download link (``pdf_url_name``) served from the store."""

    pdf_url_name = ""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def pdf_filename(self, record: Any) -> str:
        raise NotImplementedError

    @admin.display(description=_("PDF"))
    def download(self, record: Any) -> str:
        url = reverse(f"admin:{self.pdf_url_name}", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self) -> list[URLPattern]:
        pdf = path(
            "<int:record_id>/pdf/",
            self.admin_site.admin_view(self.pdf_view),
            name=self.pdf_url_name,
        )
        return [pdf, *super().get_urls()]

    def pdf_view(self, request: HttpRequest, record_id: int) -> FileResponse:
        record = self.get_queryset(request).filter(pk=record_id).first()
        if record is None or not self.has_view_permission(request, record):
            raise Http404
        try:
            file = storage.open_document(record.path)
        except FileNotFoundError:
            raise Http404(
                f"The PDF file {record.path} is missing from the documents store."
            ) from None
        return FileResponse(
            file, content_type="application/pdf", filename=self.pdf_filename(record)
        )


@admin.register(InvoiceDocument)
class InvoiceDocumentAdmin(StoredPdfAdmin):
    """Rendered PDFs: read-only (a PDF never changes), each downloadable."""

    list_display = ["invoice", "language", "size_bytes", "rendered_at", "download"]
    list_filter = ["language", "invoice__period"]
    search_fields = ["=invoice__number", "invoice__billing_account__reference_number"]
    readonly_fields = [
        "invoice",
        "language",
        "template",
        "sha256",
        "path",
        "size_bytes",
        "rendered_at",
        "download",
    ]
    list_select_related = ["invoice"]

    pdf_url_name = "documents_invoicedocument_pdf"

    def pdf_filename(self, document: InvoiceDocument) -> str:
        return f"invoice-{document.invoice.number}.pdf"


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Deliveries by channel; filter by status "Failed" for the ones to look at. Read-only:
    the only change is "Retry now" (a failed delivery becomes due for the next run)."""

    list_display = [
        "invoice",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "destination",
        "last_error",
    ]
    list_filter = ["status", "channel", "invoice__period"]
    search_fields = ["=invoice__number", "invoice__billing_account__reference_number"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    list_select_related = ["invoice"]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retry now"), permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = delivery.retry_now(
            delivery_ids=list(queryset.values_list("pk", flat=True)), at=timezone.now()
        )
        self.message_user(request, f"{count}", messages.SUCCESS)


@admin.register(EInvoiceChannel)
class EInvoiceChannelAdmin(admin.ModelAdmin):
    """The payer's bank and IBAN of an e-invoice (e-arve) billing account."""

    list_display = ["billing_account", "bank_bic", "payer_iban", "updated_at"]
    search_fields = ["billing_account__reference_number", "payer_iban"]
    raw_id_fields = ["billing_account"]


@admin.register(Letter)
class LetterAdmin(StoredPdfAdmin):
    """Personal letters (``vool letters send``): by kind and campaign, each PDF downloadable;
    filter by status "Failed" for the ones to look at. Read-only but for "Retry now"."""

    list_display = [
        "billing_account",
        "kind",
        "campaign",
        "language",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "destination",
        "last_error",
        "download",
    ]
    list_filter = ["status", "kind", "campaign", "channel", "language"]
    search_fields = ["billing_account__reference_number", "billing_account__customer__name"]
    readonly_fields = [*(f.name for f in Letter._meta.fields), "download"]
    list_select_related = ["billing_account__customer"]
    actions = ["retry_now"]

    pdf_url_name = "documents_letter_pdf"

    def pdf_filename(self, letter: Letter) -> str:
        return f"{letter.kind}-{letter.billing_account.reference_number}.pdf"

    @admin.action(description=_("Retry now"), permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Letter]) -> None:
        count = delivery.retry_now(
            delivery_ids=list(queryset.values_list("pk", flat=True)),
            at=timezone.now(),
            model=Letter,
        )
        self.message_user(request, f"{count}", messages.SUCCESS)


@admin.register(SentEmail)
class SentEmailAdmin(admin.ModelAdmin):
    """The confirmation e-mails sent to customers (moves, package changes); filter by status
    "Failed" for the ones that did not go. Read-only: a record of what happened."""

    list_display = ["sent_at", "customer", "kind", "subject", "recipient", "language", "status"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["customer__name", "recipient", "billing_account__reference_number"]
    readonly_fields = [f.name for f in SentEmail._meta.fields]
    list_select_related = ["customer"]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
