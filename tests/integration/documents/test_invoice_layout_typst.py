"""Page 2's fixed-height line rows against Typst itself: the width estimate is never narrower
than the text Typst sets, and a fixed row is exactly the height of an `auto` one."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import typst

from vool.domain.documents import INVOICE_TEMPLATE, TEMPLATES_DIR
from vool.integrations.pdf.glyph_widths import WIDTHS
from vool.integrations.pdf.invoice_layout import (
    SAFETY,
    SLACK_PT,
    line_rows_fit,
    summary_rows_fit,
    text_width_pt,
)
from vool.integrations.pdf.typst_compiler import TypstRenderer

SAMPLE = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "invoice.json"
TEXTS = [
    "Elektrienergia, päev (hinnanguline)",
    "Электроэнергия, ночь — корректировка 01.12.2025\u201331.12.2025 (оценка)",
    "Electricity fed into the grid (credit)",
    "Võrgutasu (edastus) — tasaarveldus 01.10.2025\u201331.12.2025",
    "0,096452 €/кВт·ч",
    "28 Sep 2026\u201330 Sep 2026",
    "-99 999,99 €",
    "WAVE AVA To Ty Yo ffi ffl fi fl LT",
    "Šmidt Õunapuu Žürii Äärmus",
]


def typst_widths(texts: list[str], size_pt: float, bold: bool) -> list[float]:
    weight = "bold" if bold else "regular"
    source = (
        f'#set text(font: "Libertinus Serif", size: {size_pt}pt, number-width: "tabular",'
        f' weight: "{weight}")\n'
        f"#let texts = json(bytes({json.dumps(json.dumps(texts))}))\n"
        "#context [#metadata(texts.map(t => measure(text(t)).width.pt())) <w>]\n"
    )
    compiler = typst.Compiler(source.encode("utf-8"), font_paths=[], ignore_system_fonts=True)
    (widths,) = json.loads(compiler.query("<w>", field="value"))
    return widths


def test_the_estimate_is_never_narrower_than_typsts_text():
    chars = [chr(code) for code in WIDTHS]
    rng = random.Random(11)
    texts = TEXTS + ["".join(rng.choices(chars, k=rng.randint(3, 60))) for _ in range(300)]
    for size, bold in ((10.0, False), (8.5, False), (10.0, True)):
        for text, measured in zip(texts, typst_widths(texts, size, bold), strict=True):
            estimate = text_width_pt(text, size, bold=bold)
            assert estimate is not None
            assert estimate * SAFETY + SLACK_PT >= measured, (text, size, estimate, measured)


def render(data: dict) -> bytes:
    renderer = TypstRenderer(TEMPLATES_DIR / INVOICE_TEMPLATE)
    return renderer.render(data, created_on=dt.date(2026, 2, 5))


def test_fixed_line_rows_give_the_same_pdf_as_auto_rows():
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert line_rows_fit(data)
    assert summary_rows_fit(data)
    names = ("line_rows_fit", "summary_rows_fit", "consumption_rows_fit")
    # (the consumption table's texts fit too, though the estimate does not promise it)
    fixed = render({**data, "render_hints": dict.fromkeys(names, True)})
    auto = render({**data, "render_hints": dict.fromkeys(names, False)})
    assert fixed == auto
    assert render(data) == auto  # without hints (a designer's preview): auto rows
