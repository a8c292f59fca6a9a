"""Render invoices to PDF: one on demand, or a month's batch after the bill run.

The batch is the invoices of the period that have no document yet, split in chunks; each
chunk is an idempotent unit (an invoice already rendered is skipped), so running the batch
again, or after a crash, renders only what is missing. Chunks run inline or on a pool of
spawned processes (``render_pool``). An invoice that cannot be rendered (no address, no
IBAN, ...) is listed with the reason and the batch goes on.

A PDF is stored content-addressed (``VOOL_DOCUMENTS_DIR``) and recorded once on its invoice;
a later render that gives different bytes is refused (:class:`DocumentChanged`).
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections

from vool.common.localtime import Month
from vool.domain.billing import queries as billing_queries
from vool.domain.documents import INVOICE_TEMPLATE, TEMPLATES_DIR
from vool.domain.documents import operations as document_operations
from vool.domain.documents import queries as document_queries
from vool.domain.documents import storage as document_storage
from vool.domain.documents.invoice_data import InvalidInvoiceDocument, chunk_data, invoice_data
from vool.domain.documents.operations import DocumentChanged, NewDocument
from vool.integrations.einvoice import ubl
from vool.integrations.einvoice.ubl import UnableToBuildUbl
from vool.integrations.pdf.content_store import ContentStore
from vool.integrations.pdf.invoice_layout import render_hints
from vool.integrations.pdf.qr import qr_svg
from vool.integrations.pdf.typst_compiler import TypstRenderer, UnableToRender
from vool.usecases import bill_run, render_pool

if TYPE_CHECKING:  # types only: invoices are read through billing.queries
    from vool.domain.billing.models import Invoice
    from vool.domain.documents.models import InvoiceDocument
    from vool.domain.documents.queries import SupplierDetails

logger = logging.getLogger(__name__)
ProgressCallback = Callable[[str, int, int], None]
DEFAULT_CHUNK_SIZE = 200
RENDER_TASK = "vool.documents.render_chunk"
CELERY_WAIT_SECONDS = 3600.0

__all__ = [
    "DocumentChanged",
    "InvalidInvoiceDocument",
    "RenderReport",
    "UnableToBuildUbl",
    "UnableToRender",
    "invoice_pdf",
    "invoice_ubl",
    "render_invoice",
    "render_period",
]


class NoSuchInvoice(LookupError):
    pass


@cache
def _renderer() -> TypstRenderer:
    """One compiler per process, reused (Typst keeps the template and fonts loaded)."""
    return TypstRenderer(TEMPLATES_DIR / INVOICE_TEMPLATE)


def store() -> ContentStore:
    """The documents' content store: ``VOOL_DOCUMENTS_DIR``, or the configured ``documents``
    storage (an S3-compatible bucket, see ``documents.storage``)."""
    return ContentStore(settings.VOOL_DOCUMENTS_DIR, blobs=document_storage.blobs())


def document_data(invoice: Invoice, *, supplier: SupplierDetails | None = None) -> dict[str, Any]:
    """The invoice's document data (see ``invoice_data``) with ``supplier``, by default the
    supplier configured now."""
    return invoice_data(invoice, supplier=supplier or document_queries.current_supplier())


def pdf_of_data(data: dict[str, Any]) -> bytes:
    """The PDF of an invoice's document data (the EPC QR code drawn from its payload)."""
    payload = data["payment"]["epc_qr_payload"]
    filled = {
        **data,
        "payment": {**data["payment"], "qr_svg": qr_svg(payload) if payload else None},
        # for the layout only (not part of the document data): see invoice_layout
        "render_hints": render_hints(data),
    }
    return _renderer().render(
        filled, created_on=dt.date.fromisoformat(data["invoice"]["issue_date"])
    )


def _invoice(invoice_id: int) -> Invoice:
    return billing_queries.get_invoice(invoice_id=invoice_id)


def render_invoice(
    *, invoice_id: int, as_of: dt.datetime, supplier: SupplierDetails | None = None
) -> InvoiceDocument:
    """Render, store and record an invoice's PDF. Rendered before: the same bytes again are
    a no-op; different bytes raise :class:`DocumentChanged` (and nothing is recorded).
    ``supplier``: the supplier's details read once for a whole chunk (else read here)."""
    invoice = _invoice(invoice_id)
    data = document_data(invoice, supplier=supplier)
    pdf = pdf_of_data(data)
    stored = store().put(pdf)
    return document_operations.record_document(
        invoice_id=invoice.pk,
        language=data["language"],
        template=INVOICE_TEMPLATE,
        sha256=stored.sha256,
        path=stored.relative_path,
        size_bytes=stored.size_bytes,
        rendered_at=as_of,
    )


def invoice_pdf(*, number: int, as_of: dt.datetime) -> bytes:
    """The PDF of invoice ``number``: the stored one, rendered first if there is none."""
    invoice_id = billing_queries.invoice_id(number=number)
    if invoice_id is None:
        raise NoSuchInvoice(f"There is no issued invoice number {number}.")
    document = document_queries.document_of(invoice_id=invoice_id)
    if document is None:
        document = render_invoice(invoice_id=invoice_id, as_of=as_of)
    return store().read(document.path)


# -- the batch --------------------------------------------------------------------------------


@dataclass
class ChunkResult:
    rendered: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (invoice number, why)
    bytes_written: int = 0


@dataclass
class RenderReport:
    period: str
    to_render: int = 0
    rendered: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    bytes_written: int = 0


def invoices_to_render(*, period: Month) -> list[int]:
    """Ids of the period's issued invoices and credit notes without a document yet."""
    return document_queries.invoices_without_document(period=period)


