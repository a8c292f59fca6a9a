"""Which invoices get page 2's line rows of a fixed height (integrations.pdf.invoice_layout)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from vool.domain.documents import INVOICE_TEMPLATE, TEMPLATES_DIR
from vool.integrations.pdf import invoice_layout
from vool.integrations.pdf.invoice_layout import (
    Cell,
    consumption_rows_fit,
    fits,
    line_rows_fit,
    summary_rows_fit,
    text_width_pt,
)

SAMPLE = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "invoice.json"


def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def test_the_sample_bills_lines_all_fit_one_line():
    assert line_rows_fit(sample())


def test_a_long_component_name_gives_auto_rows():
    data = sample()
    data["points"][0]["lines"][2]["name"] = "Võrgutasu (edastus) päevasel ajal tiheasustusalal"
    assert not line_rows_fit(data)


def test_an_estimated_true_up_is_measured_with_its_labels():
    data = sample()
    line = data["points"][0]["lines"][0]
    assert line_rows_fit(data)
    line.update(
        is_true_up=True, true_up_period_text="01.10.2025\u201331.12.2025", is_estimated=True
    )
    # "Elektrienergia, päev — tasaarveldus 01.10.2025-31.12.2025 (hinnanguline)" is wider than
    # the component column (~47 mm)
    assert not line_rows_fit(data)


def test_other_lines_count_too():
    data = sample()
    extra = copy.deepcopy(data["points"][0]["lines"][0])
    extra["amount_text"] = "-1 234 567 890,12 €"  # wider than the amount column
    data["other_lines"] = [extra]
    assert not line_rows_fit(data)


def test_a_character_of_unknown_width_does_not_fit():
    assert text_width_pt("Ωmega", 10) is None
    assert not fits(Cell("Ωmega", 100.0, 10))
    assert fits(Cell("Omega", 100.0, 10))


def test_the_estimate_adds_widths_at_the_size():
    assert text_width_pt("WW", 10) == 2 * text_width_pt("W", 10)
    assert text_width_pt("W", 20) == 2 * text_width_pt("W", 10)


def test_the_column_widths_are_the_templates():
    template = (TEMPLATES_DIR / INVOICE_TEMPLATE).read_text(encoding="utf-8")
    start = template.index("#let line-table(lines) = table(")
    match = re.search(r"columns: \(1fr, ([^)]*)\)", template[start:])
    assert match is not None
    widths = tuple(int(w.strip().removesuffix("mm")) for w in match[1].split(","))
    assert widths == invoice_layout.LINE_COLUMNS_MM
    assert "margin: (x: 18mm" in template
    assert "inset: (x: 4pt, y: 3pt)" in template
    assert "(auto, 12.58pt)" in template


def test_page_1s_tables_fit_unless_a_text_is_too_long():
    data = sample()
    assert summary_rows_fit(data)
    data["supplier"]["name"] = "Vool Energia AS " * 6  # wider than how-to-pay's value column
    assert not summary_rows_fit(data)
    data = sample()
    data["labels"]["billing_account"] = "Arveldus- ja lepingukonto"  # wider than 32 mm
    assert not summary_rows_fit(data)


def test_bold_figures_are_measured_bold():
    assert text_width_pt("337,59", 10, bold=True) > text_width_pt("337,59", 10)


def test_the_consumption_table_takes_its_figures_and_labels_together():
    data = sample()
    data["labels"]["same_month_last_year"] = "Last year"
    assert consumption_rows_fit(data)
    # the sample's Estonian label and figure together come within 1 % of the 52 mm column:
    # the estimate (3 % and 1 pt on the safe side) keeps auto rows
    assert not consumption_rows_fit(sample())


def test_the_amount_table_fits_unless_a_label_or_the_total_is_too_long():
    assert invoice_layout.amount_rows_fit(sample())
    data = sample()
    data["labels"]["balance_carried"] = "Eelmiste arvete tasumata jääk viivistega " * 2  # > 62 mm
    assert not invoice_layout.amount_rows_fit(data)
    data = sample()
    # 13pt bold: 999 999 999,99 € fits 40 mm, a figure twice as long does not
    data["amounts"]["total_to_pay_text"] = "999\u00a0999\u00a0999,99\u00a0€"
    assert invoice_layout.amount_rows_fit(data)
    data["amounts"]["total_to_pay_text"] = "999\u00a0999\u00a0999\u00a0999\u00a0999,99\u00a0€"
    assert not invoice_layout.amount_rows_fit(data)


def test_the_vat_table_fits_unless_a_text_is_too_long():
    assert invoice_layout.vat_rows_fit(sample())
    data = sample()
    data["labels"]["vat_rate"] = "Käibemaksumäär"  # wider than 22 mm at 8pt
    assert not invoice_layout.vat_rows_fit(data)


def test_readings_fit_unless_an_estimate_method_is_too_long():
    data = sample()
    reading = {
        "register_text": "päev",
        "start_kwh_text": "12\u00a0345,000",
        "start_estimated": False,
        "end_kwh_text": "12\u00a0702,000",
        "end_estimated": True,
        "end_estimate_method_text": "profiili järgi",
        "kwh_text": "357,000",
    }
    data["points"][0]["readings"] = [reading]
    assert invoice_layout.readings_rows_fit(data)
    reading["end_estimate_method_text"] = "eelmise aasta sama perioodi tarbimise järgi"
    assert not invoice_layout.readings_rows_fit(data)
    reading["end_estimate_method_text"] = "\u4e2d"  # a character of unknown width
    assert not invoice_layout.readings_rows_fit(data)


def test_render_hints_names_every_hint_the_template_reads():
    template = (TEMPLATES_DIR / INVOICE_TEMPLATE).read_text(encoding="utf-8")
    read = set(re.findall(r'(?:hint|one-line-rows|sized-rows)\("(\w+)"', template))
    assert read == set(invoice_layout.render_hints(sample()))
