"""Values as the active language writes them, for the messages the domain's rules give people
(the portal and the back office show them as they are)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.translation import get_language

from vool.common.money import format_money


def shown_day(value: dt.date) -> str:
    """A date as the active language writes it (``30.11.2026`` in Estonian)."""
    return date_format(value, "SHORT_DATE_FORMAT")


def shown_number(value: Decimal | int) -> str:
    """A number as the active language writes it, without trailing zeros (``1300.000`` is
    ``1300``, ``12.50`` is ``12,5`` in Estonian)."""
    if isinstance(value, Decimal):
        value = value.normalize() if value else Decimal(0)
    return number_format(value)


def shown_language() -> str:
    """The active language if it is one Vool writes (et, ru, en), else Estonian."""
    language = (get_language() or "et").split("-")[0]
    return language if language in ("et", "ru", "en") else "et"


def shown_money(amount: Decimal) -> str:
    """Euros as the active language writes them (``1 234,56 €`` in Estonian and Russian,
    ``€1,234.56`` in English; Estonian when no language is active)."""
    return format_money(amount, language=shown_language())
