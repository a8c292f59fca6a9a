"""Does a fixed QR mask still give EPC QR codes that decode? (issue 11, the QR's cost)

segno chooses the mask by building all eight and scoring their penalty (ISO/IEC 18004
7.8.3), ~20 ms per code in Python. This measures, over N EPC069-12 payloads like the bills'
(supplier name, IBAN, amount, RF reference; names with õ/ä/ö/ü/š/ž), for the automatic choice
and for each fixed mask 0-7:

- CPU time of ``segno.make`` per code;
- the penalty score against the best mask's (how far from the standard's choice);
- how many decode with zxing-cpp, from a clean raster (4 px a module) and from a degraded
  "phone photo" one (3 px a module, box-blurred, low contrast, Gaussian noise of sigma 25
  grey levels: harsh enough that some codes fail, so masks can be told apart).

Run: ``.venv/bin/python benchmarks/bench_qr_mask.py [N]`` (default 200). Prints a table.
"""

from __future__ import annotations

import random
import sys
import time
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

import numpy as np
import segno
import zxingcpp
from segno import encoder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vool.common import identifiers
from vool.domain.documents.epc import CreditTransfer, epc_payload

NAMES = ["Vool Energia AS", "Põhja Elekter OÜ", "Šokolaadi Žürii MTÜ", "Ääre Õunaaed OÜ"]
IBAN = "EE382200221020145685"


def payloads(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        base = str(rng.randrange(10**5, 10**9))
        reference = base + identifiers.reference_check_digit(base)
        out.append(
            epc_payload(
                CreditTransfer(
                    name=rng.choice(NAMES),
                    iban=IBAN,
                    amount=Decimal(rng.randrange(1, 50000)) / 100,
                    rf_reference=identifiers.reference_to_rf(reference),
                    bic="HABAEE2X",
                )
            )
        )
    return out


def make(payload: str, mask: int | None) -> segno.QRCode:
    return segno.make(payload, error="m", micro=False, boost_error=False, mask=mask)


def penalty(code: segno.QRCode) -> int:
    matrix = [bytearray(row) for row in code.matrix]
    return int(encoder.evaluate_mask(matrix, len(matrix), len(matrix)))


def raster(code: segno.QRCode, scale: int, border: int = 4) -> np.ndarray:
    modules = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    modules = np.pad(modules, border)
    image = np.where(modules == 1, 0, 255).astype(np.uint8)
    return np.kron(image, np.ones((scale, scale), dtype=np.uint8))


def degraded(code: segno.QRCode, rng: np.random.Generator, noise: float = 25) -> np.ndarray:
    image = raster(code, scale=3).astype(np.float64)
    padded = np.pad(image, 1, mode="edge")  # 3x3 box blur
    blurred = np.zeros_like(image)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            blurred += padded[1 + dy : 1 + dy + image.shape[0], 1 + dx : 1 + dx + image.shape[1]]
    image = blurred / 9
    image = 60 + image * (150 / 255) + rng.normal(0, noise, image.shape)  # low contrast, noise
    return np.clip(image, 0, 255).astype(np.uint8)


def decodes(image: np.ndarray, payload: str) -> bool:
    return any(found.text == payload for found in zxingcpp.read_barcodes(image))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    texts = payloads(count)
    print(f"{count} EPC payloads, segno {segno.__version__}, zxing-cpp {version('zxing-cpp')}")
    columns = ["mask", "CPU ms per code", "penalty over the best (mean / max)"]
    print("| " + " | ".join([*columns, "decode clean", "decode degraded"]) + " |")
    print("|---|---|---|---|---|")
    best = [min(penalty(make(t, m)) for m in range(8)) for t in texts]
    for mask in [None, *range(8)]:
        rng = np.random.default_rng(7)
        started = time.process_time()
        codes = [make(t, mask) for t in texts]
        cpu_ms = (time.process_time() - started) * 1000 / count
        over = [penalty(c) - b for c, b in zip(codes, best, strict=True)]
        clean = sum(decodes(raster(c, 4), t) for c, t in zip(codes, texts, strict=True))
        rough = sum(decodes(degraded(c, rng), t) for c, t in zip(codes, texts, strict=True))
        name = "auto" if mask is None else str(mask)
        print(
            f"| {name} | {cpu_ms:.1f} | {sum(over) / count:.0f} / {max(over)} "
            f"| {clean}/{count} | {rough}/{count} |"
        )


if __name__ == "__main__":
    main()
