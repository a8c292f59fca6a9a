"""QR codes drawn with ``segno`` (error-correction level M, as EPC069-12 asks).

segno chooses the data mask as ISO/IEC 18004 asks: each of the 8 masks is applied and
scored (penalty rules N1-N4) and the lowest wins. segno does that module by module in
Python, about 80 % of the time of an EPC code (~4 ms of ~5.5). :func:`_best_mask` is the same
algorithm with numpy over whole rows and columns: the same scores, so the same mask and the
same symbol, bit for bit (``tests/unit/documents/test_qr_masks.py`` compares it with segno's
own on hundreds of payloads). It replaces segno's ``find_and_apply_best_mask`` for full-size
QR codes when no mask is proposed; anything else goes to segno's own function.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import segno
from segno import encoder as _segno_encoder

_segno_best_mask = _segno_encoder.find_and_apply_best_mask
_N3_PATTERN = bytes((1, 0, 1, 1, 1, 0, 1))
_SEPARATOR = 255  # never a module value (0-3): ends a run at the end of each row


@cache
def _function_region(width: int) -> np.ndarray:
    """True where a mask applies, as segno decides it (cells still 0x2 once the timing,
    finder and alignment patterns, the reserved areas and the dark module are placed)."""
    function = _segno_encoder.make_matrix(width, width)
    _segno_encoder.add_finder_patterns(function, width, width)
    _segno_encoder.add_alignment_patterns(function, width, width)
    function[-8][8] = 0x1
    return np.array([list(row) for row in function], dtype=np.uint8) > 1


def _n1(a: np.ndarray) -> int:
    """Runs of 5 or more equal modules in the rows of ``a``: each scores its length - 2."""
    rows = np.concatenate([a, np.full((a.shape[0], 1), _SEPARATOR, np.uint8)], axis=1).ravel()
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    lengths = np.diff(np.append(starts, rows.size))
    long = lengths[lengths >= 5]
    return int((long - 2).sum())


def _n3_line(line: bytes, size: int) -> int:
    """segno's N3 count on one row or column (the same search, the same skips)."""
    count = 0
    idx = line.find(_N3_PATTERN)
    while idx != -1:
        offset = idx + 7
        if (
            idx in (0, size - 7)
            or not any(line[max(idx - 4, 0) : min(idx, size)])
            or not any(line[max(offset, 0) : min(offset + 4, size)])
        ):
            count += 40
        else:
            offset = idx + 4
        idx = line.find(_N3_PATTERN, offset)
    return count


def _penalty(a: np.ndarray) -> int:
    size = a.shape[0]
    n1 = _n1(a) + _n1(a.T)
    here = a[1:, 1:]
    blocks = (here == a[1:, :-1]) & (here == a[:-1, 1:]) & (here == a[:-1, :-1])
    n2 = 3 * int(blocks.sum())
    n3 = sum(_n3_line(row.tobytes(), size) for row in a) + sum(
        _n3_line(column.tobytes(), size) for column in np.ascontiguousarray(a.T)
    )
    percent = float(int(a.sum(dtype=np.int64))) / (size**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


class _Masked(NamedTuple):
    penalty: int
    mask: int
    matrix: Any  # the masked module matrix (numpy uint8)


def _best_mask(matrix: Any, width: int, height: int, proposed_mask: int | None = None) -> Any:
    if proposed_mask is not None or width != height or width < 21:
        return _segno_best_mask(matrix, width, height, proposed_mask)
    base = np.array([list(row) for row in matrix], dtype=np.uint8)
    region = _function_region(width)
    rows, columns = np.indices((height, width))
    best: _Masked | None = None
    for number, pattern in enumerate(_segno_encoder.get_data_mask_functions(False)):
        flips = (np.asarray(pattern(rows, columns)) & region).astype(np.uint8)
        masked = base ^ flips
        score = _penalty(masked)
        if best is None or score < best.penalty:
            best = _Masked(score, number, masked)
    assert best is not None
    return best.mask, tuple(bytearray(row.tobytes()) for row in best.matrix)


_segno_encoder.find_and_apply_best_mask = _best_mask


def qr_svg(payload: str, *, scalable: bool = False) -> str:
    """The QR code of ``payload`` as an SVG document (black on white, quiet zone 4);
    ``scalable`` gives a viewBox instead of a fixed size (for a web page's CSS to size)."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(
        out, kind="svg", xmldecl=False, border=4, dark="#000", light="#fff", omitsize=scalable
    )
    return out.getvalue().decode("utf-8")
