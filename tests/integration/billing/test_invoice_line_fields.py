"""An invoice line's field list has one home (``billing.models.INVOICE_LINE_FIELDS``): the bill
run and the credit notes write every column in that order, the admin shows the line from it."""

from __future__ import annotations

from django.contrib import admin

from vool.domain.billing.models import (
    INVOICE_LINE_FIELDS,
    INVOICE_LINE_SHOWN_FIELDS,
    Invoice,
    InvoiceLine,
)


class TestInvoiceLineFields:
    def test_the_written_fields_are_every_column_but_the_key(self) -> None:
        columns = {f.name for f in InvoiceLine._meta.concrete_fields if not f.primary_key}
        assert set(INVOICE_LINE_FIELDS) == columns
        assert len(INVOICE_LINE_FIELDS) == len(columns)

    def test_the_admin_shows_the_line_from_the_same_list(self) -> None:
        invoice_admin = admin.site._registry[Invoice]
        (inline,) = (i for i in invoice_admin.inlines if i.model is InvoiceLine)
        assert tuple(inline.fields) == INVOICE_LINE_SHOWN_FIELDS
        assert tuple(inline.readonly_fields) == INVOICE_LINE_SHOWN_FIELDS
        assert "invoice" not in INVOICE_LINE_SHOWN_FIELDS
        assert INVOICE_LINE_SHOWN_FIELDS[:3] == ("position", "metering_point", "component")
