"""The payload of the EPC QR code (EPC069-12, "SEPA credit transfer") that banking apps scan
to pay a bill (pure: no Django).

Version 002 (the BIC may be left out inside the EEA), UTF-8 (character set 1), the
remittance as a structured ISO 11649 (RF) creditor reference. The code itself is drawn by
``vool.integrations.pdf.qr``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vool.common import identifiers
from vool.common.money import cents

MAX_NAME = 70
MAX_AMOUNT = Decimal("999999999.99")
MAX_PAYLOAD_BYTES = 331


class InvalidPaymentQr(ValueError):
    """A value cannot go into an EPC QR code; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CreditTransfer:
    name: str
    iban: str
    amount: Decimal
    rf_reference: str
    bic: str = ""


def epc_payload(transfer: CreditTransfer) -> str:
    """The EPC069-12 payload text of ``transfer``, checked field by field."""
    name = transfer.name.strip()
    if not name:
        raise InvalidPaymentQr("name", "The beneficiary name is empty.")
    if len(name) > MAX_NAME:
        raise InvalidPaymentQr(
            "name", f"The beneficiary name has {len(name)} characters; at most {MAX_NAME}."
        )
    try:
        iban = identifiers.validate_iban(transfer.iban)
    except identifiers.InvalidIdentifier as exc:
        raise InvalidPaymentQr("iban", str(exc)) from None
    try:
        rf = identifiers.validate_rf(transfer.rf_reference)
    except identifiers.InvalidIdentifier as exc:
        raise InvalidPaymentQr("rf_reference", str(exc)) from None
    amount_cents = cents(transfer.amount)
    if not 1 <= amount_cents <= cents(MAX_AMOUNT):
        raise InvalidPaymentQr(
            "amount", f"An EPC QR amount is 0.01 to {MAX_AMOUNT} EUR, not {transfer.amount}."
        )
    amount = f"EUR{amount_cents // 100}.{amount_cents % 100:02d}"
    lines = ["BCD", "002", "1", "SCT", transfer.bic.strip(), name, iban, amount, "", rf]
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise InvalidPaymentQr("name", "The EPC QR payload is longer than 331 bytes.")
    return payload
