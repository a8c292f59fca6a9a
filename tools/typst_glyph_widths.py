"""Write ``src/vool/integrations/pdf/glyph_widths.py``: each character's advance width in the
invoice's font, as Typst measures it (``python tools/typst_glyph_widths.py``).

Run it again when the template's font or the ``typst`` wheel changes. The widths are in
thousandths of an em, rounded up, for Libertinus Serif regular and bold with tabular figures (the
invoice's ``set text`` rule). A character whose line is not as tall as a Libertinus line (one the
font lacks, set in a fallback font) is left out: a text with it keeps `auto` rows.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

import typst

OUT = Path(__file__).resolve().parents[1] / "src/vool/integrations/pdf/glyph_widths.py"
RANGES = [(0x21, 0x7E), (0xA1, 0x17F), (0x400, 0x45F)]
EXTRA = "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u20ac\u2116\u00b7\u2212\u2030\u2022"


def characters() -> list[str]:
    chars = [chr(c) for lo, hi in RANGES for c in range(lo, hi + 1)]
    return sorted(set(chars) | set(EXTRA))


def measure(chars: list[str], weight: str) -> dict[str, int]:
    # a space (and a no-break space) between two x: its own width, not trimmed at a line end
    probes = [*chars, "x x", "x\u00a0x", "xx"]
    source = (
        '#set text(font: "Libertinus Serif", size: 1000pt, number-width: "tabular",'
        f' weight: "{weight}")\n'
        f"#let probes = json(bytes({json.dumps(json.dumps(probes))}))\n"
        "#context [#metadata(probes.map(p => measure(text(p)))"
        ".map(s => (s.width.pt(), s.height.pt()))) <w>]\n"
    )
    compiler = typst.Compiler(source.encode("utf-8"), font_paths=[], ignore_system_fonts=True)
    (sizes,) = json.loads(compiler.query("<w>", field="value"))
    *glyphs, (x_space_x, _), (x_nbsp_x, _), (xx, line) = sizes
    # a character set in another font (the font lacks it) may make its line taller than a
    # Libertinus line: left out, so a text with it keeps auto rows
    result = {c: int(-(-w // 1)) for c, (w, h) in zip(chars, glyphs, strict=True) if h == line}
    result[" "] = int(-(-(x_space_x - xx) // 1))
    result["\u00a0"] = int(-(-(x_nbsp_x - xx) // 1))
    return result


def main() -> int:
    chars = characters()
    regular, bold = measure(chars, "regular"), measure(chars, "bold")
    lines = [
        '"""Advance widths of characters in the invoice\'s font (Libertinus Serif regular',
        "and bold, tabular figures), in thousandths of an em, as Typst measures them. Generated",
        'by ``tools/typst_glyph_widths.py``: do not edit."""',
        "",
        "# code point: width",
        "WIDTHS: dict[int, int] = {",
        *(f"    0x{ord(c):04X}: {w},  # {unicodedata.name(c)}" for c, w in sorted(regular.items())),
        "}",
        "",
        "# the same in bold",
        "WIDTHS_BOLD: dict[int, int] = {",
        *(f"    0x{ord(c):04X}: {w}," for c, w in sorted(bold.items())),
        "}",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"{len(regular)} characters written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
