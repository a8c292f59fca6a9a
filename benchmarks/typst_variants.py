"""A/B of invoice-template variants (issue 11): Typst CPU per invoice, compiled alternately.

``python benchmarks/typst_variants.py [ROUNDS] [PER_ROUND] [NAME ...]`` compiles the sample
invoice (``data/invoice.json``, the EPC QR drawn once beforehand, so only Typst is measured)
with each variant of ``invoice.typ`` in turn, PER_ROUND compilations a variant a round, ROUNDS
rounds, all in one process (one compiler per variant). Each compilation gets a different
invoice number (Typst memoises identical inputs). Prints CPU ms per invoice (the process's
CPU time: the compiler's threads included) per round and the median, and the PDF size.

A variant is a base template with some text replaced (``VARIANTS``); a replacement that does
not match is an error, so a variant cannot silently measure the unchanged template. The base is
``invoice.typ`` as it is in the tree, or the file named by ``VOOL_BENCH_INVOICE_BASE`` (e.g. the
template before a change: ``git show REV:src/vool/domain/documents/typst/invoice.typ``); the
variant ``base`` is the base unchanged and ``tree`` is always the tree's template, so a change
can be measured against the template before it in one process.
"""

# ruff: noqa: E501 (the Typst snippets must match the template's lines exactly)

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typst

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent / "src" / "vool" / "domain" / "documents" / "typst" / "invoice.typ"

# name -> list of (old, new) replacements applied to the template text
SET_TEXT = '#set text(font: "Libertinus Serif", size: 10pt, fill: ink, lang: d.language, number-width: "tabular")'
SET_PAR = "#set par(leading: 0.55em)"
PAGE1 = "// -- page 1: the summary"
PAGE2 = "// -- page 2: the detail"
LAST = '#if a.payments_received != "0.00" [ #L.payments_received: #a.payments_received_text ]'
CHART_BARS = """    for (i, m) in months.enumerate() {
      let h = calc.max(height / 1mm * float(m.kwh) / top, 0.3) * 1mm
      place(bottom + left, dx: i * (w + gutter), rect(
        width: w, height: h, fill: if m.current { accent } else { rule }, stroke: none,
      ))
    }"""
CHART_CURVE = """    let bars(current) = months.enumerate().filter(((i, m)) => m.current == current).map(((i, m)) => {
      let h = calc.max(height / 1mm * float(m.kwh) / top, 0.3) * 1mm
      let x = i * (w + gutter)
      (curve.move((x, height)), curve.line((x, height - h)), curve.line((x + w, height - h)),
       curve.line((x + w, height)), curve.close())
    }).flatten()
    place(curve(fill: rule, stroke: none, ..bars(false)))
    place(curve(fill: accent, stroke: none, ..bars(true)))"""
LINE_TABLE = "#let line-table(lines) = table("
DATA_FILE = '#let d = json("data.json")'
HINT_FN = '#let hint(name) = d.at("render_hints", default: (:)).at(name, default: false)'

