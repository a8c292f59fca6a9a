"""Compile a Typst template with JSON data into a PDF, reproducibly.

The template reads its data with ``json(bytes(sys.inputs.data))``. Only the fonts embedded
in the ``typst`` wheel are used (Libertinus Serif, which covers Latin with õ ä ö ü š ž and
Cyrillic, is the invoice's one family), never the machine's fonts, so the same
data gives the same bytes on every machine. One :class:`TypstRenderer` is built per process
and reused: Typst keeps the parsed template and the fonts between compilations.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import typst


class UnableToRender(Exception):
    """Typst rejected the template or the data; the message has Typst's diagnostics."""


class TypstRenderer:
    def __init__(self, template: Path) -> None:
        if not template.is_file():
            raise UnableToRender(f"Typst template {template} does not exist.")
        self.template = template
        self._compiler = typst.Compiler(
            str(template), root=str(template.parent), font_paths=[], ignore_system_fonts=True
        )

    def render(self, data: dict[str, Any], *, created_on: dt.date) -> bytes:
        """The PDF of ``data``; ``created_on`` is the document's creation date in its
        metadata (the issue date), so re-rendering gives identical bytes."""
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        timestamp = dt.datetime.combine(created_on, dt.time(12), tzinfo=dt.UTC)
        try:
            pdf = self._compiler.compile(
                format="pdf", sys_inputs={"data": text}, timestamp=timestamp
            )
        except typst.TypstError as exc:
            raise UnableToRender(f"{self.template.name}: {exc.message} {exc.diagnostic}") from exc
        assert isinstance(pdf, bytes)
        return pdf
