"""Letter PDF rendering: ms per one-page letter, one Typst compiler reused (per core).

Renders a sample "new reference number" letter (the data ``usecases.letters`` builds, with a
three-column table) N times, a different customer each time (Typst memoises identical
inputs). With ``VOOL_BENCH_LETTER_BEFORE=PATH`` (another ``letter.typ``, e.g. an older one
from git) the two templates are run alternately, three times each, for an A/B in one process.
Needs no database.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

DAY = dt.date(2026, 11, 20)


def letter(n: int) -> dict[str, Any]:
    return {
        "language": "et",
        "title": "Teie uus viitenumber",
        "date_text": "20.11.2026",
        "supplier": {
            "name": "Vool Energia OÜ",
            "address_lines": ["Narva mnt 5", "10117 Tallinn"],
            "registry_code": "12345678",
            "vat_number": "EE123456789",
            "phone": "+372 600 0000",
            "email": "info@vool.ee",
            "website": "vool.ee",
        },
        "customer": {"name": f"Mari Maasikas {n}", "address_lines": ["Pikk 1", "10123 Tallinn"]},
        "account_reference": str(1000000 + n),
        "labels": {
            "billing_account": "Arvelduskonto",
            "registry_code": "Registrikood",
            "vat_number": "KMKR",
            "page": "Lehekülg",  # read by older templates only
        },
        "greeting": "Lugupeetud klient,",
        "paragraphs": [
            "Teie arvelduskonto viitenumber muutub. " * 3,
            "Otsekorraldus ja e-arve püsimakse lähevad üle iseenesest.",
        ],
        "table": {
            "header": ["Endine viitenumber", "Uus viitenumber", "Alates"],
            "rows": [[str(900 + n), str(1000000 + n), "01.11.2026"]],
        },
        "after": ["Küsimuste korral võtke meiega ühendust."],
        "closing": "Lugupidamisega,",
        "signature": "Vool Energia OÜ",
    }


def run(full: bool) -> list[str]:
    from vool.domain.documents import TEMPLATES_DIR
    from vool.integrations.pdf.typst_compiler import TypstRenderer

    templates = [("letter.typ", TypstRenderer(TEMPLATES_DIR / "letter.typ"))]
    before = os.environ.get("VOOL_BENCH_LETTER_BEFORE")
    if before:
        templates.insert(0, (f"before: {before}", TypstRenderer(Path(before))))
    count = 1000 if full else 100
    for _, renderer in templates:
        renderer.render(letter(0), created_on=DAY)  # warm up
    lines, serial = [], 0
    for _ in range(3 if before else 1):
        for name, renderer in templates:
            serial += 1
            wall, cpu, size = time.perf_counter(), time.process_time(), 0
            for i in range(count):
                size += len(renderer.render(letter(serial * 10000 + i), created_on=DAY))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            lines.append(
                f"{name}: {count} letters, {wall * 1000 / count:.1f} ms wall, "
                f"CPU {cpu * 1000 / count:.1f} ms, {size / count / 1024:.1f} KB per letter"
            )
    return lines
