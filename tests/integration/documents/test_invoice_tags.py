"""The invoice PDF's structure tree (tagged PDF, for screen readers), read with poppler's
``pdfinfo -struct-text``: each group of text on page 1 is its own paragraph, in reading order,
the key-value tables are tables, and page 2's line tables have their column headers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from vool.usecases import render_invoices

SAMPLE = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "invoice.json"


def structure(tmp_path: Path) -> list[tuple[int, str, bool]]:
    """(depth, element name or text, whether it is a text) for each line of the tree,
    attributes left out."""
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(render_invoices.pdf_of_data(data))
    out = subprocess.run(
        ["pdfinfo", "-struct-text", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    tree = []
    for line in out.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("/"):
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        if stripped.startswith('"'):
            tree.append((depth, stripped.strip('"'), True))
        else:
            tree.append((depth, stripped.split(" ")[0].rstrip(":"), False))
    return tree


def children_of_document(tree: list[tuple[int, str, bool]]) -> list[tuple[str, list[str]]]:
    """The document's top-level elements, each with the texts under it in order."""
    assert tree[0] == (0, "Document", False)
    top: list[tuple[str, list[str]]] = []
    for depth, item, is_text in tree[1:]:
        if depth == 1:
            top.append((item, []))
        elif is_text:
            top[-1][1].append(item)
    return top


def test_page_one_groups_are_paragraphs_in_reading_order(tmp_path) -> None:
    top = children_of_document(structure(tmp_path))
    assert top[0] == ("P", ["Vool Energia AS"])
    assert top[1][0] == "P" and top[1][1][:2] == ["Narva mnt 5", "10117 Tallinn"]
    assert top[2] == ("P", ["Klient", "Jüri Õunapuu-Šmidt", "Tartu mnt 1-2", "10115 Tallinn"])
    assert top[3] == ("P", ["Arve 4"])
    assert top[4][0] == "Table" and top[4][1][:2] == ["Lepingukonto", "9000001"]
    assert top[5] == ("P", ["Tarbimine"])
    titles = [texts[0] for element, texts in top if element == "P" and texts]
    # the section titles are paragraphs of their own, in the order of the page
    sections = ["Tarbimine", "Tasumisele kuuluv summa", "Kuidas maksta"]
    assert [t for t in titles if t in sections] == sections
    amount_table = next(t for element, t in top if element == "Table" and "Tasuda kokku" in t)
    assert amount_table[-2:] == ["Tasuda kokku", "337,59\u00a0€"]  # a no-break space


def test_line_tables_keep_their_column_headers(tmp_path) -> None:
    tree = structure(tmp_path)
    elements = [item for _, item, is_text in tree if not is_text]
    assert "THead" in elements
    headers = [i for i, item in enumerate(elements) if item == "TH"]
    assert len(headers) >= 7
