"""The batch reads a chunk's document data set-based (``invoice_data.chunk_data``): it must be
exactly what one invoice's data is (``invoice_data`` for the portal, the back office and
``vool invoices pdf``), for a varied set of invoices in one database, read in a constant
number of queries.

October and November 2026 (see billing_factories): five accounts, one per case, in Estonian,
Russian and English: a fixed-price remote point later credited, a remote day/night point,
a manual point billed on an estimate and trued up in November, a credit balance larger than
the bill (nothing due) and a partial one; November carries October's unpaid amounts and a
payment received. And a prosumer's August and September bills (surplus credit, its true-up)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing_factories import (
    add_intervals,
    add_reading,
    day_night_product,
    fixed_product,
    manual_account,
    remote_account,
)
from integration.documents.test_prosumer_documents import corrected_prosumer_invoice
from vool.common.localtime import Month
from vool.domain.billing.models import Invoice
from vool.domain.customers.models import BillingAccount, Customer
from vool.domain.documents import invoice_data, operations
from vool.domain.documents.models import InvoiceDocument, Supplier
from vool.domain.documents.queries import SupplierDetails
from vool.domain.ledger import operations as ledger_operations
from vool.domain.metering.models import Reading
from vool.usecases import bill_run, render_invoices

pytestmark = pytest.mark.django_db

OCTOBER = Month(2026, 10)
NOVEMBER = Month(2026, 11)
CHUNK_QUERIES = 5  # at most: invoices, lines, ledger sums, consumption history, readings


def addressed(account: BillingAccount, language: str) -> BillingAccount:
    Customer.objects.filter(pk=account.customer_id).update(
        street_address="Tartu mnt 1-2",
        postal_code="10115",
        city="Tallinn",
        preferred_language=language,
    )
    return account


def pay(account: BillingAccount, amount: str, day: dt.date) -> None:
    ledger_operations.record_payment(
        billing_account_id=account.pk,
        amount=Decimal(amount),
        received_date=day,
        as_of=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
    )


def two_months_of_five_accounts() -> dict[str, BillingAccount]:
    fixed = fixed_product()
    credited = addressed(remote_account(product=fixed).billing_account, "et")
    day_night = remote_account(product=day_night_product())
    addressed(day_night.billing_account, "ru")
    manual, register = manual_account(product=fixed)
    estimated = addressed(manual.billing_account, "en")
    in_credit = addressed(remote_account(product=fixed).billing_account, "et")
    part_credit = addressed(remote_account(product=fixed).billing_account, "en")
    for account in (credited, day_night.billing_account, in_credit, part_credit):
        point = account.contracts.get().metering_point
        add_intervals(point, OCTOBER, wh=100)
        add_intervals(point, NOVEMBER, wh=80)
    add_reading(register, Month(2026, 9), "1000")
    add_reading(register, OCTOBER, "1200", source=Reading.Source.ESTIMATED)
    pay(in_credit, "100.00", dt.date(2026, 10, 20))
    pay(part_credit, "20.00", dt.date(2026, 10, 20))
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    pay(credited, "30.00", dt.date(2026, 11, 15))
    add_reading(register, NOVEMBER, "1500")
    bill_run.run_billing(period=NOVEMBER, today=dt.date(2026, 12, 4))
    october = Invoice.objects.get(billing_account=credited, period=str(OCTOBER))
    bill_run.credit_invoice(number=october.number, reason="Vale näit", today=dt.date(2026, 12, 10))
    return {"credited": credited, "estimated": estimated, "in_credit": in_credit}


def single_and_chunk(supplier: SupplierDetails) -> tuple[dict[int, Any], dict[int, Any]]:
    ids = list(Invoice.objects.order_by("number").values_list("pk", flat=True))
    single = {
        i: render_invoices.document_data(render_invoices._invoice(i), supplier=supplier)
        for i in ids
    }
    with CaptureQueriesContext(connection) as queries:
        items = invoice_data.chunk_data(ids, supplier=supplier)
    assert len(queries.captured_queries) <= CHUNK_QUERIES  # (no readings: none asked)
    assert [item.invoice.pk for item in items] == ids
    assert all(item.error is None for item in items)
    return single, {item.invoice.pk: item.data for item in items}


def test_a_chunks_data_is_each_invoices_data(supplier: Supplier) -> None:
    accounts = two_months_of_five_accounts()
    details = SupplierDetails.of(supplier)
    single, chunk = single_and_chunk(details)
    assert len(chunk) == 11  # 5 + 5 invoices and a credit note
    for invoice_id, data in single.items():
        assert chunk[invoice_id] == data, invoice_id
    # the cases are there (else the comparison above would prove little)
    shown = list(chunk.values())
    assert {d["language"] for d in shown} == {"et", "ru", "en"}
    assert [d["kind"] for d in shown].count("CREDIT_NOTE") == 1
    of = {
        (Invoice.objects.get(pk=pk).billing_account_id, d["kind"], d["invoice"]["period"]): d
        for pk, d in chunk.items()
    }
    november = of[accounts["credited"].pk, "INVOICE", "2026-11"]
    assert november["amounts"]["payments_received"] == "30.00"
    assert november["amounts"]["balance_carried"] == "42.23"  # October's 72.23 less 30.00
    # October's 298 kWh in November's chart (the credited October is not)
    in_credit = of[accounts["in_credit"].pk, "INVOICE", "2026-11"]
    assert in_credit["consumption"]["months"][-2]["kwh"] == "298.000"
    assert november["consumption"]["months"][-2]["kwh"] == "0"
    assert of[accounts["in_credit"].pk, "INVOICE", "2026-10"]["amounts"]["amount_due"] == "0.00"
    october = of[accounts["estimated"].pk, "INVOICE", "2026-10"]
    assert october["invoice"]["is_estimated"] and october["points"][0]["readings"]
    trued = of[accounts["estimated"].pk, "INVOICE", "2026-11"]
    assert any(line["is_true_up"] for line in trued["points"][0]["lines"])
    assert any(
        p["intervals"] and len(p["intervals"]["by_band"]) == 2 for d in shown for p in d["points"]
    )


def test_a_prosumers_chunk_data_is_each_invoices_data(supplier: Supplier) -> None:
    corrected_prosumer_invoice()
    single, chunk = single_and_chunk(SupplierDetails.of(supplier))
    assert len(chunk) == 2 and chunk == single
    september = max(chunk.values(), key=lambda d: d["invoice"]["period"])
    components = [ln["component"] for p in september["points"] for ln in p["lines"]]
    assert "PRODUCTION" in components


def test_a_chunk_names_an_invoice_without_a_document(supplier: Supplier) -> None:
    contract = remote_account(product=fixed_product())
    add_intervals(contract.metering_point, OCTOBER, wh=100)
    addressed(remote_account(product=fixed_product()).billing_account, "et")
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    ids = list(Invoice.objects.order_by("number").values_list("pk", flat=True))
    items = invoice_data.chunk_data(ids, supplier=SupplierDetails.of(supplier))
    broken = next(
        item for item in items if item.invoice.billing_account_id == contract.billing_account_id
    )
    assert broken.data is None and broken.error is not None
    assert broken.error.field == "customer.street_address"


def test_a_chunks_documents_are_recorded_by_the_rule_of_one(supplier: Supplier) -> None:
    """One insert for the chunk; an invoice recorded meanwhile keeps its document: the same
    PDF again is that document, another one DocumentChanged and nothing recorded for it."""
    for _ in range(3):
        contract = remote_account(product=fixed_product())
        add_intervals(contract.metering_point, OCTOBER, wh=100)
    bill_run.run_billing(period=OCTOBER, today=dt.date(2026, 11, 5))
    same, changed, new = Invoice.objects.order_by("number")
    rendered_at = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)

    def document(invoice: Invoice, sha: str) -> operations.NewDocument:
        path = f"{sha[:2]}/{sha}.pdf"
        return operations.NewDocument(invoice.pk, "et", "invoice.typ", sha, path, 1000)

    for invoice, sha in ((same, "a" * 64), (changed, "b" * 64)):
        InvoiceDocument.objects.create(
            invoice=invoice,
            language="et",
            template="invoice.typ",
            sha256=sha,
            path=f"{sha[:2]}/{sha}.pdf",
            size_bytes=900,
            rendered_at=rendered_at - dt.timedelta(hours=1),
        )
    chunk = [document(same, "a" * 64), document(changed, "c" * 64), document(new, "d" * 64)]
    with CaptureQueriesContext(connection) as queries:
        out = operations.record_documents(chunk, rendered_at=rendered_at)
    assert len(queries.captured_queries) == 2  # the insert, the documents read back
    assert isinstance(out[same.pk], InvoiceDocument) and out[same.pk].size_bytes == 900
    assert isinstance(out[changed.pk], operations.DocumentChanged)
    assert f"Invoice {changed.number}: its PDF was rendered on" in str(out[changed.pk])
    assert isinstance(out[new.pk], InvoiceDocument) and out[new.pk].sha256 == "d" * 64
    recorded = dict(InvoiceDocument.objects.values_list("invoice_id", "sha256"))
    assert recorded == {same.pk: "a" * 64, changed.pk: "b" * 64, new.pk: "d" * 64}
    assert operations.record_documents([], rendered_at=rendered_at) == {}
