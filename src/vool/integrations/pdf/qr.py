"""QR codes drawn with ``segno`` (error-correction level M, as EPC069-12 asks)."""

from __future__ import annotations

import io

import segno


def qr_svg(payload: str, *, scalable: bool = False) -> str:
    """The QR code of ``payload`` as an SVG document (black on white, quiet zone 4);
    ``scalable`` gives a viewBox instead of a fixed size (for a web page's CSS to size)."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(
        out, kind="svg", xmldecl=False, border=4, dark="#000", light="#fff", omitsize=scalable
    )
    return out.getvalue().decode("utf-8")
