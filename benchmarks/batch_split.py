"""An experiment (issue 11), not used by Vool: many invoices per Typst compilation, split into
one PDF per invoice that does not depend on the invoices it was compiled with.

Measured by ``bench_documents_batch.py``; see benchmarks/RESULTS.md ("Invoice rendering: many
invoices per compilation with a glyph palette"): it does not pay, so it stays here. Needs
pikepdf, which is not a project dependency (``.tools/bin/uv pip install pikepdf``).

- ``palette_template``: ``invoice.typ`` made to render a LIST of invoices. Its first page is a
  glyph palette (every character the bills' alphabets use, in each weight and style), so the
  font subsets are the palette's whatever the invoices contain; neighbouring invoices get
  different page numbering styles ("1" / "i", not printed), which is how the split finds them.
- ``BatchPdf``: the compiled PDF, split with pikepdf (qpdf) into one tagged PDF per invoice:
  its pages, its part of the structure tree (parent tree, table-header IDs renumbered from its
  own first table), its own metadata (title, author, language, dates, XMP) and an ID derived
  from its content. ``fonts_outside`` tells whether the batch's fonts are the palette's.
- ``BatchRenderer``: ``render_one`` (a batch of one: the reference) and ``render_many`` (one
  compilation when the fonts are the palette's, else one by one).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from vool.integrations.pdf.typst_compiler import TypstRenderer, UnableToRender

_TABLE_ID = re.compile(r"^U(\d+)(x\d+y\d+)$")


class UnableToSplit(Exception):
    """The PDF does not hold the documents expected (page labels, structure tree)."""


@dataclass(frozen=True)
class DocumentInfo:
    """A split document's metadata: what Typst's ``set document`` would have given it."""

    title: str
    author: str
    language: str
    created_on: dt.date


@dataclass
class _Tree:
    """What one document's structure elements give its structure tree root."""

    parents: dict[int, dict[int, pikepdf.Object]] = field(default_factory=dict)  # page, MCID
    objects: list[tuple[pikepdf.Object, pikepdf.Object]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # old ID -> new ID
    with_id: list[tuple[str, pikepdf.Object]] = field(default_factory=list)  # new ID, element
    with_headers: list[pikepdf.Object] = field(default_factory=list)  # attributes
    tables: dict[str, int] = field(default_factory=dict)  # old table number -> new


def _number_tree(node: pikepdf.Object) -> Iterator[tuple[int, pikepdf.Object]]:
    if "/Nums" in node:
        nums = node.Nums
        for i in range(0, len(nums), 2):
            yield int(nums[i]), nums[i + 1]
    for kid in node.get("/Kids", Array()):
        yield from _number_tree(kid)


def _label_styles(pdf: pikepdf.Pdf) -> list[str | None]:
    """Each page's page-label style (``/D``, ``/r`` ...), None for a page without one."""
    ranges = sorted(_number_tree(pdf.Root.PageLabels)) if "/PageLabels" in pdf.Root else []
    styles: list[str | None] = []
    current: str | None = None
    starts = dict(ranges)
    for index in range(len(pdf.pages)):
        if index in starts:
            style = starts[index].get("/S")
            current = str(style) if style is not None else None
        styles.append(current)
    return styles


def _page_runs(pdf: pikepdf.Pdf) -> list[range]:
    """The documents' pages: runs of pages with one label style, the palette's left out."""
    runs: list[range] = []
    previous: str | None = None
    start = 0
    styles = _label_styles(pdf)
    for index, style in enumerate([*styles, None]):
        if style != previous:
            if previous is not None:
                runs.append(range(start, index))
            start, previous = index, style
    return runs


def _digest(obj: pikepdf.Object, seen: dict[tuple[int, int], str]) -> str:
    """A digest of an object and everything it refers to (streams by their raw bytes)."""
    if not isinstance(obj, pikepdf.Object):  # a number or a boolean, converted by pikepdf
        return repr(obj)
    key = obj.objgen
    if key != (0, 0) and key in seen:
        return seen[key]
    hasher = hashlib.sha256()
    if isinstance(obj, pikepdf.Stream):
        hasher.update(obj.read_raw_bytes())
    if isinstance(obj, Dictionary | pikepdf.Stream):
        for name in sorted(obj.keys()):
            if name != "/Length":
                hasher.update(name.encode() + _digest(obj[name], seen).encode())
    elif isinstance(obj, Array):
        for item in obj:
            hasher.update(_digest(item, seen).encode())
    else:
        hasher.update(obj.unparse())
    value = hasher.hexdigest()
    if key != (0, 0):
        seen[key] = value
    return value


class BatchPdf:
    """A compiled PDF of many documents, opened once to check its fonts and split it."""

    def __init__(self, content: bytes) -> None:
        try:
            self.pdf = pikepdf.open(io.BytesIO(content))
        except pikepdf.PdfError as exc:
            raise UnableToSplit(f"Not a PDF: {exc}") from exc
        self.runs = _page_runs(self.pdf)
        self._digests: dict[tuple[int, int], str] = {}

    def fonts(self, pages: Sequence[int] | range | None = None) -> set[str]:
        """Digests of the fonts used on ``pages`` (all pages by default)."""
        found = set()
        indexes = range(len(self.pdf.pages)) if pages is None else pages
        for index in indexes:
            resources = self.pdf.pages[index].obj.get("/Resources", Dictionary())
            for font in resources.get("/Font", Dictionary()).values():
                found.add(_digest(font, self._digests))
        return found

    def palette_fonts(self) -> set[str]:
        """Digests of the fonts on the pages before the first document (the palette)."""
        first = self.runs[0].start if self.runs else len(self.pdf.pages)
        return self.fonts(range(first))

    def fonts_outside(self, allowed: set[str]) -> set[str]:
        """Fonts the documents use that are not ``allowed`` (not the palette's subsets)."""
        return {f for run in self.runs for f in self.fonts(run)} - allowed

    def split(self, infos: Sequence[DocumentInfo]) -> list[bytes]:
        if len(self.runs) != len(infos):
            raise UnableToSplit(
                f"Expected {len(infos)} documents, the PDF's page labels show {len(self.runs)}."
            )
        owners = self._top_elements()
        return [
            _write_document(self.pdf, run, owners.get(n, []), info)
            for n, (run, info) in enumerate(zip(self.runs, infos, strict=True))
        ]

    def _top_elements(self) -> dict[int, list[pikepdf.Object]]:
        """The structure tree's top elements (under its Document element) by document."""
        root = self.pdf.Root.get("/StructTreeRoot")
        if root is None:
            return {}
        top = root.K
        document = top[0] if isinstance(top, Array) else top
        children = document.K if isinstance(document.K, Array) else Array([document.K])
        page_of = {page.objgen: i for i, page in enumerate(self.pdf.pages)}
        run_of = {page: n for n, run in enumerate(self.runs) for page in run}
        owners: dict[int, list[pikepdf.Object]] = {}
        current = -1
        for child in children:
            if not isinstance(child, Dictionary):
                continue  # marked content straight under the Document (the palette's)
            page = _first_page(child)
            if page is not None:
                current = run_of.get(page_of.get(page.objgen, -1), -1)
            if current >= 0:
                del child["/P"]  # copied alone: not the whole tree through its parent
                owners.setdefault(current, []).append(child)
        return owners


def _first_page(element: pikepdf.Object) -> pikepdf.Object | None:
    if "/Pg" in element:
        return element.Pg
    kids = element.get("/K")
    for kid in kids if isinstance(kids, Array) else [kids]:
        if isinstance(kid, Dictionary):
            page = _first_page(kid)
            if page is not None:
                return page
    return None


def _walk(element: pikepdf.Object, page: pikepdf.Object | None, tree: _Tree, pages: dict) -> None:
    """Record ``element``'s marked content and annotations in the parent tree, its ID."""
    page = element.get("/Pg", page)
    if "/ID" in element:
        new = _new_id(str(element.ID), tree)
        tree.ids[str(element.ID)] = new
        element.ID = pikepdf.String(new)
        tree.with_id.append((new, element))
    attributes = element.get("/A")
    for attribute in attributes if isinstance(attributes, Array) else [attributes]:
        if isinstance(attribute, Dictionary) and "/Headers" in attribute:
            tree.with_headers.append(attribute)
    kids = element.get("/K")
    for kid in kids if isinstance(kids, Array) else [kids]:
        if isinstance(kid, int):
            tree.parents.setdefault(pages[page.objgen], {})[kid] = element
        elif isinstance(kid, Dictionary) and kid.get("/Type") == "/MCR":
            on = pages[kid.get("/Pg", page).objgen]
            tree.parents.setdefault(on, {})[int(kid.MCID)] = element
        elif isinstance(kid, Dictionary) and kid.get("/Type") == "/OBJR":
            tree.objects.append((kid.Obj, element))
        elif isinstance(kid, Dictionary):
            _walk(kid, page, tree, pages)


def _new_id(old: str, tree: _Tree) -> str:
    """Typst numbers table cells' IDs by the table's place in the whole PDF (``U12x0y3``):
    renumbered from this document's first table."""
    match = _TABLE_ID.match(old)
    if match is None:
        return old
    table = tree.tables.setdefault(match[1], len(tree.tables) + 1)
    return f"U{table}{match[2]}"


def _structure(out: pikepdf.Pdf, elements: list[pikepdf.Object], roles: Dictionary) -> Dictionary:
    """The document's structure tree root over its copied top ``elements``."""
    pages = {page.objgen: i for i, page in enumerate(out.pages)}
    tree = _Tree()
    for element in elements:
        _walk(element, None, tree, pages)
    for attribute in tree.with_headers:
        attribute.Headers = Array(
            [pikepdf.String(tree.ids.get(str(h), str(h))) for h in attribute.Headers]
        )
    document = out.make_indirect(
        Dictionary(Type=Name.StructElem, S=Name.Document, K=Array(elements))
    )
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=document))
    for element in elements:
        element.P = document
    document.P = root
    nums = Array()
    for index, page in enumerate(out.pages):
        page.obj.StructParents = index
        marked = tree.parents.get(index, {})
        size = max(marked, default=-1) + 1
        nums.extend([index, Array([marked.get(mcid, None) for mcid in range(size)])])
    key = len(out.pages)
    for annotation, element in tree.objects:
        annotation.StructParent = key
        nums.extend([key, element])
        key += 1
    root.ParentTree = Dictionary(Nums=nums)
    root.ParentTreeNextKey = key
    if roles:
        root.RoleMap = Dictionary({name: Name(str(role)) for name, role in roles.items()})
    if tree.with_id:
        named = sorted(tree.with_id, key=lambda pair: pair[0])
        root.IDTree = Dictionary(
            Names=Array([x for new, element in named for x in (pikepdf.String(new), element)])
        )
    return root


