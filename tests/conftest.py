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


@pytest.fixture(autouse=True)
def default_language():  # type: ignore[no-untyped-def]
    """Each test starts in the project's default language: a request through the test client
    leaves its language (LocaleMiddleware's choice) active in the thread afterwards, which
    made a later test's message come out in English."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def forget_short_lived():  # type: ignore[no-untyped-def]
    """Each test starts without the per-process copies (``common.short_lived``): a supplier
    or freeze read inside one test's rolled-back transaction must not show in the next."""
    from vool.common.short_lived import forget_all

    forget_all()
    yield
    forget_all()
