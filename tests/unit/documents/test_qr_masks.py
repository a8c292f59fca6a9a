"""The numpy mask choice, error correction and codeword placement
(``vool.integrations.pdf.qr``) give segno's own symbol, bit for bit: the same codewords in the
same modules, the same penalty scores, so the same mask, for EPC payloads of every QR version
the bills use, for random text, and for every version (1-40) at every error level."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest
import segno

from vool.common import identifiers
from vool.domain.documents.epc import CreditTransfer, epc_payload
from vool.integrations.pdf import qr

SEGNO_OWN = {
    "find_and_apply_best_mask": qr._segno_best_mask,
    "make_final_message": qr._segno_final_message,
    "add_codewords": qr._segno_add_codewords,
}


def segno_own(payload: str, **options: object) -> segno.QRCode:
    """The code segno makes with its own functions (none of qr's numpy ones)."""
    options = {"error": "m", "micro": False, "boost_error": False} | options
    encoder = segno.encoder
    ours = {name: getattr(encoder, name) for name in SEGNO_OWN}
    for name, function in SEGNO_OWN.items():
        setattr(encoder, name, function)
    try:
        return segno.make(payload, **options)  # type: ignore[arg-type]
    finally:
        for name, function in ours.items():
            setattr(encoder, name, function)


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


def test_every_version_and_error_level_gives_segnos_symbol() -> None:
    rng = random.Random(5)
    for version in range(1, 41):
        for error in "lmqh":
            payload = "".join(rng.choice("ABCdef0123456789 õä") for _ in range(version * 3))
            fast = segno.make(payload, error=error, version=version, boost_error=False)
            own = segno_own(payload, error=error, version=version)
            assert (fast.mask, fast.matrix) == (own.mask, own.matrix), (version, error)


def test_micro_codes_go_to_segnos_functions() -> None:
    fast = segno.make("12345", error="m", micro=True)
    assert fast.is_micro
    assert fast.matrix == segno_own("12345", micro=True).matrix
