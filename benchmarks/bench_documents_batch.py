"""Many invoices per Typst call, then split into per-invoice PDFs that do not depend on their
neighbours (the experiment in ``batch_split.py``), against today's one compilation per invoice.

Variants, run alternately (twice each) in this one process on fresh invoice numbers (Typst
memoises identical inputs), the EPC QR codes drawn beforehand (the same cost in every variant):
- A: today's path, ``invoice.typ`` compiled once per invoice;
- B: the palette template, 25 invoices per compilation, Typst only (no split): the ceiling;
- C: the same, split with pikepdf into one tagged PDF per invoice (what a batch would store);
- D: the palette template, one invoice per compilation, split (what a single render would be).
Then Typst alone for 1, 10 and 50 invoices per compilation, and the checks: the same invoice
alone and in two batches with other neighbours (another language, a Cyrillic name) gives the
same bytes; a batch with a character outside the palette is rendered one by one; pdftotext of
a split PDF against today's. Needs pikepdf (not a project dependency:
``.tools/bin/uv pip install pikepdf``) and no database.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PER_CALL = 25


def run(full: bool) -> list[str]:
    import django

    django.setup()
    try:
        import batch_split
    except ImportError as exc:
        return [f"skipped: {exc} (.tools/bin/uv pip install pikepdf)"]

    from vool.domain.documents import INVOICE_TEMPLATE, TEMPLATES_DIR
    from vool.integrations.pdf.qr import qr_svg
    from vool.integrations.pdf.typst_compiler import TypstRenderer

    data = json.loads((HERE / "data" / "invoice.json").read_text(encoding="utf-8"))
    folder = Path(tempfile.mkdtemp(prefix="vool-batch-"))
    source = (TEMPLATES_DIR / INVOICE_TEMPLATE).read_text(encoding="utf-8")
    (folder / "batch.typ").write_text(batch_split.palette_template(source), encoding="utf-8")
    today = TypstRenderer(TEMPLATES_DIR / INVOICE_TEMPLATE)
    batch = batch_split.BatchRenderer(folder / "batch.typ")
    day = dt.date(2026, 1, 31)

    def invoice(number: int, name: str = "", language: str = "et") -> dict[str, Any]:
        one = json.loads(json.dumps(data))
        one["invoice"]["number"] = str(number)
        one["customer"]["name"] = name or one["customer"]["name"]
        one["language"] = language
        one["payment"]["qr_svg"] = qr_svg(one["payment"]["epc_qr_payload"] + str(number))
        return one

    def info(one: dict[str, Any]) -> batch_split.DocumentInfo:
        title = f"{one['title']} {one['invoice']['number']}"
        return batch_split.DocumentInfo(title, one["supplier"]["name"], one["language"], day)

    def pdfs(documents: Sequence[dict[str, Any]]) -> list[bytes]:
        out = batch.render_many(documents, [info(d) for d in documents])
        return [p for p in out if isinstance(p, bytes)]

    count = 100 if full else 50
    first = iter(range(300000, 10**9, 1000))
    today.render(invoice(1), created_on=day)  # warm up: fonts, templates, the palette
    batch.palette_fonts()

    def measure(name: str, per_call: int, render: Callable[[list[dict[str, Any]]], int]) -> str:
        start = next(first)
        documents = [invoice(start + i) for i in range(count)]
        wall, cpu, size = time.perf_counter(), time.process_time(), 0
        for i in range(0, count, per_call):
            size += render(documents[i : i + per_call])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        return (
            f"{name}: {wall * 1000 / count:.1f} ms wall, CPU {cpu * 1000 / count:.1f} ms, "
            f"{size / count / 1024:.1f} KB per invoice"
        )

    variants: list[tuple[str, int, Callable[[list[dict[str, Any]]], int]]] = [
        ("A today, 1 per compile", 1, lambda ds: len(today.render(ds[0], created_on=day))),
        (
            f"B palette, {PER_CALL} per compile, Typst only",
            PER_CALL,
            lambda ds: len(batch.typst.render(ds, created_on=day)),
        ),
        (
            f"C palette, {PER_CALL} per compile + split",
            PER_CALL,
            lambda ds: sum(map(len, pdfs(ds))),
        ),
        ("D palette, 1 per compile + split", 1, lambda ds: sum(map(len, pdfs(ds)))),
    ]
    lines = [f"{count} invoices a variant, {PER_CALL} per batch, alternating:"]
    for _ in range(2):
        lines.extend(measure(*variant) for variant in variants)
    for per_call in (1, 10, 50):
        lines.append(
            measure(
                f"palette template, Typst only, {per_call} per compile",
                per_call,
                lambda ds: len(batch.typst.render(ds, created_on=day)),
            )
        )
    lines.extend(_checks(batch, today, invoice, info, pdfs, day))
    return lines


def _checks(batch: Any, today: Any, invoice: Any, info: Any, pdfs: Any, day: dt.date) -> list[str]:
    x = invoice(7)
    alone = batch.render_one(x, info(x))
    in_one = pdfs([invoice(8, "Mari Tamm"), x])[1]
    in_other = pdfs([invoice(9, "Жанна Щукина", "ru"), invoice(10, "Zoë Kask", "en"), x])[2]
    same = alone == in_one == in_other
    before = batch.fallbacks
    odd = pdfs([invoice(11, "Ωmega OÜ"), invoice(12)])
    lines = [
        "the same invoice alone and in two batches with other neighbours: "
        + (
            "byte-identical"
            if same
            else f"DIFFERENT ({len(alone)}, {len(in_one)}, {len(in_other)})"
        ),
        f"a batch with a character outside the palette (Ω): rendered one by one "
        f"{batch.fallbacks - before} time(s), {len(odd)} PDFs",
    ]
    if shutil.which("pdftotext"):
        texts = [_text(pdf) for pdf in (today.render(x, created_on=day), alone)]
        lines.append(
            "pdftotext of the split PDF against today's: "
            + ("the same" if texts[0] == texts[1] else "DIFFERENT")
        )
    return lines


def _text(pdf: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")
