"""QR codes drawn with ``segno`` (error-correction level M, as EPC069-12 asks)."""

from __future__ import annotations

import io

import segno


def qr_svg(payload: str) -> str:
    """The QR code of ``payload`` as an SVG document (black on white, quiet zone 4)."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="svg", xmldecl=False, border=4, dark="#000", light="#fff")
    return out.getvalue().decode("utf-8")
