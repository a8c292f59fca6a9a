"""Reading rendered bills in tests: the text of each PDF page (pdftotext), the QR codes on a
page (pdftoppm + zxing-cpp) and PNGs of the pages kept for a person to look at."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

ARTEFACTS = Path(__file__).resolve().parents[1] / "var" / "test-artefacts" / "invoices"


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The text of each page as ``pdftotext`` reads it, in reading order (a table cell that
    wraps onto two lines stays together)."""
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")


def qr_codes(pdf: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    """The QR codes on a page, decoded with zxing-cpp from a 200 dpi greyscale scan."""
    import zxingcpp

    path = tmp_path / "qr.pdf"
    path.write_bytes(pdf)
    stem = tmp_path / "scan"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "200", "-f", str(page), "-l", str(page), str(path), str(stem)],
        check=True,
    )
    (pgm,) = tmp_path.glob("scan*.pgm")
    data = pgm.read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header is not None
    width, height = int(header[1]), int(header[2])
    image = np.frombuffer(data[header.end() : header.end() + width * height], dtype=np.uint8)
    found = zxingcpp.read_barcodes(image.reshape(height, width))
    return [code.text for code in found]


def keep_pngs(pdf: bytes, name: str) -> None:
    """Both pages as PNGs in var/test-artefacts/invoices/ for a person to look at."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(path), str(ARTEFACTS / name)], check=True)


_SAXON: dict[str, Any] = {}


def schematron_failures(xml: bytes, xslt: Path) -> list[str]:
    """The failed asserts (not warnings) of a compiled Schematron (XSLT 2.0, run offline
    with Saxon HE from ``saxonche``): ``"BR-CO-15: ..."``."""
    from saxonche import PySaxonProcessor

    if "processor" not in _SAXON:
        _SAXON["processor"] = PySaxonProcessor(license=False)
    processor = _SAXON["processor"]
    if str(xslt) not in _SAXON:
        _SAXON[str(xslt)] = processor.new_xslt30_processor().compile_stylesheet(
            stylesheet_file=str(xslt)
        )
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    svrl = _SAXON[str(xslt)].transform_to_string(xdm_node=document)
    from lxml import etree

    report = etree.fromstring(svrl.encode("utf-8"))
    ns = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
    return [
        f"{fail.get('id')}: {' '.join(fail.findtext('svrl:text', '', ns).split())}"
        for fail in report.iterfind(".//svrl:failed-assert", ns)
        if fail.get("flag") != "warning"
    ]