PAGE1_STACKS = [
    (
        """#grid(
  columns: (1fr, auto),
  align: (left + top, right + top),
  text(size: 18pt, weight: "bold", fill: accent, d.supplier.name),""",
        """#stack(dir: ltr,
  text(size: 18pt, weight: "bold", fill: accent, d.supplier.name), 1fr,
  align(right,""",
    ),
    (
        """    #if d.supplier.website != "" [ \\ #d.supplier.website ]
  ],
)""",
        """    #if d.supplier.website != "" [ \\ #d.supplier.website ]
  ]),
)""",
    ),
    (
        """#grid(
  columns: (1fr, 1fr),
  gutter: 10mm,
  [
    #text(size: 8pt, fill: muted, L.customer)""",
        """#stack(dir: ltr,
  block(width: 82mm)[
    #text(size: 8pt, fill: muted, L.customer)""",
    ),
    (
        """    #d.customer.address_lines.join(linebreak())
  ],
  [""",
        """    #d.customer.address_lines.join(linebreak())
  ], 10mm,
  block(width: 82mm)[""",
    ),
    (
        """  grid(
    columns: (1fr, chart-width),
    gutter: 8mm,
    table(""",
        """  stack(dir: ltr,
    block(width: 52mm, table(""",
    ),
    (
        """[#d.consumption.last_year_kwh_text]),
    ),
    [#text""",
        """[#d.consumption.last_year_kwh_text]),
    )), 8mm,
    block(width: chart-width)[#text""",
    ),
    (
        """#grid(
  columns: (1fr, 62mm),
  gutter: 10mm,
  table(""",
        """#block(width: 102mm,
  table(""",
    ),
    (
        """    ..money-row(L.total_to_pay, text(size: 13pt, a.total_to_pay_text), strong: true),
  ),
  [],
)""",
        """    ..money-row(L.total_to_pay, text(size: 13pt, a.total_to_pay_text), strong: true),
  ),
)""",
    ),
    (
        """#grid(
  columns: (1fr, 36mm),
  gutter: 8mm,
  [
    #if d.account.automatic [""",
        """#stack(dir: ltr,
  block(width: 130mm)[
    #if d.account.automatic [""",
    ),
    (
        """      L.due_date, p.due_date_text,
    )
  ],
  if "qr_svg" """,
        """      L.due_date, p.due_date_text,
    )
  ], 8mm,
  block(width: 36mm, if "qr_svg" """,
    ),
    (
        """      #text(size: 7pt, fill: muted, L.scan_to_pay)
    ]
  },
)""",
        """      #text(size: 7pt, fill: muted, L.scan_to_pay)
    ]
  }),
)""",
    ),
]
VARIANTS: dict[str, list[tuple[str, str]]] = {
    "base": [],
    "no-hyphenate": [(SET_TEXT, SET_TEXT[:-1] + ", hyphenate: false)")],
    "simple-breaks": [(SET_PAR, '#set par(leading: 0.55em, justify: false, linebreaks: "simple")')],
    "no-kerning": [(SET_TEXT, SET_TEXT[:-1] + ", kerning: false)")],
    "no-ligatures": [(SET_TEXT, SET_TEXT[:-1] + ", ligatures: false)")],
    "text-all-off": [
        (SET_TEXT, SET_TEXT[:-1] + ", hyphenate: false, kerning: false, ligatures: false)"),
        (SET_PAR, '#set par(leading: 0.55em, justify: false, linebreaks: "simple")'),
    ],
    # partial templates: where the time goes
    "page1-only": [(PAGE2, "#{ none }\n/*"), (LAST, "*/")],
    "page2-only": [(PAGE1, "/*"), ("#pagebreak()", "*/ #let a = d.amounts")],
    "empty": [(PAGE1, "#[x]\n/*"), (LAST, LAST + "*/")],
    "no-line-tables": [(LINE_TABLE, "#let line-table(lines) = []\n#let unused(lines) = table(")],
    "no-tags": [],  # the current template compiled with pdf_tags=False
    # the data as Typst's sys.inputs (as before h45) instead of the file data.json
    "sys-inputs": [(DATA_FILE, "#let d = json(bytes(sys.inputs.data))")],
    "no-qr": [
        ('#image(bytes(p.qr_svg), format: "svg", width: 34mm)', "#box(width: 34mm, height: 34mm)")
    ],
    "no-chart": [("#chart(d.consumption.months)]", "#box(width: chart-width, height: 36mm)]")],
    "no-pay-table": [
        ("L.recipient, d.supplier.name,\n", ""),
        ("L.iban, p.iban,\n", ""),
        ('L.reference_number, text(weight: "bold", p.reference_number),\n', ""),
        ('L.amount, text(weight: "bold", p.amount_text),\n', ""),
        ("L.due_date, p.due_date_text,\n", ""),
    ],
    "no-chart-labels": [
        (
            "place(center, dx: i * (w + gutter) + (w - width) / 2, text(size: 6.5pt, fill: muted, m.label))",
            "none",
        )
    ],
    # candidate changes
    "chart-curve": [(CHART_BARS, CHART_CURVE)],
    "line-fixed-cols": [
        (
            "columns: (1fr, auto, auto, auto, auto, auto, auto),",
            "columns: (1fr, 30mm, 18mm, 12mm, 26mm, 11mm, 20mm),",
        ),
    ],
    "line-fixed-plain-period": [
        (
            "columns: (1fr, auto, auto, auto, auto, auto, auto),",
            "columns: (1fr, 30mm, 18mm, 12mm, 26mm, 11mm, 20mm),",
        ),
        ("    text(size: 8.5pt, l.period_text),\n", "    l.period_text,\n"),
    ],
    "p1-col-align": [
        (
            """      column-gutter: 8pt,
      L.billing_account, align(right, d.account.reference_number),
      L.issue_date, align(right, d.invoice.issue_date_text),
      L.due_date, align(right, text(weight: "bold", d.invoice.due_date_text)),
      L.period, align(right, d.invoice.period_text),""",
            """      column-gutter: 8pt,
      align: (left, right),
      L.billing_account, d.account.reference_number,
      L.issue_date, d.invoice.issue_date_text,
      L.due_date, text(weight: "bold", d.invoice.due_date_text),
      L.period, d.invoice.period_text,""",
        ),
        (
            """      L.this_period, align(right, text(weight: "bold", d.consumption.kwh_text)),
      L.same_month_last_year, align(right, if""",
            """      align: (left, right),
      L.this_period, text(weight: "bold", d.consumption.kwh_text),
      L.same_month_last_year, (if""",
        ),
        (
            """  let w = if strong { "bold" } else { "regular" }
  (text(weight: w, label), align(right, text(weight: w, value)))""",
            """  if strong { (text(weight: "bold", label), text(weight: "bold", value)) } else { (label, value) }""",
        ),
        ("    columns: (1fr, 40mm),\n", "    columns: (1fr, 40mm),\n    align: (left, right),\n"),
    ],
    "line-fixed-rows": [
        (
            "columns: (1fr, auto, auto, auto, auto, auto, auto),",
            "columns: (1fr, auto, auto, auto, auto, auto, auto),\n  rows: (auto, 1.5em),",
        ),
    ],
    # h45: the tables' rows of a one-line row's height, as rendered when the renderer's
    # render_hints say the texts fit (the sample data has no hints): page 2's line rows only;
    # as the sample is rendered (all but the consumption table); every table
    "rows-fixed": [(HINT_FN, '#let hint(name) = name == "line_rows_fit"')],
    "hinted": [(HINT_FN, '#let hint(name) = name != "consumption_rows_fit"')],
    "hinted-all": [(HINT_FN, "#let hint(name) = true")],
    # h45: page 1's side-by-side grids as stacks of fixed-width blocks (a grid's auto rows
    # lay their cells out twice, and the tables inside them twice again). Landed (with a
    # `par` per text group) by h52: these and the line-fixed-* variants apply to an older
    # base only (VOOL_BENCH_INVOICE_BASE=... a template before h52 / h37).
    "page1-stacks": PAGE1_STACKS,
    "page1-stacks-rows-fixed": [],  # filled below
    "line-no-header": [("  table.header(\n    ..(L.component", "  ..(\n    ..(L.component")],
    "line-header-show": [
        (
            "..(L.component, L.period, L.quantity, L.unit, L.unit_price, L.vat_rate, L.amount).map(\n      t => text(size: 8pt, fill: muted, t),\n    ),",
            "L.component, L.period, L.quantity, L.unit, L.unit_price, L.vat_rate, L.amount,",
        ),
        (
            "#let line-table(lines) = table(",
            "#let line-table(lines) = { show table.header: set text(size: 8pt, fill: muted); table(",
        ),
        ("  )).flatten(),\n)", "  )).flatten(),\n)}"),
    ],
}
VARIANTS["page1-stacks-rows-fixed"] = PAGE1_STACKS + VARIANTS["rows-fixed"]
NO_TAGS = {"no-tags"}
SYS_INPUTS = {"sys-inputs"}


