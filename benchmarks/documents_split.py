"""Where an invoice render's time goes (issue 11): the parts of ``render_invoices``' path,
each measured alone on the sample (``data/invoice.json``), a new invoice number each time.

``python benchmarks/documents_split.py PART [COUNT]`` runs one part COUNT times (after one
warm-up call) and prints its CPU ms per invoice. The parts:
- ``qr``: the EPC QR code's SVG (segno + numpy, ``integrations.pdf.qr``);
- ``hints``: the layout hints (``integrations.pdf.invoice_layout``);
- ``json``: the data serialised as the renderer writes it;
- ``typst``: Typst alone (compile = layout + PDF export), the QR drawn beforehand;
- ``store``: SHA-256 and the content store's write of the PDF (a temporary directory);
- ``all``: ``render_invoices.pdf_of_data`` (QR + hints + Typst) and the store.

Instruction counts (deterministic, unlike CPU time on a shared machine): run a part under
``valgrind --tool=callgrind`` with COUNT 1 and COUNT 5; (I5 - I1) / 4 is one invoice.
The data building from the database (``invoice_data``) is measured by the test
``tests/integration/documents/test_invoice_pdf.py`` fixtures, not here (it needs a database).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def main() -> None:
    part = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vool.config.settings")
    import django

    django.setup()
    from vool.domain.documents import INVOICE_TEMPLATE, TEMPLATES_DIR
    from vool.integrations.pdf import invoice_layout
    from vool.integrations.pdf.content_store import ContentStore
    from vool.integrations.pdf.qr import qr_svg
    from vool.integrations.pdf.typst_compiler import TypstRenderer
    from vool.usecases import render_invoices

    def hints(data: dict[str, Any]) -> dict[str, bool]:
        """The render hints (as main before h52 gave them, to measure it on PYTHONPATH)."""
        if hasattr(invoice_layout, "render_hints"):
            return invoice_layout.render_hints(data)
        names = ("line_rows_fit", "summary_rows_fit", "consumption_rows_fit")
        return {name: getattr(invoice_layout, name)(data) for name in names}

    data: dict[str, Any] = json.loads((HERE / "data" / "invoice.json").read_text("utf-8"))
    payload = data["payment"]["epc_qr_payload"]
    day = dt.date(2026, 1, 31)
    renderer = TypstRenderer(TEMPLATES_DIR / INVOICE_TEMPLATE)
    store = ContentStore(Path(tempfile.mkdtemp(prefix="vool-split-")))
    filled = {
        **data,
        "payment": {**data["payment"], "qr_svg": qr_svg(payload)},
        "render_hints": hints(data),
    }
    pdf = renderer.render(filled, created_on=day)

    def one(i: int) -> None:
        number = str(100000 + i)
        if part == "qr":
            qr_svg(payload)  # nothing cached: the same payload costs the same
        elif part == "hints":
            hints(data)
        elif part == "json":
            filled["invoice"] = {**filled["invoice"], "number": number}
            json.dumps(filled, ensure_ascii=False, sort_keys=True).encode("utf-8")
        elif part == "typst":
            filled["invoice"] = {**filled["invoice"], "number": number}
            renderer.render(filled, created_on=day)
        elif part == "store":
            store.put(pdf + number.encode())
        elif part == "all":
            data["invoice"]["number"] = number
            store.put(render_invoices.pdf_of_data(data))
        else:
            raise SystemExit(f"unknown part {part}")

    one(-1)  # warm up
    cpu = time.process_time()
    for i in range(count):
        one(i)
    cpu = time.process_time() - cpu
    print(f"{part}: {count} x, {cpu * 1000 / count:.3f} ms CPU per invoice")


if __name__ == "__main__":
    main()
