"""Compile a Typst template with JSON data into a PDF, reproducibly.

The template reads its data with ``json("data.json")``: each render writes the data to that
file in a directory of the renderer's own, next to a copy of the template (refreshed when
the template changes), and compiles the copy. Only the fonts embedded in the ``typst`` wheel
are used (Libertinus Serif, which covers Latin with õ ä ö ü š ž and Cyrillic, is the
invoice's one family), never the machine's fonts, so the same data gives the same bytes on
every machine. One :class:`TypstRenderer` is built per process and reused: Typst keeps the
parsed template and the fonts between compilations.

Why a file and not ``sys.inputs``: Typst's ``sys.inputs`` are part of its standard library,
so new inputs make Typst hash the whole library again and forget everything it memoised
against the old one; a changed file is only that file. The same PDF bytes, ~10 % fewer
instructions per invoice (benchmarks/RESULTS.md, h45).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

import typst

DATA_FILE = "data.json"


class UnableToRender(Exception):
    """Typst rejected the template or the data; the message has Typst's diagnostics."""


class TypstRenderer:
    def __init__(self, template: Path) -> None:
        if not template.is_file():
            raise UnableToRender(f"Typst template {template} does not exist.")
        self.template = template
        self._root = Path(tempfile.mkdtemp(prefix="vool-typst-"))
        weakref.finalize(self, shutil.rmtree, self._root, ignore_errors=True)
        self._copy = self._root / template.name
        self._copied = b""
        self._refresh_template()
        self._data = self._root / DATA_FILE
        self._data.write_bytes(b"{}")
        # one compilation at a time: the data file and Typst's compiler are shared
        self._lock = threading.Lock()
        self._compiler = typst.Compiler(
            str(self._copy), root=str(self._root), font_paths=[], ignore_system_fonts=True
        )

    def _refresh_template(self) -> None:
        """The copy follows the template: an edited template is used at the next render,
        as when Typst read the template itself."""
        text = self.template.read_bytes()
        if text != self._copied:
            self._copy.write_bytes(text)
            self._copied = text

    def render(self, data: dict[str, Any], *, created_on: dt.date) -> bytes:
        """The PDF of ``data``; ``created_on`` is the document's creation date in its
        metadata (the issue date), so re-rendering gives identical bytes."""
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        timestamp = dt.datetime.combine(created_on, dt.time(12), tzinfo=dt.UTC)
        with self._lock:
            self._refresh_template()
            self._data.write_bytes(text.encode("utf-8"))
            try:
                pdf = self._compiler.compile(format="pdf", timestamp=timestamp)
            except typst.TypstError as exc:
                raise UnableToRender(
                    f"{self.template.name}: {exc.message} {exc.diagnostic}"
                ) from exc
        assert isinstance(pdf, bytes)
        return pdf
