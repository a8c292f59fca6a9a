"""Invoice PDF rendering: ms and KB per two-page invoice, one compiler reused (per core).

Renders the sample document data in ``data/invoice.json`` (a day/night customer's January
bill as ``documents.invoice_data`` builds it, with the EPC QR code) N times in this process:
the Typst compilation and the QR drawing, not the database reads that build the data.
Needs no database.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from vool.usecases import render_invoices

    data = json.loads((HERE / "data" / "invoice.json").read_text(encoding="utf-8"))
    count = 2000 if full else 200
    render_invoices.pdf_of_data(data)  # warm up: fonts and template loaded once
    started, cpu = time.perf_counter(), time.process_time()
    size = 0
    for i in range(count):
        data["invoice"]["number"] = str(100000 + i)
        size += len(render_invoices.pdf_of_data(data))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return [
        f"{count} invoices in {seconds:.2f} s: {seconds * 1000 / count:.1f} ms per invoice "
        f"(CPU {cpu * 1000 / count:.1f} ms; the compiler may use more than one thread), "
        f"{size / count / 1024:.1f} KB per invoice"
    ]