def _pdf_date(day: dt.date) -> str:
    return f"D:{day:%Y%m%d}120000Z"


def _xmp(source: bytes, info: DocumentInfo, pages: int, ident: str) -> bytes:
    """Typst's XMP packet with this document's title, language, date, pages and ID."""
    text = source.decode("utf-8")
    stamp = f"{info.created_on.isoformat()}T12:00:00+00:00"

    def escape(value: str) -> str:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    for pattern, value in (
        (r"(<dc:title><rdf:Alt><rdf:li[^>]*>)[^<]*(</rdf:li>)", escape(info.title)),
        (r"(<dc:creator><rdf:Seq><rdf:li>)[^<]*(</rdf:li>)", escape(info.author)),
        (r"(<dc:language><rdf:Bag><rdf:li>)[^<]*(</rdf:li>)", escape(info.language)),
        (r"(<xmp:ModifyDate>)[^<]*(</xmp:ModifyDate>)", stamp),
        (r"(<xmp:CreateDate>)[^<]*(</xmp:CreateDate>)", stamp),
        (r"(<xmpTPg:NPages>)[^<]*(</xmpTPg:NPages>)", str(pages)),
        (r"(<xmpMM:InstanceID>)[^<]*(</xmpMM:InstanceID>)", ident),
        (r"(<xmpMM:DocumentID>)[^<]*(</xmpMM:DocumentID>)", ident),
    ):
        text = re.sub(pattern, lambda m, v=value: m[1] + v + m[2], text)
    return text.encode("utf-8")


