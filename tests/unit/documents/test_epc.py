"""The EPC QR payload (EPC069-12): exact text, and every field a bank would refuse named."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
import zxingcpp

from vool.domain.documents.epc import CreditTransfer, InvalidPaymentQr, epc_payload

IBAN = "EE382200221020145685"


def transfer(**changes: object) -> CreditTransfer:
    fields: dict[str, object] = {
        "name": "Vool Energia AS",
        "iban": IBAN,
        "amount": Decimal("72.23"),
        "rf_reference": "RF129000001",
    }
    fields.update(changes)
    return CreditTransfer(**fields)  # type: ignore[arg-type]


class TestPayload:
    def test_version_002_utf8_credit_transfer_with_a_structured_reference(self) -> None:
        assert epc_payload(transfer(bic="HABAEE2X", name="Õunaaed OÜ")) == (
            "BCD\n002\n1\nSCT\nHABAEE2X\nÕunaaed OÜ\nEE382200221020145685\nEUR72.23\n\nRF129000001"
        )

    def test_the_bic_may_be_left_out(self) -> None:
        assert epc_payload(transfer()).split("\n")[4] == ""

    def test_amounts_are_written_with_a_point_and_two_decimals(self) -> None:
        assert "\nEUR1234.50\n" in epc_payload(transfer(amount=Decimal("1234.5")))

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"name": "A" * 71}, "name", "71 characters; at most 70"),
            ({"name": "  "}, "name", "empty"),
            ({"iban": "EE382200221020145686"}, "iban", "IBAN"),
            ({"amount": Decimal("0.00")}, "amount", "0.01 to"),
            ({"amount": Decimal("-5.00")}, "amount", "0.01 to"),
            ({"rf_reference": "RF00900001"}, "rf_reference", "check digits"),
        ],
    )
    def test_a_bad_field_is_named(
        self, changes: dict[str, object], field: str, message: str
    ) -> None:
        with pytest.raises(InvalidPaymentQr, match=message) as caught:
            epc_payload(transfer(**changes))
        assert caught.value.field == field


def test_the_qr_code_decodes_to_the_payload() -> None:
    """segno draws it (integrations.pdf.qr); read back from its module matrix."""
    import segno

    payload = epc_payload(transfer(name="Šokolaad ja Дом OÜ"))
    code = segno.make(payload, error="m", micro=False, boost_error=False)
    matrix = np.array([list(row) for row in code.matrix], dtype=np.uint8)
    image = np.kron(np.pad(1 - matrix, 4, constant_values=1) * 255, np.ones((6, 6))).astype(
        np.uint8
    )
    (found,) = zxingcpp.read_barcodes(image)
    assert found.text == payload
