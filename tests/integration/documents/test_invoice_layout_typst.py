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
    render_hints,
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


READINGS = [
    {
        "register_text": "päev",
        "start_kwh_text": "12\u00a0345,000",
        "start_estimated": False,
        "end_kwh_text": "12\u00a0702,000",
        "end_estimated": True,
        "end_estimate_method_text": "profiili järgi",
        "kwh_text": "357,000",
    },
    {
        "register_text": "",
        "start_kwh_text": "1\u00a0000,000",
        "start_estimated": True,
        "end_kwh_text": "1\u00a0100,000",
        "end_estimated": False,
        "end_estimate_method_text": "",
        "kwh_text": "100,000",
    },
]


def test_fixed_line_rows_give_the_same_pdf_as_auto_rows():
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["points"][0]["readings"] = READINGS  # a readings table as well
    # a line after the VAT table, which moves if the table's height is not exact
    data["amounts"] |= {"payments_received": "10.00", "payments_received_text": "10,00\u00a0€"}
    hints = render_hints(data)
    assert line_rows_fit(data)
    assert summary_rows_fit(data)
    assert hints["amount_rows_fit"] and hints["vat_rows_fit"] and hints["readings_rows_fit"]
    # (the consumption table's texts fit too, though the estimate does not promise it)
    fixed = render({**data, "render_hints": dict.fromkeys(hints, True)})
    auto = render({**data, "render_hints": dict.fromkeys(hints, False)})
    assert fixed == auto
    assert render(data) == auto  # without hints (a designer's preview): auto rows
    # the amount table's optional rows (levies, balance, credit) change its row heights
    amounts = {**data["amounts"], "levies": "0.00", "balance_carried": "0.00"}
    amounts |= {"credit_applied": "5.00", "credit_applied_text": "5,00\u00a0€"}
    other = {**data, "amounts": amounts}
    fixed = render({**other, "render_hints": dict.fromkeys(hints, True)})
    assert fixed == render({**other, "render_hints": dict.fromkeys(hints, False)})
