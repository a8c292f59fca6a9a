"""Shared test set-up. Factories live in ``tests/factories.py`` (``from factories import ...``)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("default")


@pytest.fixture
def tallinn_settings(settings):  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Europe/Tallinn"
    return settings
