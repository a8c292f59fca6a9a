"""Whether every line of an invoice's line tables fits one line of its cells (``invoice.typ``).

Page 2's line tables are most of an invoice's layout work, because Typst lays every row of
`auto` height out twice: once to measure its height, once to place it. A row whose texts all
fit their columns on one line has a known height, so when every line of the invoice fits, the
renderer tells the template (``render_hints.line_rows_fit``) to give the rows that height: the
same PDF, byte for byte, without the measuring pass. A bill with a text that might wrap (a long
component name, a character whose width is not known) keeps `auto` rows.

The widths are estimated from the font's advance widths (``glyph_widths``, measured by Typst),
3 % and 1 pt on the safe side: kerning and ligatures only narrow Libertinus Serif's text a
little, so an estimate that fits is a text that fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from vool.integrations.pdf.glyph_widths import WIDTHS, WIDTHS_BOLD

PT_PER_MM = 72 / 25.4
SAFETY = 1.03
SLACK_PT = 1.0
# invoice.typ: A4 less 2 x 18 mm margins; the line table's fixed columns and its cell inset
TEXT_WIDTH_MM = 210 - 2 * 18
LINE_COLUMNS_MM = (33, 20, 12, 27, 11, 21)
CELL_INSET_X_PT = 4.0
BODY_SIZE_PT = 10.0
PERIOD_SIZE_PT = 8.5


class Cell(NamedTuple):
    text: str
    width_pt: float
    size_pt: float
    bold: bool = False


def text_width_pt(text: str, size_pt: float, *, bold: bool = False) -> float | None:
    """The estimated width of ``text`` on one line; None with a character not in the table."""
    widths = WIDTHS_BOLD if bold else WIDTHS
    total = 0
    for char in text:
        width = widths.get(ord(char))
        if width is None:
            return None
        total += width
    return total * size_pt / 1000


def _estimate(cell: Cell) -> float | None:
    width = text_width_pt(cell.text, cell.size_pt, bold=cell.bold)
    return None if width is None else width * SAFETY + SLACK_PT


def fits(cell: Cell) -> bool:
    width = _estimate(cell)
    return width is not None and width <= cell.width_pt


def _column_widths_pt() -> tuple[float, ...]:
    first = TEXT_WIDTH_MM - sum(LINE_COLUMNS_MM)
    return tuple(mm * PT_PER_MM - 2 * CELL_INSET_X_PT for mm in (first, *LINE_COLUMNS_MM))


def _name_text(line: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """The first cell as ``invoice.typ`` writes it."""
    text = line["name"]
    if line["band_text"]:
        text += f", {line['band_text']}"
    if line["is_true_up"]:
        text += f" \u2014 {labels['true_up']} {line['true_up_period_text']}"
    if line["is_estimated"]:
        text += f" ({labels['estimated']})"
    return text


def _cells(line: Mapping[str, Any], labels: Mapping[str, str]) -> Iterable[Cell]:
    widths = _column_widths_pt()
    texts = (
        _name_text(line, labels),
        line["period_text"],
        line["quantity_text"],
        line["unit_text"],
        line["unit_price_text"],
        line["vat_rate_text"],
        line["amount_text"],
    )
    for index, (text, width) in enumerate(zip(texts, widths, strict=True)):
        yield Cell(str(text), width, PERIOD_SIZE_PT if index == 1 else BODY_SIZE_PT)


def line_rows_fit(data: Mapping[str, Any]) -> bool:
    """Whether every line of every line table of the invoice fits one line in each cell."""
    lines = [line for point in data["points"] for line in point["lines"]]
    lines += data["other_lines"]
    labels = data["labels"]
    return all(fits(cell) for line in lines for cell in _cells(line, labels))


# page 1's label/value tables (no cell inset across, 8pt between the columns of two of them)
CUSTOMER_COLUMN_MM = (TEXT_WIDTH_MM - 10) / 2
INVOICE_LABEL_MM = 32
CONSUMPTION_COLUMN_MM = TEXT_WIDTH_MM - 114 - 8
PAYMENT_COLUMN_MM = TEXT_WIDTH_MM - 36 - 8
PAYMENT_LABEL_MM = 28
COLUMN_GUTTER_PT = 8.0


def _label_value_cells(
    rows: Iterable[tuple[str, str, bool]], label_mm: float, total_mm: float
) -> Iterable[Cell]:
    value_pt = (total_mm - label_mm) * PT_PER_MM - COLUMN_GUTTER_PT
    for label, value, bold in rows:
        yield Cell(label, label_mm * PT_PER_MM, BODY_SIZE_PT)
        yield Cell(value, value_pt, BODY_SIZE_PT, bold)


def consumption_rows_fit(data: Mapping[str, Any]) -> bool:
    """Whether page 1's consumption table's texts fit one line: an `auto` column of figures
    and the labels in what is left."""
    labels, consumption = data["labels"], data["consumption"]
    figures = [Cell(consumption["kwh_text"], 0, BODY_SIZE_PT, bold=True)]
    figures.append(Cell(consumption["last_year_kwh_text"] or "\u2013", 0, BODY_SIZE_PT))
    names = [Cell(labels[key], 0, BODY_SIZE_PT) for key in ("this_period", "same_month_last_year")]
    widths = [_estimate(cell) for cell in figures + names]
    if any(width is None for width in widths):
        return False
    figure = max(w for w in widths[:2] if w is not None)
    name = max(w for w in widths[2:] if w is not None)
    return figure + name <= CONSUMPTION_COLUMN_MM * PT_PER_MM


def summary_rows_fit(data: Mapping[str, Any]) -> bool:
    """Whether every text of page 1's invoice box and how-to-pay tables fits one line of its
    cell."""
    labels, invoice, payment = data["labels"], data["invoice"], data["payment"]
    box = [
        (labels["billing_account"], data["account"]["reference_number"], False),
        (labels["issue_date"], invoice["issue_date_text"], False),
        (labels["due_date"], invoice["due_date_text"], True),
        (labels["period"], invoice["period_text"], False),
    ]
    pay = [
        (labels["recipient"], data["supplier"]["name"], False),
        (labels["iban"], payment["iban"], False),
        (labels["reference_number"], payment["reference_number"], True),
        (labels["amount"], payment["amount_text"], True),
        (labels["due_date"], payment["due_date_text"], False),
    ]
    cells = [
        *_label_value_cells(box, INVOICE_LABEL_MM, CUSTOMER_COLUMN_MM),
        *_label_value_cells(pay, PAYMENT_LABEL_MM, PAYMENT_COLUMN_MM),
    ]
    return all(fits(Cell(str(c.text), *c[1:])) for c in cells)


# page 1's amount table: its own block of 102 mm, the figures' column 40 mm, no cell inset
AMOUNT_TABLE_MM = TEXT_WIDTH_MM - 62 - 10
AMOUNT_FIGURE_MM = 40
LEVIES_SIZE_PT = 9.0
LEVIES_INDENT_PT = 8.0
TOTAL_SIZE_PT = 13.0


def amount_rows_fit(data: Mapping[str, Any]) -> bool:
    """Whether every text of page 1's amount table fits one line of its cell (the levies a
    smaller, indented line; the total to pay bold, its figure larger)."""
    labels, amounts = data["labels"], data["amounts"]
    label_pt = (AMOUNT_TABLE_MM - AMOUNT_FIGURE_MM) * PT_PER_MM
    figure_pt = AMOUNT_FIGURE_MM * PT_PER_MM
    rows = [("net_total", amounts["net_text"]), ("vat", amounts["vat_text"])]
    rows.append(("invoice_total", amounts["gross_text"]))
    rows.append(("balance_carried", amounts["balance_carried_text"]))
    rows.append(("credit_applied", "-" + amounts["credit_applied_text"]))
    cells = [Cell(labels[key], label_pt, BODY_SIZE_PT) for key, _ in rows]
    cells += [Cell(value, figure_pt, BODY_SIZE_PT) for _, value in rows]
    cells.append(Cell(labels["levies"], label_pt - LEVIES_INDENT_PT, LEVIES_SIZE_PT))
    cells.append(Cell(amounts["levies_text"], figure_pt, LEVIES_SIZE_PT))
    cells.append(Cell(labels["total_to_pay"], label_pt, BODY_SIZE_PT, bold=True))
    cells.append(Cell(amounts["total_to_pay_text"], figure_pt, TOTAL_SIZE_PT, bold=True))
    return all(fits(cell) for cell in cells)


# page 2's VAT table (columns 22 mm, what is left, 40 mm, 40 mm) and readings tables (22 mm,
# two halves of what is left, 30 mm); both with the cell inset 4pt across, headers at 8pt
HEADER_SIZE_PT = 8.0


def _inner_pt(mm: float) -> float:
    return mm * PT_PER_MM - 2 * CELL_INSET_X_PT


def vat_rows_fit(data: Mapping[str, Any]) -> bool:
    """Whether every text of page 2's VAT table fits one line of its cell."""
    labels, amounts = data["labels"], data["amounts"]
    rate, label, figure = _inner_pt(22), _inner_pt(TEXT_WIDTH_MM - 22 - 80), _inner_pt(40)
    cells = [
        Cell(labels["vat_rate"], rate, HEADER_SIZE_PT),
        Cell(labels["taxable"], figure, HEADER_SIZE_PT),
        Cell(labels["vat"], figure, HEADER_SIZE_PT),
        Cell(labels["net_total"], label, BODY_SIZE_PT),
        Cell(labels["vat"], label, BODY_SIZE_PT),
        Cell(labels["gross_total"], label, BODY_SIZE_PT, bold=True),
        Cell(amounts["net_text"], figure, BODY_SIZE_PT),
        Cell(amounts["vat_text"], figure, BODY_SIZE_PT),
        Cell(amounts["gross_text"], figure, BODY_SIZE_PT, bold=True),
    ]
    for vat in data["vat"]:
        cells.append(Cell(vat["rate_text"], rate, BODY_SIZE_PT))
        cells += [Cell(vat[key], figure, BODY_SIZE_PT) for key in ("base_text", "vat_text")]
    return all(fits(cell) for cell in cells)


