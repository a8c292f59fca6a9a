"""A/B of whole invoice templates (issue 11): Typst CPU per invoice, compiled alternately, with
the data exactly as ``render_invoices.pdf_of_data`` gives it (the QR drawn, the render hints).

``python benchmarks/template_ab.py ROUNDS PER_ROUND TEMPLATE [TEMPLATE ...]`` compiles the
sample (``data/invoice.json``) with each template file in turn, PER_ROUND compilations a
template a round, all in one process (one compiler per template), a new invoice number each
compilation, and prints CPU ms per invoice (median of the rounds) and the PDF size. With
``PER_ROUND`` 0 it compiles each template once and writes ``<template>.pdf`` beside it.

For instruction counts run it under ``valgrind --tool=callgrind`` with ROUNDS 1 and PER_ROUND
1 and 5 on one template: (I5 - I1) / 4 is one compilation.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vool.config.settings")
    import django

    django.setup()
    from typst_variants import alternated_cpu

    from vool.integrations.pdf import invoice_layout
    from vool.integrations.pdf.qr import qr_svg
    from vool.integrations.pdf.typst_compiler import TypstRenderer

    rounds, per_round = int(sys.argv[1]), int(sys.argv[2])
    templates = [Path(p).resolve() for p in sys.argv[3:]]
    data = json.loads((HERE / "data" / "invoice.json").read_text(encoding="utf-8"))
    payload = data["payment"]["epc_qr_payload"]
    data["payment"]["qr_svg"] = qr_svg(payload)
    data["render_hints"] = invoice_layout.render_hints(data)
    day = dt.date(2026, 1, 31)
    renderers = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, template in enumerate(templates):
            # each renderer needs the template named invoice.typ-like in its own folder
            folder = Path(tmp) / str(i)
            folder.mkdir()
            shutil.copy(template, folder / "invoice.typ")
            renderers[template] = TypstRenderer(folder / "invoice.typ")
        serial = 0

        def compile_one(template: Path) -> bytes:
            nonlocal serial
            serial += 1
            data["invoice"]["number"] = str(100000 + serial)
            return renderers[template].render(data, created_on=day)

        size = {}
        for template in templates:  # warm up
            data["invoice"]["number"] = "4"
            pdf = renderers[template].render(data, created_on=day)
            size[template] = len(pdf)
            if per_round == 0:
                template.with_suffix(".pdf").write_bytes(pdf)
        if per_round == 0:
            return 0
        cpu = alternated_cpu(templates, rounds, per_round, compile_one)
    print(f"load average {os.getloadavg()}; {rounds} rounds x {per_round} compiles a template")
    ref = statistics.median(cpu[templates[0]])
    for template in templates:
        med = statistics.median(cpu[template])
        print(
            f"{template.name:28} median {med:5.2f} ms ({(med / ref - 1) * 100:+5.1f} %) "
            f"{size[template] / 1024:5.1f} KB  rounds: "
            + " ".join(f"{c:5.1f}" for c in cpu[template])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
