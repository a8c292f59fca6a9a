"""QR codes drawn with ``segno`` (error-correction level M, as EPC069-12 asks).

segno chooses the data mask as ISO/IEC 18004 asks: each of the 8 masks is applied and
scored (penalty rules N1-N4) and the lowest wins. segno does that module by module in
Python, about 80 % of the time of an EPC code (~4 ms of ~5.5). :func:`_best_mask` is the same
algorithm with numpy, the 8 masked symbols scored together as one (8, n, n) array (the
finder-pattern rule N3 goes through segno's own search only on the rows and columns where
numpy finds the pattern at all): the same scores, so the same mask and the
same symbol, bit for bit (``tests/unit/documents/test_qr_masks.py`` compares it with segno's
own on hundreds of payloads). It replaces segno's ``find_and_apply_best_mask`` for full-size
QR codes when no mask is proposed; anything else goes to segno's own function. Likewise the
error-correction codewords and their placement in the symbol (``_final_message``,
``_add_codewords``, below): ~1.2 ms an EPC code before, ~0.8 ms after.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import numpy as np
import segno
from segno import consts as _segno_consts
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


@cache
def _mask_flips(width: int) -> np.ndarray:
    """The 8 data masks as XOR planes, shape (8, width, width): each mask's pattern where a
    mask applies (see :func:`_function_region`), 0 elsewhere. The same for every symbol of
    a width, so computed once."""
    region = _function_region(width)
    rows, columns = np.indices((width, width))
    return np.stack(
        [
            (np.asarray(pattern(rows, columns)) & region).astype(np.uint8)
            for pattern in _segno_encoder.get_data_mask_functions(False)
        ]
    )


def _n1_all(stack: np.ndarray) -> np.ndarray:
    """N1 of each symbol of ``stack`` (shape (masks, size, size)) along its rows: runs of 5
    or more equal modules, each scoring its length - 2. One pass over all the symbols: a
    separator column ends every row, so no run crosses a row or a symbol."""
    masks, size, _ = stack.shape
    sep = np.full((masks, size, 1), _SEPARATOR, np.uint8)
    flat = np.concatenate([stack, sep], axis=2).ravel()
    starts = np.flatnonzero(np.concatenate(([True], flat[1:] != flat[:-1])))
    lengths = np.diff(np.append(starts, flat.size))
    long = lengths >= 5
    return np.bincount(
        starts[long] // (size * (size + 1)), weights=lengths[long] - 2, minlength=masks
    ).astype(np.int64)


def _n3_all(stack: np.ndarray) -> np.ndarray:
    """N3 of each symbol along its rows, as segno counts it: 40 for each finder-like
    pattern (1:1:3:1:1) at either end of a row or with 4 light modules before or after it
    (beyond the edge counts as light). segno searches each row left to right and, after a
    pattern it counted, resumes 7 modules on (else 4): that skip only matters when two
    patterns in a row are less than 7 apart, so those rare rows go through segno's own
    search (:func:`_n3_line`) and every other pattern is scored here at once."""
    masks, size, _ = stack.shape
    width = len(_N3_PATTERN)
    span = size - width + 1
    found = np.ones((masks, size, span), dtype=bool)
    for k, value in enumerate(_N3_PATTERN):
        found &= stack[:, :, k : k + span] == value
    close = np.zeros((masks, size), dtype=bool)
    for gap in range(1, width):
        close |= (found[:, :, gap:] & found[:, :, :-gap]).any(axis=2)
    dark = np.zeros((masks, size, size + 9), dtype=np.int32)  # 4 light either side, + 1
    np.cumsum(stack != 0, axis=2, out=dark[:, :, 5 : size + 5])
    dark[:, :, size + 5 :] = dark[:, :, size + 4 : size + 5]
    start = np.arange(span)  # a pattern at i: before it [i - 4, i), after it [i + 7, i + 11)
    light_before = dark[:, :, start + 4] == dark[:, :, start]
    light_after = dark[:, :, start + 15] == dark[:, :, start + 11]
    at_end = (start == 0) | (start == size - width)
    counted = found & (at_end | light_before | light_after) & ~close[:, :, np.newaxis]
    scores = 40 * counted.sum(axis=(1, 2), dtype=np.int64)
    for mask, row in zip(*np.nonzero(close), strict=True):
        scores[mask] += _n3_line(stack[mask, row].tobytes(), size)
    return scores


def _penalties(stack: np.ndarray) -> np.ndarray:
    """ISO/IEC 18004 penalty (N1-N4, segno's rules) of each symbol of ``stack``."""
    size = stack.shape[1]
    columns = np.ascontiguousarray(stack.transpose(0, 2, 1))
    n1 = _n1_all(stack) + _n1_all(columns)
    here, left, up = stack[:, 1:, 1:], stack[:, 1:, :-1], stack[:, :-1, 1:]
    blocks = (here == left) & (here == up) & (here == stack[:, :-1, :-1])
    n2 = 3 * blocks.sum(axis=(1, 2), dtype=np.int64)
    n3 = _n3_all(stack) + _n3_all(columns)
    dark = stack.sum(axis=(1, 2), dtype=np.int64)
    n4 = np.array([10 * int(abs(float(int(d)) / (size**2) * 100 - 50) / 5) for d in dark])
    return n1 + n2 + n3 + n4


def _best_mask(matrix: Any, width: int, height: int, proposed_mask: int | None = None) -> Any:
    if proposed_mask is not None or width != height or width < 21:
        return _segno_best_mask(matrix, width, height, proposed_mask)
    base = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(height, width)
    masked = base[np.newaxis] ^ _mask_flips(width)
    best = int(np.argmin(_penalties(masked)))  # the first of equal scores, as segno
    return best, tuple(bytearray(row.tobytes()) for row in masked[best])


_segno_encoder.find_and_apply_best_mask = _best_mask


# -- the codewords: Reed-Solomon error correction and placement, with numpy -----------------
# segno computes each block's error-correction codewords by polynomial division byte by byte
# and places the message bit by bit, in Python (~0.5 ms of an EPC code). Both are the same
# for every symbol of a version: the division is linear over GF(256) (each data codeword
# adds its own multiple of a fixed parity vector), and the placement order depends only on
# the symbol's function patterns. So the parity vectors and the order are computed once (by
# segno's own algorithms) and applied with numpy; micro QR codes go to segno's functions.

_segno_final_message = _segno_encoder.make_final_message
_segno_add_codewords = _segno_encoder.add_codewords
_GF_EXP = np.array(_segno_consts.GALIOS_EXP[:255], dtype=np.uint8)
_GF_LOG = np.array(_segno_consts.GALIOS_LOG, dtype=np.int32)
# 7.6: the bits after the last codeword that fill the symbol, by version
_REMAINDER_BITS = {v: 7 for v in range(2, 7)} | {v: 4 for v in range(21, 28)}
_REMAINDER_BITS |= {v: 3 for v in (*range(14, 21), *range(28, 35))}


@cache
def _parity_logs(num_data: int, num_error: int) -> tuple[np.ndarray, np.ndarray]:
    """log of the parity of each unit data block (shape (num_data, num_error)), and where
    that parity is 0 (no log)."""
    unit_parities = []
    for k in range(num_data):
        data = np.zeros(num_data, dtype=np.uint8)
        data[k] = 1
        unit = _segno_encoder.Buffer(np.unpackbits(data).tobytes())
        info = _segno_consts.EC(num_blocks=1, num_total=num_data + num_error, num_data=num_data)
        unit_parities.append(list(_segno_encoder.make_blocks((info,), unit)[1][0]))
    parity = np.array(unit_parities, dtype=np.int32)
    zero = parity == 0
    return np.where(zero, 0, _GF_LOG[parity]), zero


def _error_codewords(block: np.ndarray, num_error: int) -> np.ndarray:
    """The error-correction codewords of one data block: the XOR of each data codeword's
    multiple of its unit parity (GF(256) products through the log tables)."""
    logs, zero = _parity_logs(len(block), num_error)
    nonzero = block != 0
    products = _GF_EXP[(_GF_LOG[block][:, np.newaxis] + logs) % 255]
    products[zero | ~nonzero[:, np.newaxis]] = 0
    return np.bitwise_xor.reduce(products, axis=0)


def _interleaved(blocks: list[np.ndarray]) -> np.ndarray:
    """The blocks' codewords taken in turn (the first of each, the second of each, ...)."""
    longest = max(len(b) for b in blocks)
    grid = np.full((longest, len(blocks)), -1, dtype=np.int32)
    for column, block in enumerate(blocks):
        grid[: len(block), column] = block
    flat = grid.ravel()
    return flat[flat >= 0].astype(np.uint8)


def _final_message(version: int, error: int, buff: Any) -> Any:
    if version < 1:
        return _segno_final_message(version, error, buff)
    bits = np.frombuffer(bytes(buff.getbits()), dtype=np.uint8)
    codewords = np.packbits(bits)  # the last byte padded with 0 bits, as segno's toints
    data_blocks, error_blocks, start = [], [], 0
    infos: Any = _segno_consts.ECC[version]  # segno is untyped
    for info in infos[error]:
        num_error = info.num_total - info.num_data
        for _ in range(info.num_blocks):
            block = codewords[start : start + info.num_data]
            start += info.num_data
            data_blocks.append(block)
            error_blocks.append(_error_codewords(block, num_error))
    message = np.concatenate([_interleaved(data_blocks), _interleaved(error_blocks)])
    remainder = _REMAINDER_BITS.get(version, 0)
    return _segno_encoder.Buffer(np.unpackbits(message).tobytes() + bytes(remainder))


@cache
def _placement(version: int, free: bytes, width: int, count: int) -> np.ndarray:
    """The flat indices, in order, where segno places the message's ``count`` bits in a
    symbol whose function patterns leave ``free`` (the matrix before the placement)."""
    matrix = [list(free[r * width : (r + 1) * width]) for r in range(width)]
    _segno_add_codewords(matrix, list(range(3, 3 + count)), version)
    order = np.array(matrix, dtype=np.int64).ravel()
    placed = np.flatnonzero(order >= 3)
    return placed[np.argsort(order[placed])]


def _add_codewords(matrix: Any, codewords: Any, version: int) -> None:
    if version < 1:
        _segno_add_codewords(matrix, codewords, version)
        return
    width = len(matrix)
    bits = np.frombuffer(bytes(codewords.getbits()), dtype=np.uint8)
    flat = np.frombuffer(b"".join(matrix), dtype=np.uint8).copy()
    flat[_placement(version, flat.tobytes(), width, len(bits))] = bits
    for r in range(width):
        matrix[r][:] = flat[r * width : (r + 1) * width].tobytes()


_segno_encoder.make_final_message = _final_message
_segno_encoder.add_codewords = _add_codewords


_BORDER = 4  # the quiet zone, in modules


def _svg(matrix: tuple[bytearray, ...], *, scalable: bool) -> str:
    """The SVG document segno's writer makes of ``matrix`` (black modules as one stroked
    path of horizontal runs on a white square, quiet zone 4), character for character
    (``tests/unit/documents/test_qr_masks.py`` compares them), with numpy finding the runs
    instead of a Python loop over every module."""
    modules = np.frombuffer(b"".join(matrix), dtype=np.uint8).reshape(len(matrix), -1)
    rows, width = modules.shape
    padded = np.zeros((rows, width + 2), dtype=np.int8)
    padded[:, 1:-1] = modules != 0
    row, column = np.nonzero(np.diff(padded, axis=1))  # run starts and ends, row by row
    starts, ends, on_row = column[0::2] + _BORDER, column[1::2] + _BORDER, row[0::2] + _BORDER
    moves = []
    x, y = 0, 0.0  # the pen, as segno moves it: to the middle of each module row
    for x1, x2, r in zip(starts.tolist(), ends.tolist(), on_row.tolist(), strict=True):
        dy = r + 0.5 - y
        moves.append(f"m{x1 - x} {int(dy) if int(dy) == dy else dy}h{x2 - x1}")
        x, y = x2, r + 0.5
    size = width + 2 * _BORDER
    box = f'viewBox="0 0 {size} {size}"' if scalable else f'width="{size}" height="{size}"'
    path = "M" + "".join(moves)[1:]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" {box} class="segno">'
        f'<path fill="#fff" d="M0 0h{size}v{size}h-{size}z"/>'
        f'<path class="qrline" stroke="#000" d="{path}"/></svg>\n'
    )


def qr_svg(payload: str, *, scalable: bool = False) -> str:
    """The QR code of ``payload`` as an SVG document (black on white, quiet zone 4);
    ``scalable`` gives a viewBox instead of a fixed size (for a web page's CSS to size)."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    return _svg(code.matrix, scalable=scalable)


def segno_svg(payload: str, *, scalable: bool = False) -> str:
    """segno's own SVG of the same code (the reference :func:`_svg` is tested against)."""
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        border=_BORDER,
        dark="#000",
        light="#fff",
        omitsize=scalable,
    )
    return out.getvalue().decode("utf-8")
