"""Many invoices per Typst call, then split into per-invoice PDFs: what it would save, and
whether the split PDFs are byte-identical on re-render (content addressing needs that).

The batch template is made from ``invoice.typ`` here (its body wrapped in a function, called
once per invoice, the page counter reset for each), so it stays the same template. Each
invoice is two pages; the batch PDF is split with pypdf into two-page PDFs. Determinism: an
invoice is rendered in two different batches (other neighbours) and its two split PDFs are
compared. Needs no database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def batch_template(source: str) -> str:
    body = [
        line
        for line in source.splitlines()
        if not line.startswith(("#let d = json", "#set document"))
    ]
    return (
        "#let docs = json(bytes(sys.inputs.data))\n#let render-invoice(d) = [\n"
        + "\n".join(body)
        + "\n]\n#for (i, d) in docs.enumerate() { if i > 0 { pagebreak() }; "
        "counter(page).update(1); render-invoice(d) }\n"
    )


def run(full: bool) -> list[str]:
    import django

    django.setup()
    from pypdf import PdfReader, PdfWriter

    from vool.domain.documents import INVOICE_TEMPLATE, TEMPLATES_DIR
    from vool.integrations.pdf.qr import qr_svg
    from vool.integrations.pdf.typst_compiler import TypstRenderer

    data = json.loads((HERE / "data" / "invoice.json").read_text(encoding="utf-8"))
    folder = Path(tempfile.mkdtemp(prefix="vool-batch-"))
    (folder / "batch.typ").write_text(
        batch_template((TEMPLATES_DIR / INVOICE_TEMPLATE).read_text(encoding="utf-8")),
        encoding="utf-8",
    )
    renderer = TypstRenderer(folder / "batch.typ")
    day = dt.date(2026, 1, 31)

    def invoice(number: int, name: str = "") -> dict[str, Any]:
        one = json.loads(json.dumps(data))
        one["invoice"]["number"] = str(number)
        one["customer"]["name"] = name or one["customer"]["name"]
        one["payment"]["qr_svg"] = qr_svg(one["payment"]["epc_qr_payload"] + str(number))
        return one

    def split(pdf: bytes) -> list[bytes]:
        reader = PdfReader(io.BytesIO(pdf))
        parts = []
        for first in range(0, len(reader.pages), 2):
            writer = PdfWriter()
            writer.add_page(reader.pages[first])
            writer.add_page(reader.pages[first + 1])
            writer._ID = None  # no random file identifier
            out = io.BytesIO()
            writer.write(out)
            parts.append(out.getvalue())
        return parts

    lines = []
    count = 200 if full else 100
    renderer.render([invoice(1)], created_on=day)  # warm up
    for per_call in (1, 10, 50):
        docs = [invoice(200000 + per_call * 1000 + i) for i in range(count)]
        cpu = time.process_time()
        size = 0
        for start in range(0, count, per_call):
            pdf = renderer.render(docs[start : start + per_call], created_on=day)
            size += sum(len(p) for p in split(pdf))
        cpu = time.process_time() - cpu
        lines.append(
            f"{per_call} invoices per call, split: CPU {cpu * 1000 / count:.1f} ms "
            f"(Typst + split), {size / count / 1024:.1f} KB per invoice"
        )
    a = split(renderer.render([invoice(7), invoice(8, "Mari Tamm")], created_on=day))[0]
    b = split(renderer.render([invoice(7), invoice(9, "Жанна Щукина")], created_on=day))[0]
    lines.append(
        "the same invoice split from two batches with other neighbours: "
        + ("byte-identical" if a == b else f"DIFFERENT bytes ({len(a)} vs {len(b)})")
    )
    return lines