def variant_text(base: str, replacements: list[tuple[str, str]]) -> str:
    text = base
    for old, new in replacements:
        if old not in text:
            raise SystemExit(f"variant replacement not found in the template: {old!r}")
        text = text.replace(old, new)
    return text


K = TypeVar("K")


def alternated_cpu(
    keys: list[K], rounds: int, per_round: int, compile_one: Callable[[K], bytes]
) -> dict[K, list[float]]:
    """CPU ms per compile of each key, per round; the order reverses every other round (A B,
    B A, ...) so a drift in the machine's speed falls on every key alike."""
    cpu: dict[K, list[float]] = {key: [] for key in keys}
    for r in range(rounds):
        for key in keys if r % 2 == 0 else list(reversed(keys)):
            started = time.process_time()
            for _ in range(per_round):
                compile_one(key)
            cpu[key].append((time.process_time() - started) * 1000 / per_round)
    return cpu


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vool.config.settings")
    import django

    django.setup()
    from vool.integrations.pdf.qr import qr_svg

    args = sys.argv[1:]
    rounds = int(args[0]) if args else 4
    per_round = int(args[1]) if len(args) > 1 else 20
    names = args[2:] or ["tree", *VARIANTS]
    data = json.loads((HERE / "data" / "invoice.json").read_text(encoding="utf-8"))
    data["payment"]["qr_svg"] = qr_svg(data["payment"]["epc_qr_payload"])
    base_path = Path(os.environ.get("VOOL_BENCH_INVOICE_BASE", TEMPLATE))
    base = base_path.read_text(encoding="utf-8")
    tree = TEMPLATE.read_text(encoding="utf-8")
    stamp = dt.datetime(2026, 2, 5, 12, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        compilers = {}
        for name in names:
            path = Path(tmp) / f"{name}.typ"
            text = tree if name == "tree" else variant_text(base, VARIANTS[name])
            path.write_text(text, encoding="utf-8")
            compilers[name] = typst.Compiler(
                str(path), root=tmp, font_paths=[], ignore_system_fonts=True
            )
        size: dict[str, int] = {}
        serial = 0

        def compile_one(name: str) -> bytes:
            nonlocal serial
            serial += 1
            data["invoice"]["number"] = str(100000 + serial)
            text = json.dumps(data, ensure_ascii=False, sort_keys=True)
            if name in SYS_INPUTS:
                pdf = compilers[name].compile(
                    format="pdf", sys_inputs={"data": text}, timestamp=stamp
                )
            else:  # as TypstRenderer does: the data in the file the template reads
                (Path(tmp) / "data.json").write_text(text, encoding="utf-8")
                pdf = compilers[name].compile(
                    format="pdf", timestamp=stamp, pdf_tags=name not in NO_TAGS
                )
            assert isinstance(pdf, bytes)
            return pdf

        for name in names:  # warm up: fonts parsed once per compiler
            size[name] = len(compile_one(name))
        cpu = alternated_cpu(names, rounds, per_round, compile_one)
    print(f"load average {os.getloadavg()}; {rounds} rounds x {per_round} compiles a variant")
    ref = statistics.median(cpu[names[0]])
    for name in names:
        med = statistics.median(cpu[name])
        rounds_text = " ".join(f"{c:5.1f}" for c in cpu[name])
        print(
            f"{name:24} median {med:5.1f} ms ({(med / ref - 1) * 100:+5.1f} %)  "
            f"{size[name] / 1024:5.1f} KB  rounds: {rounds_text}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
