"""Receivables tests run with the seeded statutory interest rates (a dunning run accrues
late-payment interest), also after another test's flush emptied them."""

from __future__ import annotations

import pytest

from receivables_factories import statutory_rates


@pytest.fixture(autouse=True)
def _statutory_interest_rates(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("django_db") is not None:
        statutory_rates()