def render_chunk(*, invoice_ids: Sequence[int], as_of: dt.datetime) -> ChunkResult:
    """Render the invoices of ``invoice_ids`` that have no PDF yet (a chunk run twice, e.g.
    a task message delivered again, renders nothing the second time). Set-based: the chunk's
    data is read in a constant number of queries and its documents recorded in one insert
    (a chunk stopped midway records nothing: run again, it renders the same PDFs)."""
    missing = document_queries.without_document(invoice_ids=invoice_ids)
    supplier = document_queries.current_supplier()  # once per chunk, not per invoice
    items = chunk_data([i for i in invoice_ids if i in missing], supplier=supplier)
    why: dict[int, str] = {}
    new: list[NewDocument] = []
    content = store()
    for item in items:
        try:
            if item.error is not None:
                raise item.error
            assert item.data is not None
            stored = content.put(pdf_of_data(item.data))
        except (InvalidInvoiceDocument, UnableToRender) as exc:
            why[item.invoice.pk] = str(exc)
            continue
        new.append(
            NewDocument(
                invoice_id=item.invoice.pk,
                language=item.data["language"],
                template=INVOICE_TEMPLATE,
                sha256=stored.sha256,
                path=stored.relative_path,
                size_bytes=stored.size_bytes,
            )
        )
    recorded = document_operations.record_documents(new, rendered_at=as_of)
    result = ChunkResult()
    for item in items:
        outcome = recorded.get(item.invoice.pk)
        if isinstance(outcome, DocumentChanged):
            why[item.invoice.pk] = str(outcome)
        elif outcome is not None:
            result.rendered += 1
            result.bytes_written += outcome.size_bytes
        if item.invoice.pk in why:
            result.failures.append((item.invoice.number or 0, why[item.invoice.pk]))
    return result


def _run_celery(
    chunks: list[list[int]],
    as_of: dt.datetime,
    broker: str,
    add: Callable[[ChunkResult, int], None],
    wait_seconds: float,
) -> None:
    """Send each chunk to the Celery workers and wait here (never inside a task) for each
    one's outcome through the result backend. A chunk whose worker failed, or that did not
    finish in time, is listed as a failure: running the batch again renders what is missing."""
    from celery import Celery  # only needed when a broker is configured

    from vool.common.task_results import result_backend

    queue = os.environ.get("VOOL_TASK_QUEUE", bill_run.DEFAULT_QUEUE)
    client = Celery("vool-render-client", broker=broker, backend=result_backend(broker))
    sent = [
        (
            client.send_task(
                RENDER_TASK,
                kwargs={"invoice_ids": chunk, "as_of": as_of.isoformat()},
                queue=queue,
            ),
            chunk,
        )
        for chunk in chunks
    ]
    deadline = time.monotonic() + wait_seconds
    for result, chunk in sent:
        try:
            value = result.get(timeout=max(deadline - time.monotonic(), 0.1))
        except Exception as exc:  # the worker's error, or a timeout: the chunk is retried later
            why = f"{type(exc).__name__}: {exc}"[:500]
            add(ChunkResult(failures=[(0, f"a chunk of {len(chunk)} invoices: {why}")]), len(chunk))
            continue
        finally:
            result.forget()
        failures = [(int(number), str(why)) for number, why in value["failures"]]
        add(ChunkResult(value["rendered"], failures, value["bytes_written"]), len(chunk))


def render_period(
    *,
    period: Month,
    as_of: dt.datetime,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: ProgressCallback | None = None,
    broker: str | None = None,
    celery_wait_seconds: float = CELERY_WAIT_SECONDS,
) -> RenderReport:
    """Render every invoice of ``period`` that has no PDF yet (resumable, idempotent).
    Chunks run on Celery workers when a broker is configured (``broker``, default
    ``VOOL_TASK_BROKER``), else on ``workers`` local processes, else here."""
    ids = invoices_to_render(period=period)
    report = RenderReport(period=str(period), to_render=len(ids))
    chunks = [ids[i : i + chunk_size] for i in range(0, len(ids), chunk_size)]
    progress = on_progress or (lambda step, done, total: None)
    done = 0

    def add(result: ChunkResult, size: int) -> None:
        nonlocal done
        report.rendered += result.rendered
        report.failures.extend(result.failures)
        report.bytes_written += result.bytes_written
        done += size
        progress("invoices", done, max(len(ids), 1))

    broker = broker if broker is not None else bill_run.task_broker()
    if broker and chunks:
        _run_celery(chunks, as_of, broker, add, celery_wait_seconds)
        return report
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            add(render_chunk(invoice_ids=chunk, as_of=as_of), len(chunk))
        return report
    database = str(connections["default"].settings_dict["NAME"])
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=render_pool.init_worker,
        initargs=(database, str(settings.VOOL_DOCUMENTS_DIR)),
    ) as pool:
        futures = [
            (pool.submit(render_pool.render_chunk, chunk, as_of), len(chunk)) for chunk in chunks
        ]
        for future, size in futures:
            add(future.result(), size)
    return report


# -- e-invoices -------------------------------------------------------------------------------


def invoice_ubl(*, number: int) -> bytes:
    """The Peppol BIS 3 UBL of business invoice (or credit note) ``number``, from the same
    document data as its PDF."""
    invoice_id = billing_queries.invoice_id(number=number)
    if invoice_id is None:
        raise NoSuchInvoice(f"There is no issued invoice number {number}.")
    return ubl.build_ubl(document_data(_invoice(invoice_id)))
