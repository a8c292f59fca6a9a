"""The payer's bank as the e-arve bank channel's ``channelId``: a BIC of 8 or 10 characters;
the primary-office branch ``XXX`` of an 11-character BIC is dropped."""

from __future__ import annotations

import pytest

from vool.integrations.einvoice import earve


@pytest.mark.parametrize(
    ("bic", "channel"),
    [("HABAEE2X", "HABAEE2X"), ("habaee2xxxx", "HABAEE2X"), (" LHVBEE22 ", "LHVBEE22")],
)
def test_the_bic_is_the_channel_id(bic: str, channel: str) -> None:
    assert earve._channel_id("26000001", bic) == channel


@pytest.mark.parametrize("bic", ["HABAEE2X001", "HABA", "HABA-EE2X", ""])
def test_what_is_not_a_bic_is_refused_naming_the_invoice(bic: str) -> None:
    with pytest.raises(earve.UnableToBuildEarve, match="Invoice 26000001: bank channel"):
        earve._channel_id("26000001", bic)