def _write_document(
    source: pikepdf.Pdf, run: range, elements: list[pikepdf.Object], info: DocumentInfo
) -> bytes:
    out = pikepdf.new()
    out.pages.extend(source.pages[run.start : run.stop])
    copied = list(out.copy_foreign(source.make_indirect(Array(elements)))) if elements else []
    catalog = source.Root
    if copied:
        roles = catalog.StructTreeRoot.get("/RoleMap", Dictionary())
        out.Root.StructTreeRoot = _structure(out, copied, roles)
        out.Root.MarkInfo = Dictionary(Marked=True)
    else:
        for page in out.pages:
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
    out.Root.Lang = pikepdf.String(info.language)
    if "/ViewerPreferences" in catalog:
        out.Root.ViewerPreferences = Dictionary(
            {key: value for key, value in catalog.ViewerPreferences.items()}
        )
    content = hashlib.md5(usedforsecurity=False)
    content.update(info.title.encode())
    for page in out.pages:
        for stream in (
            page.obj.Contents if isinstance(page.obj.Contents, Array) else [page.obj.Contents]
        ):
            content.update(stream.read_raw_bytes())
    ident = base64.b64encode(content.digest()).decode("ascii")
    if "/Metadata" in catalog:
        xmp = _xmp(catalog.Metadata.read_bytes(), info, len(out.pages), ident)
        out.Root.Metadata = out.make_stream(xmp, Type=Name.Metadata, Subtype=Name.XML)
    date = _pdf_date(info.created_on)
    creator = source.trailer.get("/Info", Dictionary()).get("/Creator", "")
    out.trailer.Info = out.make_indirect(
        Dictionary(
            Title=pikepdf.String(info.title),
            Author=pikepdf.String(info.author),
            Creator=pikepdf.String(str(creator)),
            CreationDate=pikepdf.String(date),
            ModDate=pikepdf.String(date),
        )
    )
    buffer = io.BytesIO()
    out.save(
        buffer,
        min_version=str(source.pdf_version),
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        fix_metadata_version=False,
    )
    return buffer.getvalue()


