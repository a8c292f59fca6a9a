"""The numpy mask choice (``vool.integrations.pdf.qr._best_mask``) gives segno's own symbol,
bit for bit: the same penalty scores, so the same mask, for EPC payloads of every QR version
the bills use and for random text."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest
import segno

from vool.common import identifiers
from vool.domain.documents.epc import CreditTransfer, epc_payload
from vool.integrations.pdf import qr


def segno_own(payload: str) -> segno.QRCode:
    encoder = segno.encoder
    ours = encoder.find_and_apply_best_mask
    encoder.find_and_apply_best_mask = qr._segno_best_mask
    try:
        return segno.make(payload, error="m", micro=False, boost_error=False)
    finally:
        encoder.find_and_apply_best_mask = ours


def payloads() -> list[str]:
    rng = random.Random(11)
    names = ["Vool Energia AS", "Põhja Šokolaad OÜ", "Žürii Äri", "Энергия Эстонии"]
    out = []
    for _ in range(150):
        out.append(
            epc_payload(
                CreditTransfer(
                    name=rng.choice(names),
                    iban="EE382200221020145685",
                    bic="HABAEE2X",
                    amount=Decimal(rng.randint(1, 999999)) / 100,
                    rf_reference=identifiers.reference_to_rf(
                        identifiers.make_reference_number(rng.randint(1, 10**12))
                    ),
                )
            )
        )
    alphabet = "ABCdef0123456789 õäöüšž-/:"
    for length in (1, 10, 40, 90, 160, 300):
        out.append("".join(rng.choice(alphabet) for _ in range(length)))
    return out


@pytest.mark.parametrize("payload", payloads())
def test_the_same_mask_and_symbol_as_segno(payload: str) -> None:
    fast = segno.make(payload, error="m", micro=False, boost_error=False)
    own = segno_own(payload)
    assert (fast.version, fast.mask) == (own.version, own.mask)
    assert fast.matrix == own.matrix


def test_a_proposed_mask_and_micro_codes_go_to_segno() -> None:
    assert segno.make("12345", error="m", mask=3, micro=False).mask == 3
    assert segno.make("12345", micro=True).is_micro


def unmasked_matrices() -> list[tuple[int, list[bytearray]]]:
    """(width, matrix before masking) of each payload, as segno hands it to the mask choice."""
    caught: list[tuple[int, list[bytearray]]] = []
    encoder = segno.encoder
    ours = encoder.find_and_apply_best_mask

    def catch(matrix, width, height, proposed_mask=None):  # type: ignore[no-untyped-def]
        caught.append((width, [bytearray(row) for row in matrix]))
        return qr._segno_best_mask(matrix, width, height, proposed_mask)

    encoder.find_and_apply_best_mask = catch
    try:
        for payload in payloads()[::5]:
            segno.make(payload, error="m", micro=False, boost_error=False)
    finally:
        encoder.find_and_apply_best_mask = ours
    return caught


def test_every_masks_penalty_is_segnos_score() -> None:
    """Not only the winner: each of the 8 scores equals segno's ``evaluate_mask``, for QR
    codes of several versions (the N3 rule's rows with close patterns included)."""
    checked = 0
    for width, matrix in unmasked_matrices():
        base = np.array([list(row) for row in matrix], dtype=np.uint8)
        stack = base[np.newaxis] ^ qr._mask_flips(width)
        ours = qr._penalties(stack)
        for number in range(8):
            symbol = [bytearray(row.tobytes()) for row in stack[number]]
            assert ours[number] == segno.encoder.evaluate_mask(symbol, width, width)
            checked += 1
    assert checked >= 8 * 30


@pytest.mark.parametrize("scalable", [False, True])
def test_the_svg_is_segnos_character_for_character(scalable: bool) -> None:
    """``qr_svg`` writes the SVG itself (numpy finds the runs of dark modules): the same
    document segno's writer makes, so the PDFs that embed it do not change."""
    for payload in payloads()[::3]:
        assert qr.qr_svg(payload, scalable=scalable) == qr.segno_svg(payload, scalable=scalable)