def _reading_cells(reading: Mapping[str, Any], labels: Mapping[str, str]) -> Iterable[Cell]:
    """A readings row's cells as ``invoice.typ`` writes them."""
    kwh, half = labels["kwh"], _inner_pt((TEXT_WIDTH_MM - 52) / 2)
    start = f"{reading['start_kwh_text']} {kwh}"
    if reading["start_estimated"]:
        start += f" ({labels['estimated']})"
    method = reading["end_estimate_method_text"] if reading["end_estimated"] else labels["actual"]
    yield Cell(reading["register_text"] or "\u2013", _inner_pt(22), BODY_SIZE_PT)
    yield Cell(start, half, BODY_SIZE_PT)
    yield Cell(f"{reading['end_kwh_text']} {kwh} ({method})", half, BODY_SIZE_PT)
    yield Cell(f"{reading['kwh_text']} {kwh}", _inner_pt(30), BODY_SIZE_PT)


def readings_rows_fit(data: Mapping[str, Any]) -> bool:
    """Whether every text of every readings table of page 2 fits one line of its cell."""
    labels = data["labels"]
    keys = ("register", "start", "end", "quantity")
    widths = (_inner_pt(22), *[_inner_pt((TEXT_WIDTH_MM - 52) / 2)] * 2, _inner_pt(30))
    cells = [Cell(labels[k], w, HEADER_SIZE_PT) for k, w in zip(keys, widths, strict=True)]
    for point in data["points"]:
        for reading in point["readings"]:
            cells += _reading_cells(reading, labels)
    return all(fits(Cell(str(cell.text), *cell[1:])) for cell in cells)


def render_hints(data: Mapping[str, Any]) -> dict[str, bool]:
    """The layout hints ``invoice.typ`` reads (``render_hints``): for each group of tables,
    whether all its texts fit one line, so that its rows can have a one-line row's height."""
    return {
        "line_rows_fit": line_rows_fit(data),
        "summary_rows_fit": summary_rows_fit(data),
        "consumption_rows_fit": consumption_rows_fit(data),
        "amount_rows_fit": amount_rows_fit(data),
        "vat_rows_fit": vat_rows_fit(data),
        "readings_rows_fit": readings_rows_fit(data),
    }