PALETTE_PAGE = """#set text(font: "Libertinus Serif", size: 10pt, number-width: "tabular")
#let palette = (
  (range(0x20, 0x7f) + range(0xa0, 0x180) + range(0x400, 0x460) + range(0x2010, 0x2028)
    + range(0x2030, 0x203b) + (0x20ac, 0x2116, 0x2122, 0x2212)).map(str.from-unicode).join()
    + " fi fl ff ffi ffl"
)
#page(margin: 5mm, footer: none, numbering: none, {
  set text(size: 3pt)
  for lang in ("et", "ru", "en") {
    for weight in ("regular", "bold") {
      for style in ("normal", "italic") {
        text(lang: lang, weight: weight, style: style, palette)
        parbreak()
      }
    }
  }
})
"""


def palette_template(source: str) -> str:
    """``invoice.typ`` rendering the list in ``data.json``: the palette page, then each
    invoice (the template's body as a function of ``d``) with alternating numbering styles."""
    body = "\n".join(
        line
        for line in source.splitlines()
        if not line.startswith(("#let d = json", "#set document"))
    )
    page_rule = '#set page(\n  paper: "a4",\n'
    if page_rule not in body:
        raise ValueError("invoice.typ's page rule is not where the experiment expects it")
    body = body.replace(page_rule, page_rule + "  numbering: numbering,\n", 1)
    return (
        '#let docs = json("data.json")\n'
        + PALETTE_PAGE
        + "#let invoice(d, numbering) = [\n"
        + body
        + "\n]\n"
        + '#for (i, d) in docs.enumerate() { invoice(d, if calc.even(i) { "1" } else { "i" }) }\n'
    )


logger = logging.getLogger(__name__)

# The compilation's own date: every document's dates are set from its DocumentInfo.
_COMPILED_ON = dt.date(2000, 1, 1)


class BatchRenderer:
    def __init__(self, template: Path) -> None:
        self.typst = TypstRenderer(template)
        self._palette: set[str] | None = None
        self.fallbacks = 0  # batches rendered one by one (for the benchmark and the logs)

    def _compile(self, documents: Sequence[dict[str, Any]]) -> BatchPdf:
        pdf = self.typst.render(list(documents), created_on=_COMPILED_ON)
        try:
            return BatchPdf(pdf)
        except UnableToSplit as exc:
            raise UnableToRender(f"{self.typst.template.name}: {exc}") from exc

    def palette_fonts(self) -> set[str]:
        """The font subsets of the palette alone (compiled once)."""
        if self._palette is None:
            self._palette = self._compile([]).palette_fonts()
        return self._palette

    def render_one(self, document: dict[str, Any], info: DocumentInfo) -> bytes:
        """The PDF of one document (the reference a batch must match)."""
        try:
            return self._compile([document]).split([info])[0]
        except UnableToSplit as exc:
            raise UnableToRender(f"{self.typst.template.name}: {exc}") from exc

    def render_many(
        self, documents: Sequence[dict[str, Any]], infos: Sequence[DocumentInfo]
    ) -> list[bytes | UnableToRender]:
        """Each document's PDF (or why it could not be rendered), as ``render_one`` gives it:
        in one compilation when the batch's fonts are the palette's, else one by one (so a
        document Typst rejects does not fail the others)."""
        if len(documents) > 1:
            try:
                batch = self._compile(documents)
                outside = batch.fonts_outside(self.palette_fonts())
                if not outside:
                    return list(batch.split(infos))
                logger.info(
                    "%d documents rendered one by one: their fonts are not the palette's.",
                    len(documents),
                )
            except (UnableToRender, UnableToSplit) as exc:
                logger.info("%d documents rendered one by one: %s", len(documents), exc)
            self.fallbacks += 1
        results: list[bytes | UnableToRender] = []
        for document, info in zip(documents, infos, strict=True):
            try:
                results.append(self.render_one(document, info))
            except UnableToRender as exc:
                results.append(exc)
        return results
